// The daemon's side of `metrics:`: starts the Prometheus endpoint and the textfile writer from
// the configuration, changes them on reload, stops them at exit.
//
// Errors name the key and where it was written (`config.yaml:12:11: metrics.listen: cannot
// listen on 127.0.0.1:9469: port 9469 is in use by another program`). At start they are fatal
// (the daemon exits 78); on reload the running setting stays and the error is logged.
//
// Thread-safety: one thread (the daemon's main thread).
#pragma once

#include <memory>

#include "adu/config/config.h"
#include "adu/core/metrics.h"
#include "endpoint.h"
#include "families.h"
#include "textfile.h"

namespace spdlog {
class logger;
}

namespace adu::daemon {

class MetricsRunner {
 public:
  // `figures` must outlive this object.
  MetricsRunner(Figures& figures, std::shared_ptr<spdlog::logger> logger);
  ~MetricsRunner();  // Stop()s

  Status Start(const config::MetricsConfig& wanted);
  // What changed between the running settings and `wanted`, applied; returns the settings now
  // in force (the running ones where `wanted` could not be applied).
  config::MetricsConfig Apply(const config::MetricsConfig& wanted);
  // The textfile's last write (after the engine and the writer have stopped, so it holds the
  // final figures), then the endpoint closes.
  void Stop();

  int endpoint_port() const { return endpoint_ ? endpoint_->port() : 0; }

 private:
  Status StartEndpoint(const config::MetricsConfig& wanted);
  Status StartTextfile(const config::MetricsConfig& wanted);
  void ApplyListen(const config::MetricsConfig& wanted, config::MetricsConfig& now);
  void ApplyTextfile(const config::MetricsConfig& wanted, config::MetricsConfig& now);

  std::shared_ptr<metrics::FiguresCollectable> source_;
  std::shared_ptr<spdlog::logger> log_;
  config::MetricsConfig running_;
  std::unique_ptr<metrics::MetricsEndpoint> endpoint_;
  std::unique_ptr<metrics::TextfileWriter> textfile_;
};

}  // namespace adu::daemon
