// `adu-opwatch run`: the daemon's lifecycle.
//
// Threads: the engine thread (Engine::Run), the store writer thread, the HTTP transport's I/O
// thread, and this main thread, which runs the Supervisor (signals, the engine's end, the watch
// file, watchdog and status ticks) and applies reloads. The parts: wiring.h builds the adapters,
// supervisor.h is the main thread's loop, watch_file_monitor.h notices watch-file changes,
// reload.h says what a new configuration changes.
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "adu/client/cpprest_http_client.h"
#include "adu/config/config.h"
#include "daemon.h"
#include "database_dir.h"
#include "instance.h"
#include "metrics_runner.h"
#include "notifications.h"
#include "options.h"
#include "reload.h"
#include "signals.h"
#include "supervisor.h"
#include "watch_file_monitor.h"
#include "wiring.h"

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "adu-opwatch: %s\n", message.c_str());
  return code;
}

class Daemon {
 public:
  Daemon(const CommandLine& cl, const SupervisedSignals& signals, config::Config config,
         std::shared_ptr<spdlog::logger> log)
      : cl_(cl), signals_(signals), config_(std::move(config)), log_(std::move(log)) {}

  int Run();

 private:
  Status Start();
  void LogStart() const;
  void Supervise();
  void Shutdown();
  void Reload();
  void ReloadWatchFile();
  void ApplyLogLevel() { log_->set_level(LogLevelOf(cl_.log_level.value_or(config_.log_level))); }

  const CommandLine& cl_;
  const SupervisedSignals& signals_;
  config::Config config_;
  std::shared_ptr<spdlog::logger> log_;
  systemd::Notifier notifier_;
  Adapters adapters_;
  std::unique_ptr<MetricsRunner> metrics_;  // reads adapters_.figures: declared after, gone first
  // Uses adapters_.store, .http and .figures: declared after, gone first (stopped in Shutdown).
  std::unique_ptr<Notifications> notifications_;
  WatchFileMonitor watch_file_;
};

Status Daemon::Start() {
  // Retrying cannot help a read-only database directory: the unit or the configuration must
  // change (a configuration error, exit 78, so systemd stops restarting).
  if (Status st = CheckDatabaseDirectory(config_.database); !st.ok()) return st;
  auto wired = Wire(config_, log_);
  if (!wired) return wired.status();
  adapters_ = std::move(*wired);
  // Before the writer thread starts: every snapshot it writes is routed to the outbox.
  auto notifications =
      Notifications::Start(config_, *adapters_.store, *adapters_.http, *adapters_.figures, log_);
  if (!notifications) return notifications.status();
  notifications_ = std::move(*notifications);
  metrics_ = std::make_unique<MetricsRunner>(*adapters_.figures, log_);
  // A port in use, a directory missing: a configuration error (kConfig, exit 78).
  if (Status st = metrics_->Start(config_.metrics); !st.ok()) return st;
  // Read here, on this thread, before the writer thread owns the connection.
  auto records = adapters_.store->LoadOperations();
  if (!records.ok()) return records.status();
  adapters_.engine->Start(*records, WatchItemsFrom(config_));
  return Status::Ok();
}

void Daemon::LogStart() const {
  log_->info(
      "adu-opwatch {} starting: endpoint {}, instance {}, auth {}, api-version {}, {} watched "
      "operations, database {}",
      ADU_OPWATCH_VERSION, config_.endpoint, config_.instance_id,
      config::AuthMethodName(config_.auth.method), config_.api_version, config_.watch.size(),
      config_.database);
  if (config_.watch.empty()) {
    log_->info("the watch list is empty: idling until the watch file lists an operation");
  }
}

int Daemon::Run() {
  if (Status st = Start(); !st.ok()) {
    log_->error("cannot start: {}", st.message());
    return ExitCodeFor(st);
  }
  LogStart();
  adapters_.writer->Start();
  Supervise();
  Shutdown();
  return kExitOk;
}

// The engine thread runs until it is asked to stop (or --once is done); this thread supervises
// it meanwhile.
void Daemon::Supervise() {
  const int engine_done = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  std::thread engine_thread([this, engine_done] {
    adapters_.engine->Run(cl_.once, 1000ms);
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(engine_done, &one, sizeof one);
  });
  notifier_.Ready();
  {
    Supervisor supervisor(signals_, engine_done, *adapters_.engine, notifier_, watch_file_,
                          {[this] { Reload(); }, [this] { ReloadWatchFile(); }}, log_,
                          StatusPrefix(cl_.instance));
    watch_file_.Watch(config_.watch_file, SystemClock().Now());
    supervisor.Run();
  }
  engine_thread.join();
  ::close(engine_done);
}

