#include "adu/systemd/journal_sink.h"

#include <sys/uio.h>
// Without this, sd-journal.h turns sd_journal_sendv() into a macro that adds CODE_FILE=,
// CODE_LINE= and CODE_FUNC= of this file to every entry: the sink's own location (and a build
// path), not the place that logged. The sink adds the caller's location itself when spdlog has it.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "adu/core/log_fields.h"

namespace adu::systemd {
namespace {

void SendToJournal(const std::vector<std::string>& fields) {
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (const auto& f : fields) {
    iov.push_back({const_cast<char*>(f.data()), f.size()});
  }
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace

int JournalPriority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;
    case spdlog::level::info:
      return 6;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::err:
      return 3;
    case spdlog::level::critical:
      return 2;
    default:
      return 6;
  }
}

JournalSink::JournalSink(std::string identifier, JournalWriter writer)
    : identifier_(std::move(identifier)), writer_(writer ? std::move(writer) : SendToJournal) {}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  std::vector<std::string> fields;
  fields.push_back("MESSAGE=" + std::string(msg.payload.data(), msg.payload.size()));
  fields.push_back("PRIORITY=" + std::to_string(JournalPriority(msg.level)));
  fields.push_back("SYSLOG_IDENTIFIER=" + identifier_);
  // Only logging macros (SPDLOG_LOGGER_INFO, ...) fill in the source location; plain calls leave
  // it empty, and then the entry has no CODE_* fields rather than made-up ones.
  if (!msg.source.empty()) {
    fields.push_back(std::string("CODE_FILE=") + msg.source.filename);
    fields.push_back("CODE_LINE=" + std::to_string(msg.source.line));
    if (msg.source.funcname != nullptr && *msg.source.funcname != '\0') {
      fields.push_back(std::string("CODE_FUNC=") + msg.source.funcname);
    }
  }
  if (const LogFields* f = CurrentLogFields()) {
    auto add = [&](const char* name, const std::string& value) {
      if (!value.empty()) fields.push_back(std::string(name) + "=" + value);
    };
    add("OPERATION_ID", f->operation_id);
    add("KIND", f->kind);
    add("STATUS", f->status);
    add("OLD_STATUS", f->old_status);
    if (f->http_status) add("HTTP_STATUS", std::to_string(*f->http_status));
    add("ERROR_CODE", f->error_code);
  }
  writer_(fields);
}

}  // namespace adu::systemd
