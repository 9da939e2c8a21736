#include "adu/testing/log_capture.h"

namespace adu::testing {

std::vector<CaptureSink::Line> CaptureSink::Lines() {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::vector<std::string> CaptureSink::AtLevel(spdlog::level::level_enum level) {
  std::vector<std::string> out;
  for (const auto& l : Lines()) {
    if (l.level == level) out.push_back(l.text);
  }
  return out;
}

std::string CaptureSink::Text() {
  std::string out;
  for (const auto& l : Lines()) {
    const auto name = spdlog::level::to_string_view(l.level);
    out.append(name.data(), name.size());
    out += ' ';
    out += l.text;
    out += '\n';
  }
  return out;
}

void CaptureSink::sink_it_(const spdlog::details::log_msg& msg) {
  lines_.push_back({msg.level, std::string(msg.payload.begin(), msg.payload.end())});
}

std::shared_ptr<spdlog::logger> CaptureLogger(std::shared_ptr<CaptureSink>& sink) {
  sink = std::make_shared<CaptureSink>();
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  logger->set_level(spdlog::level::trace);
  return logger;
}

}  // namespace adu::testing
