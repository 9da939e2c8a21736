// Applies one poll's outcome to an operation: state and schedule updated, transition detected
// and logged, the record handed to the writer. Engine thread only.
#pragma once

#include <memory>

#include "adu/core/operation_service.h"
#include "engine/engine_state.h"
#include "engine/writer_handoff.h"

namespace spdlog {
class logger;
}

namespace adu::engine {

class OutcomeApplier {
 public:
  OutcomeApplier(EngineState& state, WriterHandoff& handoff, std::shared_ptr<spdlog::logger> log)
      : state_(state), handoff_(handoff), log_(std::move(log)) {}

  // The answer to a GET of `op`.
  void ApplyFetch(Op& op, FetchOutcome outcome, MonoTime now, WallTime wall);
  // One item of a list page: `op` was listed with `etag`; `changed` when the ETag is new.
  // `next` is the per-operation fallback poll should lists stop working.
  void ApplyListed(Op& op, std::optional<Changed> changed, Duration next, MonoTime now,
                   WallTime wall);

 private:
  void ApplyChanged(Op& op, Changed& changed, WallTime wall);
  void LogTransition(const Op& op, const Changed& changed) const;
  // The snapshot's figures (a transition, its detection delay), before `op` takes its status.
  void PublishSnapshot(const Op& op, const Snapshot& s) const;
  void ApplyFailure(Op& op, Failed& failed, MonoTime now, WallTime wall);
  void ClearFailureStreak(Op& op);
  void TraceAnswer(const Op& op, const FetchOutcome& outcome) const;
  void Hand(const Op& op, WallTime at, std::optional<Duration> next, PollOutcome outcome);

  EngineState& state_;
  WriterHandoff& handoff_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace adu::engine
