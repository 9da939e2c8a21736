// Errors as values across module boundaries.
//
// `Status` says whether something worked and, if not, what kind of failure it was (a `StatusCode`)
// and why (a message for the user); `Result<T>` is a value or a `Status` error. Both are plain
// values: cheap to move, safe to pass between threads. Exceptions never cross a module's public
// interface; a module that calls a throwing library converts at its edge.
//
// The code is what callers branch on (the daemon's exit code, a retry decision); the message is
// only ever shown. `Status::Error(msg)` is the generic failure for errors no caller tells apart.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace adu {

enum class StatusCode {
  kOk,
  kError,         // a failure no caller needs to tell apart from others
  kConfig,        // the configuration (or a file it names, e.g. a secret) is wrong: fix and restart
  kNotFound,      // a file, database or operation that should exist does not
  kBusy,          // another connection holds a lock: retrying later can work
  kCorrupt,       // a file is not what it should be (not an adu-opwatch database, unreadable data)
  kIncompatible,  // valid data from a newer version (a schema this build does not know)
  kIo,            // the OS or the disk failed (I/O error, disk full, cannot open)
  kReadOnly,      // the file or file system refuses writes
  kInternal,      // a bug: an invariant did not hold
};

// "ok", "error", "config", "not found", "busy", "corrupt", "incompatible", "I/O", "read-only",
// "internal".
constexpr std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kError:
      return "error";
    case StatusCode::kConfig:
      return "config";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kIncompatible:
      return "incompatible";
    case StatusCode::kIo:
      return "I/O";
    case StatusCode::kReadOnly:
      return "read-only";
    case StatusCode::kInternal:
      return "internal";
  }
  return "error";
}

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  // `code` kOk is a programming error (an error Status must say it failed); it becomes kInternal.
  static Status WithCode(StatusCode code, std::string message) {
    assert(code != StatusCode::kOk && "an error Status needs an error code");
    return Status(code == StatusCode::kOk ? StatusCode::kInternal : code, std::move(message));
  }
  static Status Error(std::string message) {
    return WithCode(StatusCode::kError, std::move(message));
  }
  static Status Config(std::string message) {
    return WithCode(StatusCode::kConfig, std::move(message));
  }
  static Status NotFound(std::string message) {
    return WithCode(StatusCode::kNotFound, std::move(message));
  }
  static Status Busy(std::string message) {
    return WithCode(StatusCode::kBusy, std::move(message));
  }
  static Status Corrupt(std::string message) {
    return WithCode(StatusCode::kCorrupt, std::move(message));
  }
  static Status Incompatible(std::string message) {
    return WithCode(StatusCode::kIncompatible, std::move(message));
  }
  static Status Io(std::string message) { return WithCode(StatusCode::kIo, std::move(message)); }
  static Status ReadOnly(std::string message) {
    return WithCode(StatusCode::kReadOnly, std::move(message));
  }
  static Status Internal(std::string message) {
    return WithCode(StatusCode::kInternal, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return ok(); }
  StatusCode code() const { return code_; }
  bool IsConfig() const { return code_ == StatusCode::kConfig; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsBusy() const { return code_ == StatusCode::kBusy; }
  bool IsCorrupt() const { return code_ == StatusCode::kCorrupt; }
  bool IsIncompatible() const { return code_ == StatusCode::kIncompatible; }
  bool IsIo() const { return code_ == StatusCode::kIo; }
  bool IsReadOnly() const { return code_ == StatusCode::kReadOnly; }
  bool IsInternal() const { return code_ == StatusCode::kInternal; }

  // The human-readable reason; empty when ok().
  const std::string& message() const { return message_; }

  // The same failure under another code, for a caller that knows better what it means (a
  // secret file the token provider could not read is a configuration error to the daemon).
  Status WithCodeOf(StatusCode code) const& { return ok() ? *this : WithCode(code, message_); }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Status error) : v_(std::move(error)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "a Result error must not be an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; only valid when !ok().
  const Status& status() const { return std::get<Status>(v_); }
  const std::string& error() const { return status().message(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace adu
