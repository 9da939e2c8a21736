// A spdlog sink that keeps every line logged through it, for tests that check what a component
// logged through the logger it was given (and that nothing went elsewhere).
#pragma once

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace adu::testing {

class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;  // the message alone, without time or level
  };
  std::vector<Line> Lines();
  // The messages logged at `level`.
  std::vector<std::string> AtLevel(spdlog::level::level_enum level);
  // Every line as "LEVEL message\n" (LEVEL as spdlog names it: trace, debug, info, warning,
  // error, critical), in the order logged.
  std::string Text();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::vector<Line> lines_;
};

// A logger at trace level writing only to a new CaptureSink, returned in `sink`.
std::shared_ptr<spdlog::logger> CaptureLogger(std::shared_ptr<CaptureSink>& sink);

}  // namespace adu::testing
