// The main thread's loop while the daemon runs: it waits in poll() on a signalfd (SIGTERM,
// SIGINT, SIGHUP), an eventfd the engine thread fires when it ends, and the watch file's inotify
// descriptor. It wakes on a timer only for the watchdog ping and the STATUS= line (when systemd
// asked for them) and for the watch file's debounce or stamp checks.
//
// It owns no configuration: a SIGHUP or a watch-file change is handed to the callbacks.
#pragma once

#include <functional>
#include <memory>

#include "adu/core/engine.h"
#include "adu/systemd/notifier.h"
#include "signals.h"
#include "watch_file_monitor.h"

namespace spdlog {
class logger;
}

namespace adu::daemon {

struct SupervisorCallbacks {
  std::function<void()> reload;              // SIGHUP
  std::function<void()> watch_file_changed;  // the monitor saw the watch file change
};

class Supervisor {
 public:
  // `engine_done_fd`: an eventfd written once when the engine thread's Run() returned.
  Supervisor(const SupervisedSignals& signals, int engine_done_fd, Engine& engine,
             const systemd::Notifier& notifier, WatchFileMonitor& watch_file,
             SupervisorCallbacks callbacks, std::shared_ptr<spdlog::logger> log,
             std::string status_prefix = "");
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Until the engine thread ends. SIGTERM/SIGINT ask it to stop; a failing poll() too.
  void Run();

 private:
  int TimeoutMs(MonoTime now) const;
  void Tick(MonoTime now);
  void Watchdog(MonoTime now, Duration interval);
  void DrainSignals();

  int signal_fd_;
  int engine_done_fd_;
  Engine& engine_;
  const systemd::Notifier& notifier_;
  WatchFileMonitor& watch_file_;
  SupervisorCallbacks callbacks_;
  std::shared_ptr<spdlog::logger> log_;
  std::string status_prefix_;  // "NAME: " for an instance of the template unit
  MonoTime next_watchdog_{};
  MonoTime next_status_{};
  bool stopping_ = false;
};

}  // namespace adu::daemon
