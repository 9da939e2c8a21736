// Structured fields for the log line being written on this thread.
//
// The engine sets them around a log call; a sink that understands fields (the journal sink in
// systemd/) reads them while formatting, others ignore them. spdlog sinks run synchronously on
// the logging thread, so a thread-local is exactly as wide as one log call.
#pragma once

#include <optional>
#include <string>

namespace adu {

struct LogFields {
  std::string operation_id;
  std::string kind;
  std::string status;
  std::string old_status;
  std::optional<int> http_status;
  std::string error_code;
};

// The fields in force on this thread, or nullptr.
const LogFields* CurrentLogFields();

// Sets `fields` for this thread until destroyed (nests: restores the previous set).
class ScopedLogFields {
 public:
  explicit ScopedLogFields(const LogFields& fields);
  ~ScopedLogFields();
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

 private:
  const LogFields* previous_;
};

}  // namespace adu
