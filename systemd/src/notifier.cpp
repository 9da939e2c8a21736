#include "adu/systemd/notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>

namespace adu::systemd {

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // unset_environment=0: the variables stay for anything the daemon might exec.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::duration_cast<Duration>(std::chrono::microseconds(usec));
  }
}

void Notifier::Send(const std::string& message) const {
  if (enabled_) sd_notify(0, message.c_str());
}

void Notifier::Ready() const { Send("READY=1"); }

void Notifier::Reloading() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t usec =
      static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void Notifier::Stopping() const { Send("STOPPING=1"); }

void Notifier::Status(const std::string& line) const {
  std::string clean = line;
  for (char& c : clean) {
    if (c == '\n') c = ' ';
  }
  Send("STATUS=" + clean);
}

void Notifier::Watchdog() const { Send("WATCHDOG=1"); }

}  // namespace adu::systemd
