#include "metrics_runner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

// node_exporter's textfile collector reads the directory on every scrape; 15 s is the figure the
// issue asked for and keeps the file within one typical scrape interval.
constexpr Duration kTextfilePeriod = 15s;

// What the configuration must fix: exit 78 at start.
Status Keyed(const std::string& origin, const char* key, const Status& st) {
  return Status::Config(origin + ": " + key + ": " + st.message());
}

}  // namespace

MetricsRunner::MetricsRunner(Figures& figures, std::shared_ptr<spdlog::logger> logger)
    : source_(std::make_shared<metrics::FiguresCollectable>(figures, SystemClock(),
                                                            ADU_OPWATCH_VERSION)),
      log_(std::move(logger)) {}

MetricsRunner::~MetricsRunner() { Stop(); }

Status MetricsRunner::StartEndpoint(const config::MetricsConfig& wanted) {
  auto endpoint = metrics::MetricsEndpoint::Start(*wanted.listen, source_);
  if (!endpoint.ok()) return Keyed(wanted.listen_origin, "metrics.listen", endpoint.status());
  endpoint_ = std::move(*endpoint);
  log_->info("metrics: serving http://{}:{}/metrics", wanted.listen->host, endpoint_->port());
  return Status::Ok();
}

Status MetricsRunner::StartTextfile(const config::MetricsConfig& wanted) {
  if (Status st = metrics::TextfileWriter::CheckDirectory(*wanted.textfile); !st.ok()) {
    return Keyed(wanted.textfile_origin, "metrics.textfile", st);
  }
  textfile_ =
      std::make_unique<metrics::TextfileWriter>(*wanted.textfile, source_, kTextfilePeriod, log_);
  textfile_->Start();
  log_->info("metrics: writing {} every {} s", *wanted.textfile,
             std::chrono::duration_cast<std::chrono::seconds>(kTextfilePeriod).count());
  return Status::Ok();
}

Status MetricsRunner::Start(const config::MetricsConfig& wanted) {
  if (wanted.listen) {
    if (Status st = StartEndpoint(wanted); !st.ok()) return st;
  }
  if (wanted.textfile) {
    if (Status st = StartTextfile(wanted); !st.ok()) return st;
  }
  running_ = wanted;
  return Status::Ok();
}

void MetricsRunner::ApplyListen(const config::MetricsConfig& wanted, config::MetricsConfig& now) {
  if (wanted.listen == running_.listen) return;
  if (!wanted.listen) {
    endpoint_.reset();
    log_->info("metrics: endpoint stopped (metrics.listen removed)");
    now.listen.reset();
    return;
  }
  // The same port on another address: the old socket must go first.
  auto old = std::move(endpoint_);
  if (old && running_.listen->port == wanted.listen->port) old.reset();
  if (Status st = StartEndpoint(wanted); !st.ok()) {
    log_->error("reload: {}; still serving the previous setting", st.message());
    endpoint_ = std::move(old);
    if (!endpoint_ && running_.listen) {
      if (Status again = StartEndpoint(running_); !again.ok()) {
        log_->error("metrics: endpoint stopped: {}", again.message());
        now.listen.reset();
      }
    }
    return;
  }
  now.listen = wanted.listen;
  now.listen_origin = wanted.listen_origin;
}

void MetricsRunner::ApplyTextfile(const config::MetricsConfig& wanted, config::MetricsConfig& now) {
  if (wanted.textfile == running_.textfile) return;
  auto old = std::move(textfile_);
  if (wanted.textfile) {
    if (Status st = StartTextfile(wanted); !st.ok()) {
      log_->error("reload: {}; still writing the previous setting", st.message());
      textfile_ = std::move(old);
      return;
    }
  } else {
    log_->info("metrics: textfile no longer written (metrics.textfile removed)");
  }
  if (old) {
    old->Stop();
    // Ours, and stale from now on: node_exporter would go on exporting it.
    ::unlink(old->path().c_str());
  }
  now.textfile = wanted.textfile;
  now.textfile_origin = wanted.textfile_origin;
}

config::MetricsConfig MetricsRunner::Apply(const config::MetricsConfig& wanted) {
  config::MetricsConfig now = running_;
  ApplyListen(wanted, now);
  ApplyTextfile(wanted, now);
  running_ = now;
  return now;
}

void MetricsRunner::Stop() {
  if (textfile_) textfile_->Stop();
  textfile_.reset();
  endpoint_.reset();
}

}  // namespace adu::daemon
