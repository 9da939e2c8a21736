#include "engine/writer_handoff.h"

#include <spdlog/spdlog.h>

namespace adu::engine {

void WriterHandoff::Flush() {
  if (held_.empty()) return;
  held_ = writer_.Enqueue(std::move(held_));
}

bool WriterHandoff::PollsPaused(MonoTime now, WallTime wall, const Schedule& schedule) {
  const bool paused = !held_.empty() || writer_.Full();
  if (paused && !paused_since_) {
    paused_since_ = now;
    paused_since_wall_ = wall;
    log_->warn(
        "database writes are behind ({} results queued, the limit): no new polls until they are "
        "written (the service keeps the state, nothing is lost)",
        writer_.QueuedResults());
  } else if (!paused && paused_since_) {
    const auto lasted = std::chrono::duration_cast<std::chrono::seconds>(now - *paused_since_);
    log_->info("database writes caught up: polling resumed after {}s, {} polls were deferred",
               lasted.count(), schedule.CountDue(now));
    paused_since_.reset();
    paused_since_wall_.reset();
  }
  return paused;
}

}  // namespace adu::engine
