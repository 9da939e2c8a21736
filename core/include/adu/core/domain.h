// The domain of adu-opwatch: what an operation is, what a poll can yield, what the service says.
//
// Plain value types, no I/O, no locking: safe to copy between threads.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adu {

using WallTime = std::chrono::system_clock::time_point;  // timestamps that are stored or shown
using MonoTime = std::chrono::steady_clock::time_point;  // timers and deadlines
using Duration = std::chrono::milliseconds;

// Which of the service's two operation collections an ID belongs to.
enum class OperationKind { kDevice, kUpdate };
std::string_view KindName(OperationKind kind);  // "device" | "update"
std::optional<OperationKind> ParseKind(std::string_view name);

struct OperationKey {
  OperationKind kind = OperationKind::kDevice;
  std::string id;
  auto operator<=>(const OperationKey&) const = default;
};

// Where the daemon stands with a watched operation (the `operations.state` column).
enum class OperationState { kActive, kTerminal, kNotFound, kUnwatched };
std::string_view StateName(OperationState state);  // "active" | "terminal" | ...
std::optional<OperationState> ParseState(std::string_view name);

// How the daemon learned of an operation (the `operations.origin` column): named in the
// configuration's watch list, in the watch file, or found in the service's lists by discovery.
enum class OperationOrigin { kConfig, kWatchFile, kDiscovered };
std::string_view OriginName(OperationOrigin origin);  // "config" | "watch_file" | "discovered"
std::optional<OperationOrigin> ParseOrigin(std::string_view name);

// Why a poll failed (the `poll_errors.category` column).
enum class ErrorCategory { kHttp, kNetwork, kTimeout, kParse, kAuth, kThrottled };
std::string_view CategoryName(ErrorCategory category);  // "http" | "network" | ...
std::optional<ErrorCategory> ParseCategory(std::string_view name);

// Succeeded or Failed, compared case-insensitively as the SDK pollers do.
bool IsTerminalStatus(std::string_view status);
// One of NotStarted, Running, Succeeded, Failed (exact case).
bool IsKnownStatus(std::string_view status);

// The service's `innererror` / `innerError` chain, flattened outermost first.
struct InnerError {
  std::string code;
  std::string message;
  std::string error_detail;
};

// The service's Error object.
struct ServiceError {
  std::string code;
  std::string message;
  std::string target;
  std::string occurred_at;  // as received
  std::vector<ServiceError> details;
  std::vector<InnerError> inner_chain;
};

// A decoded DeviceOperation or UpdateOperation. Strings are as received.
struct Operation {
  std::string operation_id;
  std::string status;
  std::string etag;  // the body's etag, quotes included; empty when absent
  std::string trace_id;
  std::string created_at;
  std::string last_action_at;
  std::string resource_location;  // update operations only
  std::optional<ServiceError> error;
};

// One distinct operation body as stored in `snapshots`.
struct Snapshot {
  OperationKey key;
  WallTime observed_at;
  std::string status;
  std::string etag;            // the ETag the daemon will send back
  std::string created_at;      // normalised (see time_format.h), else as received
  std::string last_action_at;  // normalised, else as received
  std::string error_code;
  std::string error_message;
  std::string trace_id;
  std::string body;  // exactly as received
};

// One failed poll as stored in `poll_errors`.
struct PollError {
  OperationKey key;
  WallTime at;
  ErrorCategory category = ErrorCategory::kNetwork;
  std::optional<int> http_status;
  std::string code;  // the service's error code, when it sent one
  std::string message;
};

}  // namespace adu
