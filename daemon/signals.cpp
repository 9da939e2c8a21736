#include "signals.h"

#include <pthread.h>
#include <sys/signalfd.h>

#include <initializer_list>

namespace adu::daemon {

SupervisedSignals SupervisedSignals::BlockBeforeThreads() {
  SupervisedSignals s;
  sigemptyset(&s.mask_);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    sigaddset(&s.mask_, sig);
    ::signal(sig, SIG_DFL);
  }
  pthread_sigmask(SIG_BLOCK, &s.mask_, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return s;
}

int SupervisedSignals::OpenFd() const { return ::signalfd(-1, &mask_, SFD_CLOEXEC | SFD_NONBLOCK); }

}  // namespace adu::daemon
