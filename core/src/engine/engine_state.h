// What the engine thread knows of every watched operation, shared by the engine's parts.
// Engine thread only: no locks.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "adu/core/domain.h"
#include "adu/core/engine.h"
#include "adu/core/metrics.h"
#include "schedule/schedule.h"

namespace adu::engine {

struct Op {
  OperationKey key;
  std::optional<Duration> interval;  // overrides EngineOptions::interval
  std::string status;                // empty: never seen
  std::string etag;
  OperationState state = OperationState::kActive;
  bool in_flight = false;
  int failures = 0;
  bool polled_once = false;  // --once bookkeeping
  bool seen_in_list = false;
  OperationOrigin origin = OperationOrigin::kConfig;
  // Repeated identical failures are logged once with a count.
  std::string failure_signature;
  uint64_t repeats = 0;
};

ScheduleOptions ScheduleOptionsFrom(const EngineOptions& options);

struct EngineState {
  EngineState(const EngineOptions& o, uint64_t seed)
      : options(o), schedule(ScheduleOptionsFrom(o), seed) {}

  // Whether the operation is to be polled at all.
  bool Wanted(const Op& op) const;
  Duration IntervalOf(const Op& op) const { return schedule.IntervalOf(op.interval); }
  Op* Find(const OperationKey& key);

  EngineOptions options;
  Schedule schedule;
  std::map<OperationKey, Op> ops;
  size_t in_flight = 0;  // requests: GETs and list pages
  uint64_t polls = 0;
  std::deque<MonoTime> error_times;  // for errors_last_hour
  std::optional<MonoTime> last_poll;
  bool once = false;
  bool stopping = false;
  bool demand_dirty = true;    // the list refresh recomputes whether it is wanted
  Figures* figures = nullptr;  // where the parts publish (Engine::PublishFiguresTo); may be null
};

}  // namespace adu::engine
