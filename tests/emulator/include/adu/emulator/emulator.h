// The Device Update emulator: an HTTP/1.1 server on 127.0.0.1 that serves a Scenario the way the
// Device Update data plane (and Entra ID / IMDS token endpoints) would. A test and benchmark tool;
// never installed. See docs/emulator.md.
//
// Thread-safety: Start() returns a running server; port(), StatsJson() and TimelineJson() may be
// called from any thread while it runs. Stop() (or the destructor) must be called from one thread
// only, not from inside a request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "adu/core/clock.h"
#include "adu/core/result.h"
#include "adu/emulator/scenario.h"

namespace adu::emulator {

struct EmulatorOptions {
  std::uint16_t port = 0;  // 0: pick a free port
  int threads = 1;         // I/O threads serving connections
  // Scenario seconds pass this many times faster than the clock (timelines and churn only; rate
  // limit windows, token lifetimes, Retry-After and fault delays stay in real seconds).
  double time_scale = 1.0;
  // The emulator's clock (timelines, rate limit windows, token expiry); nullptr = SystemClock().
  // Must outlive the emulator. Fault delays (stall, trickle) always use real time.
  const Clock* clock = nullptr;
  std::size_t max_request_body = 1 << 20;
};

class Emulator {
 public:
  // Binds 127.0.0.1:options.port and starts serving; an error when the port cannot be bound.
  static Result<std::unique_ptr<Emulator>> Start(Scenario scenario, EmulatorOptions options = {});
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  std::uint16_t port() const;
  std::string BaseUrl() const;  // "http://127.0.0.1:PORT"
  // Stops accepting, drops every connection and joins the I/O threads. Idempotent.
  void Stop();

  // The bodies of GET /_emulator/stats and GET /_emulator/timeline.
  std::string StatsJson() const;
  std::string TimelineJson() const;

  struct Impl;

 private:
  explicit Emulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace adu::emulator
