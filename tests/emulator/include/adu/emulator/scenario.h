// What the Device Update emulator serves: a scenario, loaded from YAML (see docs/emulator.md).
//
// Plain value types; safe to copy between threads. Parsing never throws: errors come back as a
// Result whose message names the source and the `line:col` of the offending YAML node.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/result.h"

namespace adu::emulator {

// One status an operation takes at scenario second `at` (relative to the operation's `start`).
struct TimelineEntry {
  double at = 0;
  std::string status;
};

// The service's InnerError, one level of the `innererror` / `innerError` chain.
struct InnerErrorSpec {
  std::string code;
  std::string message;
  std::string error_detail;
};

// The Error object served with a Failed operation.
struct ErrorSpec {
  std::string code;
  std::string message;
  std::string target;
  std::vector<InnerErrorSpec> inner_chain;  // outermost first
};

enum class FaultKind { kStatus, kTruncated, kEmpty, kReset, kStall, kTrickle, kOversized };
std::string_view FaultKindName(FaultKind kind);

// A misbehaviour served instead of (or on top of) the normal answer to some GETs of one operation.
// Requests are numbered from 1 per operation, counting every GET of it that passed auth and
// api-version checks (the numbering is never reset, not even by /_emulator/reset-stats).
struct FaultSpec {
  FaultKind kind = FaultKind::kStatus;
  int request = 0;                 // first request number hit (0 = unused)
  int times = 1;                   // with `request`: how many consecutive requests are hit
  int every = 0;                   // hit every N-th request (0 = unused)
  int status = 503;                // kStatus
  std::optional<int> retry_after;  // kStatus: Retry-After header, seconds
  double seconds = 30;             // kStall: real seconds before the (normal) answer is sent
  int bytes_per_second = 20;       // kTrickle
  std::size_t bytes = 5'000'000;   // kOversized: body size
  bool Matches(int request_number) const;
};

struct UpdateIdSpec {
  std::string provider = "Contoso";
  std::string name = "Toaster";
  std::string version = "1.0.0";
};

struct OperationSpec {
  std::string id;
  OperationKind kind = OperationKind::kDevice;
  // Scenario second the timeline is relative to (`start`, or `appear_at`: with the first entry at
  // 0 the operation appears then, in no list and a 404 before; its createdDateTime). Negative:
  // created before the emulator started.
  double start = 0;
  std::vector<TimelineEntry>
      timeline;      // sorted by `at`; the operation does not exist before the first
  double churn = 0;  // > 0: body changes (lastActionDateTime, etag) every `churn` s while in flight
  std::optional<ErrorSpec> error;  // served while Failed (a default one when absent)
  UpdateIdSpec update;             // update operations: served when Succeeded
  std::vector<FaultSpec> faults;
};

struct ClientCredentialSpec {
  std::string tenant;
  std::string client_id;
  std::string client_secret;
};

struct AuthSpec {
  bool bearer_required = false;     // mode: bearer
  std::vector<std::string> tokens;  // accepted as-is, never expire
  std::vector<ClientCredentialSpec> clients;
  bool managed_identity = false;
  std::string managed_identity_client_id;  // empty = any client_id accepted
  int token_lifetime = 3599;               // expires_in of minted tokens, real seconds
};

enum class NotFoundShape { kProblem, kError };

// How the timestamps of an operation are written (docs/emulator.md, "Answer forms").
struct TimestampForm {
  std::string zone = "+00:00";  // "Z", or "+hh:mm" / "-hh:mm": the instant is shown in that zone
  bool trim = false;            // drop trailing zero fraction digits, and the dot when none is left
  int offset_minutes = 0;       // derived from `zone`
};

// The list's nextLink: `current` = /deviceUpdate/{i}/{collection}/operations?api-version=..&skip=N;
// `legacy` = /deviceupdate/{i}/v2/{collection}/operations?$top=P&$skipToken=<percent-encoded
// JSON>, without api-version (the form the recorded service sends).
enum class NextLinkForm { kCurrent, kLegacy };

inline constexpr std::string_view kProblemType7231 =
    "https://tools.ietf.org/html/rfc7231#section-6.5.4";
inline constexpr std::string_view kProblemType9110 =
    "https://tools.ietf.org/html/rfc9110#section-15.5.5";

struct Scenario {
  std::string instance_id = "demo";
  std::vector<std::string> api_versions = {"2022-10-01", "2022-07-01-preview", "2026-06-01"};
  bool not_modified = true;  // false: 200 with the unchanged body instead of 304 (2026-06-01)
  NotFoundShape not_found_shape = NotFoundShape::kProblem;
  int get_per_minute = 0;   // 0 = unlimited
  int list_per_minute = 0;  // 0 = unlimited
  int retry_after = 5;      // Retry-After (s) sent with 200 while in flight
  bool retry_after_on_304 = false;
  int page_size = 50;
  // Answer forms. Defaults: the spec's examples; `profile: recorded` sets each to what the
  // public recordings show (docs/emulator.md says which recording shows which).
  TimestampForm timestamps;
  std::string inner_error_key = "innererror";  // key of Error's first inner level (or innerError)
  bool etag_header = true;                     // false: the etag only in the body
  bool bare_304 = false;                       // true: a 304 carries no header at all
  NextLinkForm next_link_form = NextLinkForm::kCurrent;
  std::string problem_type = std::string(kProblemType7231);  // `type` of problem+json 404s
  // Cache-Control: max-age=60, private; mise-correlation-id twice; x-ms-correlation-request-id;
  // traceparent: on every data-plane answer (not on a bare 304).
  bool service_headers = false;
  AuthSpec auth;
  std::vector<OperationSpec> operations;
};

// Parses a scenario document. `source` names it in error messages (a file name).
Result<Scenario> ParseScenario(std::string_view yaml, std::string_view source = "scenario");
Result<Scenario> LoadScenarioFile(const std::string& path);

}  // namespace adu::emulator
