// The signals the daemon handles (SIGTERM, SIGINT, SIGHUP), taken through a signalfd.
#pragma once

#include <signal.h>

namespace adu::daemon {

class SupervisedSignals {
 public:
  // Builds the mask (the one place that lists the signals), resets their dispositions to the
  // default (a parent may have left them ignored: nohup, a shell's `trap '' INT`), blocks them in
  // the calling thread and ignores SIGPIPE. Call before any thread exists, so every thread
  // inherits the mask and only the signalfd sees the signals.
  static SupervisedSignals BlockBeforeThreads();

  // A new non-blocking, close-on-exec signalfd for the mask; -1 on error (errno says why).
  int OpenFd() const;

 private:
  SupervisedSignals() = default;
  sigset_t mask_{};
};

}  // namespace adu::daemon
