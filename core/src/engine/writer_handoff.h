// Hands the engine's records to the StoreWriter, and holds back new polls while it is full.
//
// What the writer does not take waits here, in order, and is offered again each Step. While
// anything waits (or the writer's queue is at its limit) the engine dispatches no new polls:
// the service keeps the state, so a later poll loses nothing, and memory stays bounded by the
// writer's limit plus the answers of the requests that were already in flight. Engine thread
// only.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "adu/core/store_writer.h"
#include "schedule/schedule.h"

namespace spdlog {
class logger;
}

namespace adu::engine {

class WriterHandoff {
 public:
  WriterHandoff(StoreWriter& writer, std::shared_ptr<spdlog::logger> log)
      : writer_(writer), log_(std::move(log)) {}

  void Hand(PollRecord record) { held_.push_back(std::move(record)); }
  // Offers what is held to the writer; keeps what it refuses.
  void Flush();
  // Whether polls are held back now. Logs once when that starts and once when it ends (with how
  // long it lasted and how many polls were due meanwhile).
  bool PollsPaused(MonoTime now, WallTime wall, const Schedule& schedule);

  std::optional<WallTime> paused_since() const { return paused_since_wall_; }
  size_t held() const { return held_.size(); }

 private:
  StoreWriter& writer_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<PollRecord> held_;
  std::optional<MonoTime> paused_since_;
  std::optional<WallTime> paused_since_wall_;
};

}  // namespace adu::engine
