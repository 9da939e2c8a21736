#include "supervisor.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "status_line.h"
#include "test_hooks.h"

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

constexpr Duration kStatusInterval = 5s;

}  // namespace

Supervisor::Supervisor(const SupervisedSignals& signals, int engine_done_fd, Engine& engine,
                       const systemd::Notifier& notifier, WatchFileMonitor& watch_file,
                       SupervisorCallbacks callbacks, std::shared_ptr<spdlog::logger> log,
                       std::string status_prefix)
    : signal_fd_(signals.OpenFd()),
      engine_done_fd_(engine_done_fd),
      engine_(engine),
      notifier_(notifier),
      watch_file_(watch_file),
      callbacks_(std::move(callbacks)),
      log_(std::move(log)),
      status_prefix_(std::move(status_prefix)) {
  if (signal_fd_ < 0) log_->error("cannot create a signalfd: {}", std::strerror(errno));
}

Supervisor::~Supervisor() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
}

void Supervisor::Run() {
  const MonoTime start = SystemClock().Now();
  next_watchdog_ = start;
  next_status_ = start;
  while (true) {
    const MonoTime now = SystemClock().Now();
    Tick(now);
    pollfd fds[3] = {
        {signal_fd_, POLLIN, 0}, {engine_done_fd_, POLLIN, 0}, {watch_file_.fd(), POLLIN, 0}};
    const int n = ::poll(fds, watch_file_.fd() >= 0 ? 3 : 2, TimeoutMs(SystemClock().Now()));
    if (n < 0 && errno != EINTR) {
      log_->error("poll failed: {}", std::strerror(errno));
      engine_.RequestStop();
      return;
    }
    if (fds[1].revents & POLLIN) return;  // the engine thread has ended
    if (fds[0].revents & POLLIN) DrainSignals();
    if (watch_file_.fd() >= 0 && (fds[2].revents & POLLIN)) {
      watch_file_.OnReadable(SystemClock().Now());
    }
  }
}

int Supervisor::TimeoutMs(MonoTime now) const {
  MonoTime wake = MonoTime::max();
  if (notifier_.watchdog_interval() && !stopping_) wake = std::min(wake, next_watchdog_);
  if (notifier_.enabled() && !stopping_) wake = std::min(wake, next_status_);
  if (auto look = watch_file_.NextWake()) wake = std::min(wake, *look);
  if (wake == MonoTime::max()) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
  return static_cast<int>(std::clamp<int64_t>(ms.count(), 0, 60000));
}

void Supervisor::Tick(MonoTime now) {
  if (watch_file_.TakeChange(now)) callbacks_.watch_file_changed();
  if (stopping_) return;
  if (auto wd = notifier_.watchdog_interval(); wd && now >= next_watchdog_) Watchdog(now, *wd);
  if (notifier_.enabled() && now >= next_status_) {
    const EngineStats stats = engine_.Stats();
    notifier_.Status(status_prefix_ + StatusLine(stats, now));
    // Every second until the first poll is seen, so "no poll yet" does not outlive it.
    next_status_ = now + (stats.last_poll ? kStatusInterval : Duration(1s));
  }
}

void Supervisor::Watchdog(MonoTime now, Duration interval) {
  // Ping only if the engine thread has run a step recently: it must have answered the previous
  // tick's nudge. A stuck loop stops the pings and systemd restarts us.
  const auto since = now - engine_.LastProgress();
  if (since < interval / 2 + 1s) {
    notifier_.Watchdog();
  } else {
    log_->error("poll loop has not made progress for {} ms: withholding the watchdog ping",
                std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
  }
  engine_.Post([] { MaybeStallForTest(); });
  next_watchdog_ = now + interval / 2;
}

void Supervisor::DrainSignals() {
  signalfd_siginfo info{};
  while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
    if (info.ssi_signo == SIGHUP) {
      callbacks_.reload();
      continue;
    }
    log_->info("received {}: stopping", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    notifier_.Stopping();
    stopping_ = true;
    engine_.RequestStop();
  }
}

}  // namespace adu::daemon
