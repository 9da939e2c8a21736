// The Prometheus endpoint: GET /metrics over HTTP, served by prometheus-cpp's embedded server
// (civetweb) on its own two threads.
//
// A scrape only calls the collectable's Collect(), which copies the figures (atomics and a short
// mutex, see adu/core/metrics.h): a slow or stuck client ties up one of the server's threads,
// never the engine. Requests that take longer than the server's request timeout are dropped.
//
// Thread-safety: Start() and the destructor from one thread (the daemon's main thread).
#pragma once

#include <prometheus/collectable.h>

#include <memory>

#include "adu/config/config.h"
#include "adu/core/result.h"

namespace prometheus {
class Exposer;
}

namespace adu::metrics {

class MetricsEndpoint {
 public:
  // Listens on `address` and serves `collectable` at /metrics. The error says why it cannot
  // (the port is in use, a port below 1024 without the capability, an address that is not
  // this machine's), without a key path.
  static Result<std::unique_ptr<MetricsEndpoint>> Start(
      const config::ListenAddress& address, std::shared_ptr<prometheus::Collectable> collectable);
  ~MetricsEndpoint();  // stops listening; waits for scrapes in progress to end

  const config::ListenAddress& address() const { return address_; }
  int port() const { return port_; }  // the one chosen when address().port is 0

 private:
  MetricsEndpoint() = default;
  config::ListenAddress address_;
  int port_ = 0;
  std::shared_ptr<prometheus::Collectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace adu::metrics
