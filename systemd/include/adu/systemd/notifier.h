// sd_notify glue: READY/RELOADING/STOPPING/STATUS/WATCHDOG messages to the service manager.
//
// Every call is a no-op when the process was not started by systemd with Type=notify
// (NOTIFY_SOCKET unset), so the daemon calls them unconditionally.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <optional>
#include <string>

#include "adu/core/domain.h"

namespace adu::systemd {

class Notifier {
 public:
  Notifier();

  bool enabled() const { return enabled_; }
  // The interval systemd expects WATCHDOG=1 within (WATCHDOG_USEC), if the watchdog is on.
  std::optional<Duration> watchdog_interval() const { return watchdog_; }

  void Ready() const;
  void Reloading() const;  // RELOADING=1 with MONOTONIC_USEC=
  void Stopping() const;
  void Status(const std::string& line) const;
  void Watchdog() const;

 private:
  void Send(const std::string& message) const;
  bool enabled_ = false;
  std::optional<Duration> watchdog_;
};

}  // namespace adu::systemd
