// An spdlog sink that writes to the systemd journal with priorities and structured fields.
//
// Besides MESSAGE and PRIORITY it adds the fields the engine set for the line
// (core/log_fields.h): OPERATION_ID=, KIND=, STATUS=, OLD_STATUS=, HTTP_STATUS=, ERROR_CODE=,
// so `journalctl -u adu-opwatch OPERATION_ID=<id>` tells one operation's story. CODE_FILE=,
// CODE_LINE= and CODE_FUNC= name the place that logged when spdlog knows it (the SPDLOG_LOGGER_*
// macros); otherwise the entry has none (never the sink's own location).
//
// Thread-safety: as every spdlog sink, through base_sink's mutex.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace adu::systemd {

// Receives one entry as "FIELD=value" strings; the default sends it with sd_journal_sendv.
using JournalWriter = std::function<void(const std::vector<std::string>& fields)>;

class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string identifier, JournalWriter writer = {});

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::string identifier_;
  JournalWriter writer_;
};

// syslog priority for an spdlog level (trace/debug -> 7, info -> 6, warn -> 4, error -> 3, ...).
int JournalPriority(spdlog::level::level_enum level);

}  // namespace adu::systemd
