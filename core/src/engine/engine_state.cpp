#include "engine/engine_state.h"

#include <algorithm>

namespace adu {

bool DiscoveryOptions::Covers(OperationKind kind) const {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

}  // namespace adu

namespace adu::engine {

ScheduleOptions ScheduleOptionsFrom(const EngineOptions& options) {
  ScheduleOptions s;
  s.interval = options.interval;
  s.jitter = options.jitter;
  s.backoff_max = options.backoff_max;
  s.max_retry_after = options.max_retry_after;
  return s;
}

bool EngineState::Wanted(const Op& op) const {
  switch (op.state) {
    case OperationState::kActive:
    case OperationState::kNotFound:
      return true;
    case OperationState::kTerminal:
      return !options.stop_on_terminal;
    case OperationState::kUnwatched:
      return false;
  }
  return false;
}

Op* EngineState::Find(const OperationKey& key) {
  auto it = ops.find(key);
  return it == ops.end() ? nullptr : &it->second;
}

}  // namespace adu::engine
