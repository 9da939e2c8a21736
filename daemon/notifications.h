// The daemon's notifications: the targets built from `notify:`, the outbox connection, the
// delivery worker and the routing the store writes outbox rows by. Built at start (after the
// store is open, before the writer thread starts), changed by reload, stopped before the HTTP
// transport goes away.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "adu/client/http_client.h"
#include "adu/config/config.h"
#include "adu/core/metrics.h"
#include "adu/core/notify.h"
#include "adu/core/notify_worker.h"
#include "adu/storage/sqlite_outbox.h"
#include "adu/storage/sqlite_store.h"

namespace spdlog {
class logger;
}

namespace adu::daemon {

// One configured target, built (its secret read). kConfig when the secret file cannot be read.
Result<std::shared_ptr<NotifyTarget>> MakeNotifyTarget(const config::NotifyTargetConfig& config,
                                                       client::HttpClient& http,
                                                       ProcessRunner& runner);

// The store's routing for `config`: every target's `on` set, and the instance id.
NotifyRouting RoutingFrom(const config::Config& config);

class Notifications {
 public:
  // Opens the outbox next to `store`, builds every target and starts their lanes; the store
  // writes outbox rows by the configuration's routing from now on and wakes the worker after
  // each. Pending events of targets no longer configured are abandoned.
  static Result<std::unique_ptr<Notifications>> Start(const config::Config& config,
                                                      storage::SqliteStore& store,
                                                      client::HttpClient& http, Figures& figures,
                                                      std::shared_ptr<spdlog::logger> log);
  ~Notifications();

  // A reload: removed targets stop (their pending events abandoned "target removed"), added
  // ones start with only events stored from now on, changed ones restart with the new settings.
  // A target that cannot be built (its secret unreadable) keeps its running version.
  void Apply(const config::Config& next);
  // Stops every lane (after its attempt in flight).
  void Stop();

 private:
  Notifications(storage::SqliteStore& store, client::HttpClient& http,
                std::shared_ptr<spdlog::logger> log);
  void ApplyTargets(const config::Config& next);

  storage::SqliteStore& store_;
  client::HttpClient& http_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<ProcessRunner> runner_;
  std::unique_ptr<storage::SqliteOutbox> outbox_;
  std::unique_ptr<NotifyWorker> worker_;
  // What each running lane was built from (with its secret's content, so a rotated secret in the
  // same file restarts the lane on reload).
  std::map<std::string, std::pair<config::NotifyTargetConfig, std::string>> running_;
};

}  // namespace adu::daemon
