// The real ProcessRunner (only the daemon constructs it; tests of targets use a fake).
//
// Each Run(): posix_spawn of argv[0] (an absolute path, no PATH search, no shell) in a process
// group of its own, working directory "/", signal mask and dispositions reset, every descriptor
// but 0-2 closed; the environment is only PATH=/usr/local/bin:/usr/bin:/bin plus the request's
// extras (nothing of the daemon's own, which may carry credentials). stdin is a pipe holding
// `stdin_data` (a hook that does not read it, or exits early, is fine); stdout goes to
// /dev/null; stderr is a pipe whose first kStderrMaxLines lines / kStderrMaxBytes bytes are kept
// and the rest read and discarded. When the hook exits, or its timeout passes, its whole process
// group is sent SIGKILL (nothing it started in the background outlives it), then it is reaped.
//
// Thread-safe (no shared state; every descriptor O_CLOEXEC), never throws, leaves no zombie.
#pragma once

#include <cstddef>

#include "adu/core/notify.h"

namespace adu {

class PosixProcessRunner final : public ProcessRunner {
 public:
  static constexpr size_t kStderrMaxLines = 20;
  static constexpr size_t kStderrMaxBytes = 4096;

  ProcessResult Run(const ProcessRequest& request) override;
};

}  // namespace adu
