#include "notifications.h"

#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "adu/client/webhook_target.h"
#include "adu/core/exec_target.h"
#include "adu/core/file_util.h"
#include "adu/core/posix_process_runner.h"
#include "adu/core/text.h"

namespace adu::daemon {

using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;

// The secret as the signing key: the file's content without surrounding whitespace (an editor's
// final newline is not part of it). "" when the entry names no secret file.
Result<std::string> ReadSecret(const config::NotifyTargetConfig& c) {
  if (!c.webhook || c.webhook->secret_file.empty()) return std::string();
  auto content = ReadSmallFile(c.webhook->secret_file, kMaxSecretBytes);
  if (!content) {
    return Status::Config(c.origin + ": notify " + c.name + ": cannot read the secret file " +
                          c.webhook->secret_file + ": " + content.error());
  }
  return std::string(TrimSpace(content->data));
}

adu::NotifyFormat FormatOf(config::NotifyFormat f) {
  switch (f) {
    case config::NotifyFormat::kJson:
      return adu::NotifyFormat::kJson;
    case config::NotifyFormat::kSlack:
      return adu::NotifyFormat::kSlack;
    case config::NotifyFormat::kTeams:
      return adu::NotifyFormat::kTeams;
  }
  return adu::NotifyFormat::kJson;
}

std::shared_ptr<NotifyTarget> Build(const config::NotifyTargetConfig& c, std::string secret,
                                    client::HttpClient& http, ProcessRunner& runner) {
  if (c.webhook) {
    client::WebhookOptions o;
    o.url = c.webhook->url;
    o.format = FormatOf(c.webhook->format);
    o.secret = std::move(secret);
    o.timeout = c.webhook->timeout;
    return std::make_shared<client::WebhookTarget>(c.name, std::move(o), http);
  }
  return std::make_shared<ExecTarget>(c.name, ExecOptions{c.exec, c.exec_timeout}, runner);
}

}  // namespace

Result<std::shared_ptr<NotifyTarget>> MakeNotifyTarget(const config::NotifyTargetConfig& config,
                                                       client::HttpClient& http,
                                                       ProcessRunner& runner) {
  auto secret = ReadSecret(config);
  if (!secret) return secret.status();
  return Build(config, std::move(*secret), http, runner);
}

NotifyRouting RoutingFrom(const config::Config& config) {
  NotifyRouting routing;
  routing.instance_id = config.instance_id;
  for (const auto& t : config.notify) routing.routes.push_back({t.name, t.on, t.on_any});
  return routing;
}

Notifications::Notifications(storage::SqliteStore& store, client::HttpClient& http,
                             std::shared_ptr<spdlog::logger> log)
    : store_(store),
      http_(http),
      log_(std::move(log)),
      runner_(std::make_unique<PosixProcessRunner>()) {}

Notifications::~Notifications() { Stop(); }

Result<std::unique_ptr<Notifications>> Notifications::Start(const config::Config& config,
                                                            storage::SqliteStore& store,
                                                            client::HttpClient& http,
                                                            Figures& figures,
                                                            std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<Notifications> n(new Notifications(store, http, log));
  // Every secret first: an unreadable one is a configuration error before anything starts.
  std::map<std::string, std::string> secrets;
  for (const auto& t : config.notify) {
    auto secret = ReadSecret(t);
    if (!secret) return secret.status();
    secrets[t.name] = std::move(*secret);
  }
  auto outbox = storage::SqliteOutbox::Open(config.database, 1000ms);
  if (!outbox) return outbox.status();
  n->outbox_ = std::move(*outbox);
  NotifyWorkerOptions options;
  options.retry_for = config.notify_retry_for;
  options.seed = std::random_device{}();
  n->worker_ = std::make_unique<NotifyWorker>(*n->outbox_, SystemClock(), log, options);
  n->worker_->PublishFiguresTo(figures);
  for (const auto& t : config.notify) {
    n->worker_->SetTarget(Build(t, secrets[t.name], http, *n->runner_));
    n->running_[t.name] = {t, secrets[t.name]};
  }
  n->worker_->AbandonUnknownTargets();
  store.SetNotifyRouting(RoutingFrom(config));
  NotifyWorker* worker = n->worker_.get();
  store.SetOutboxListener([worker] { worker->Wake(); });
  if (!config.notify.empty()) {
    log->info("notifications: {} targets, undelivered events retried for {} s",
              config.notify.size(),
              std::chrono::duration_cast<std::chrono::seconds>(config.notify_retry_for).count());
  }
  return n;
}

void Notifications::Apply(const config::Config& next) {
  worker_->SetRetryFor(next.notify_retry_for);
  ApplyTargets(next);
}

void Notifications::ApplyTargets(const config::Config& next) {
  std::set<std::string> wanted;
  for (const auto& t : next.notify) wanted.insert(t.name);
  // Routing first: a removed target gets no new row after its pending ones are abandoned.
  config::Config routed = next;
  routed.notify.clear();
  for (const auto& t : next.notify) {
    if (running_.count(t.name) || ReadSecret(t).ok()) routed.notify.push_back(t);
  }
  store_.SetNotifyRouting(RoutingFrom(routed));
  for (auto it = running_.begin(); it != running_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    worker_->RemoveTarget(it->first);
    it = running_.erase(it);
  }
  for (const auto& t : next.notify) {
    auto secret = ReadSecret(t);
    if (!secret) {
      log_->error("reload: {}; keeping the running target", secret.error());
      continue;
    }
    auto it = running_.find(t.name);
    if (it != running_.end() && it->second.first == t && it->second.second == *secret) continue;
    log_->info("notify {}: {}", t.name, it == running_.end() ? "added" : "changed");
    worker_->SetTarget(Build(t, *secret, http_, *runner_));
    running_[t.name] = {t, *secret};
  }
}

void Notifications::Stop() {
  if (worker_) worker_->Stop();
}

}  // namespace adu::daemon