void Daemon::Shutdown() {
  notifier_.Stopping();
  // Cancelled requests have drained in Engine::Run; what remains is the database.
  adapters_.writer->Stop(cl_.once ? Duration(30s) : Duration(500ms));
  // After the writer (it wakes the worker), before the HTTP transport (webhooks use it). An
  // attempt in flight finishes first (bounded by its target's timeout); whatever is still
  // pending is delivered after the next start.
  notifications_->Stop();
  metrics_->Stop();  // the textfile's last write holds the final figures
  adapters_.service.reset();
  adapters_.http.reset();
  if (adapters_.writer->Pending() > 0) {
    log_->error("{} results could not be written before exit", adapters_.writer->Pending());
  }
  log_->info("stopped");
}

void Daemon::Reload() {
  notifier_.Reloading();
  log_->info("SIGHUP: reloading {}", cl_.config_path);
  auto fresh = config::LoadConfig(cl_.config_path);
  if (!fresh.ok()) {
    log_->error("reload failed, keeping the running configuration: {}", fresh.error());
    notifier_.Ready();
    return;
  }
  ApplyInstanceDefaults(cl_.instance, *fresh);  // as at start, or the database seems to change
  ReloadPlan plan = Diff(config_, std::move(*fresh));
  for (const auto& key : plan.needs_restart) {
    // Bound into objects built at start; say so rather than half-apply it.
    log_->warn("reload: {} changed; restart adu-opwatch to apply it (still using the old value)",
               key);
  }
  // What cannot be applied (a port in use) keeps its running value, logged by the runner.
  plan.applied.metrics = metrics_->Apply(plan.applied.metrics);
  PublishBudgets(plan.applied, *adapters_.figures);
  notifications_->Apply(plan.applied);
  config_ = std::move(plan.applied);
  if (plan.log_level_changed) ApplyLogLevel();
  Engine* engine = adapters_.engine.get();
  if (plan.engine_options_changed) {
    engine->Post(
        [engine, options = EngineOptionsFrom(config_)] { engine->UpdateOptions(options); });
  }
  if (plan.watch_list_changed) {
    engine->Post([engine, items = WatchItemsFrom(config_)] { engine->UpdateWatchList(items); });
  }
  if (plan.watch_file_moved) watch_file_.Watch(config_.watch_file, SystemClock().Now());
  watch_file_.Rebaseline();  // just read: its current content is applied
  log_->info("configuration reloaded: {} watched operations", config_.watch.size());
  notifier_.Ready();
}

void Daemon::ReloadWatchFile() {
  if (!config_.watch_file) return;
  log_->info("watch file {} changed: reloading the watch list", *config_.watch_file);
  // The whole configuration is read again so the watch file is merged and validated exactly as
  // at start; only the watch list is taken from it (other changes wait for SIGHUP).
  auto fresh = config::LoadConfig(cl_.config_path);
  if (!fresh.ok()) {
    log_->error("watch list not changed: {}", fresh.error());
    return;
  }
  config_.watch = fresh->watch;
  Engine* engine = adapters_.engine.get();
  engine->Post([engine, items = WatchItemsFrom(config_)] { engine->UpdateWatchList(items); });
}

}  // namespace

int RunDaemon(const CommandLine& cl) {
  // Before any thread exists (the mask is inherited by every thread started later).
  const SupervisedSignals signals = SupervisedSignals::BlockBeforeThreads();
  auto config = config::LoadConfig(cl.config_path);
  if (!config.ok()) return Fail(ExitCodeFor(config.status()), config.error());
  ApplyInstanceDefaults(cl.instance, *config);
  auto logger = MakeLogger(cl.log_target, LogIdentifier(cl.instance));
  logger->set_level(LogLevelOf(cl.log_level.value_or(config->log_level)));
  // cpprest's pool exists only when cpprest is the transport (it starts its threads on first use).
  // One I/O thread: plenty for a few requests in flight, and it serialises cpprest's socket
  // closes with its reads (see CancelOnIoThread in core/client/http/cpprest/src/).
  if (config->http.transport == config::HttpTransport::kCpprest) {
    client::InitializeCpprestIoThreads(1);
  }
  Daemon daemon(cl, signals, std::move(*config), logger);
  return daemon.Run();
}

}  // namespace adu::daemon
