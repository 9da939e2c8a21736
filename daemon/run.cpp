// `adu-opwatch run`: wiring, the signal/notify supervisor, reload.
//
// Threads: the engine thread (Engine::Run), the store writer thread, cpprest's I/O pool, and
// this main thread, which only waits in poll() on a signalfd, an eventfd the engine thread
// fires when it ends, and inotify for the watch file. It wakes on a timer only when systemd
// asked for watchdog pings or status lines.
#include <poll.h>
#include <signal.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "adu/client/counting_http_client.h"
#include "adu/client/cpprest_http_client.h"
#ifdef ADU_HAVE_CURL
#include "adu/client/curl_http_client.h"
#endif
#include "adu/client/device_update_client.h"
#include "adu/client/none_token_provider.h"
#include "adu/config/config.h"
#include "adu/core/engine.h"
#include "adu/core/store_writer.h"
#include "adu/storage/sqlite_store.h"
#include "adu/systemd/journal_sink.h"
#include "adu/systemd/notifier.h"
#include "daemon.h"
#include "metrics_runner.h"
#include "token_factory.h"

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "adu-opwatch: %s\n", message.c_str());
  return code;
}

std::shared_ptr<spdlog::logger> MakeLogger(const CommandLine& cl) {
  std::string target = cl.log_target.value_or("");
  if (target.empty()) target = std::getenv("JOURNAL_STREAM") != nullptr ? "journal" : "stderr";
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (target == "journal") {
    sink = std::make_shared<systemd::JournalSink>("adu-opwatch");
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc));
  }
  auto logger = std::make_shared<spdlog::logger>("adu-opwatch", sink);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

spdlog::level::level_enum LevelOf(const std::string& name) {
  if (name == "warn") return spdlog::level::warn;
  return spdlog::level::from_str(name);
}

EngineOptions EngineOptionsFrom(const config::Config& c) {
  EngineOptions o;
  o.interval = c.poll.interval;
  o.backoff_max = c.poll.backoff_max;
  o.max_concurrency = c.poll.max_concurrency;
  o.requests_per_minute = c.poll.requests_per_minute;
  o.list_requests_per_minute = c.poll.list_requests_per_minute;
  o.stop_on_terminal = c.poll.stop_on_terminal;
  // Benchmark hook (bench/b1.py, which compresses time): size the budgets' bursts as for the
  // uncompressed rates. Unset in production.
  if (const char* scale = std::getenv("ADU_OPWATCH_BENCH_TIME_SCALE")) {
    o.budget_time_scale = std::max(1.0, std::atof(scale));
  }
  switch (c.poll.use_list) {
    case config::UseList::kAuto:
      o.use_list = ListMode::kAuto;
      break;
    case config::UseList::kAlways:
      o.use_list = ListMode::kAlways;
      break;
    case config::UseList::kNever:
      o.use_list = ListMode::kNever;
      break;
  }
  return o;
}

// The configured limits, for adu_opwatch_budget_requests_per_minute.
void PublishBudgets(Figures& figures, const config::Config& c) {
  figures.SetBudget(RequestCall::kGet, c.poll.requests_per_minute);
  figures.SetBudget(RequestCall::kList, c.poll.list_requests_per_minute);
}

std::vector<WatchItem> WatchItemsFrom(const config::Config& c) {
  std::vector<WatchItem> items;
  items.reserve(c.watch.size());
  for (const auto& w : c.watch) items.push_back({w.key, w.interval});
  return items;
}

std::string StatusLine(const EngineStats& s, MonoTime now) {
  std::string line = "watching " + std::to_string(s.watched) +
                     " operations: " + std::to_string(s.in_flight_operations) + " in flight, " +
                     std::to_string(s.done) + " done";
  if (s.not_found > 0) line += ", " + std::to_string(s.not_found) + " not found";
  if (s.last_poll) {
    const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - *s.last_poll);
    line += "; last poll " + std::to_string(ago.count()) + "s ago";
  } else {
    line += "; no poll yet";
  }
  line += "; " + std::to_string(s.errors_last_hour) + " errors in the last hour";
  if (s.list_mode) line += "; list-based refresh";
  return line;
}

// Identity of a file's current content, for change detection without inotify.
struct FileStamp {
  bool exists = false;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  bool operator==(const FileStamp& o) const {
    return exists == o.exists && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

FileStamp StampOf(const std::string& path) {
  struct stat st {};
  FileStamp s;
  if (::stat(path.c_str(), &st) == 0) {
    s.exists = true;
    s.ino = st.st_ino;
    s.size = st.st_size;
    s.mtime = st.st_mtim;
  }
  return s;
}

// Test hook for the watchdog test: while this file exists the engine thread is held, as a
// stuck poll loop would be. Read once at start; unset in production.
void MaybeStallForTest() {
  static const char* stall_file = std::getenv("ADU_OPWATCH_TEST_STALL_FILE");
  if (stall_file == nullptr) return;
  while (::access(stall_file, F_OK) == 0) std::this_thread::sleep_for(100ms);
}

class Daemon {
 public:
  Daemon(const CommandLine& cl, config::Config config, std::shared_ptr<spdlog::logger> log)
      : cl_(cl), config_(std::move(config)), log_(std::move(log)) {}

  int Run();

 private:
  Status Open();
  void Supervise();
  void Reload(const char* why);
  void ReloadWatchFile();
  void ApplyLevel(const config::Config& c);
  void WatchTheWatchFile();
  void Tick(MonoTime now);

  const CommandLine& cl_;
  config::Config config_;
  std::shared_ptr<spdlog::logger> log_;
  systemd::Notifier notifier_;
  Figures figures_;  // first in, last out: everything below publishes into it
  MetricsRunner metrics_{figures_, log_};

  std::unique_ptr<storage::SqliteStore> store_;
  std::unique_ptr<client::HttpClient> http_;
  std::unique_ptr<client::HttpClient> token_http_;  // http_, counting answers as call "token"
  std::unique_ptr<TokenProvider> tokens_;
  std::unique_ptr<client::DeviceUpdateClient> service_;
  std::unique_ptr<StoreWriter> writer_;
  std::unique_ptr<Engine> engine_;

  int signal_fd_ = -1;
  int done_fd_ = -1;
  int inotify_fd_ = -1;
  int inotify_wd_ = -1;
  std::string watched_dir_;
  FileStamp watch_file_stamp_;
  std::optional<MonoTime> watch_reload_at_;
  MonoTime next_watchdog_{};
  MonoTime next_status_{};
  MonoTime next_stamp_check_{};
  bool stopping_ = false;
  int open_exit_ = kExitFailure;  // what Run() returns when Open() fails
};

Status Daemon::Open() {
  storage::StoreOptions so;
  // Short enough that a user's long write lock cannot hold a shutdown past systemd's patience;
  // the writer retries a failed batch, so nothing is lost by giving up early.
  so.busy_timeout = 1000ms;
  so.retention = config_.storage.retention;
  so.max_errors_per_operation = config_.storage.max_errors_per_operation;
  auto store = storage::SqliteStore::Open(config_.database, so);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);

  const std::string user_agent = std::string("adu-opwatch/") + ADU_OPWATCH_VERSION;
  if (config_.http.transport == config::HttpTransport::kCurl) {
#ifdef ADU_HAVE_CURL
    client::CurlOptions curl_options;
    curl_options.user_agent = user_agent;
    curl_options.max_connections = std::max(2, config_.poll.max_concurrency);
    http_ = client::MakeCurlHttpClient(curl_options);
#else
    open_exit_ = kExitConfig;
    return Status::Error("http.transport: curl: this build has no libcurl transport");
#endif
  } else {
    client::CpprestOptions http_options;
    http_options.user_agent = user_agent;
    http_ = client::MakeCpprestHttpClient(http_options);
  }

  token_http_ = std::make_unique<client::CountingHttpClient>(*http_, figures_, RequestCall::kToken);
  auto tokens = MakeTokenProvider(config_, *token_http_, log_);
  if (!tokens.ok()) {
    open_exit_ = kExitConfig;  // a missing or unreadable secret file is a configuration error
    return tokens.status();
  }
  tokens_ = std::move(*tokens);

  client::ClientOptions co;
  co.endpoint = config_.endpoint;
  co.instance_id = config_.instance_id;
  co.api_version = config_.api_version;
  co.request_timeout = config_.poll.request_timeout;
  co.figures = &figures_;
  service_ = std::make_unique<client::DeviceUpdateClient>(co, *http_, *tokens_);

  writer_ = std::make_unique<StoreWriter>(*store_, SystemClock(), log_);
  writer_->PublishFiguresTo(figures_);
  engine_ = std::make_unique<Engine>(EngineOptionsFrom(config_), *service_, *store_, *writer_,
                                     SystemClock(), log_, std::random_device{}());
  engine_->PublishFiguresTo(figures_);
  PublishBudgets(figures_, config_);
  if (Status st = metrics_.Start(config_.metrics); !st.ok()) {
    open_exit_ = kExitConfig;  // a port in use, a directory missing: the configuration's to fix
    return st;
  }
  return engine_->Start(WatchItemsFrom(config_));
}

int Daemon::Run() {
  if (auto st = Open(); !st.ok()) {
    log_->error("cannot start: {}", st.message());
    return open_exit_;
  }
  log_->info(
      "adu-opwatch {} starting: endpoint {}, instance {}, auth {}, api-version {}, {} watched "
      "operations, database {}",
      ADU_OPWATCH_VERSION, config_.endpoint, config_.instance_id,
      config::AuthMethodName(config_.auth.method), config_.api_version, config_.watch.size(),
      config_.database);
  if (config_.watch.empty()) {
    log_->info("the watch list is empty: idling until the watch file lists an operation");
  }
  writer_->Start();

  done_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  std::thread engine_thread([this] {
    engine_->Run(cl_.once, 1000ms);
    const uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(done_fd_, &one, sizeof one);
  });
  notifier_.Ready();
  Supervise();
  engine_thread.join();

  notifier_.Stopping();
  // Cancelled requests have drained in Engine::Run; what remains is the database.
  writer_->Stop(cl_.once ? Duration(30s) : Duration(500ms));
  metrics_.Stop();  // the textfile's last write holds the final figures
  service_.reset();
  http_.reset();
  if (writer_->Pending() > 0) {
    log_->error("{} results could not be written before exit", writer_->Pending());
  }
  log_->info("stopped");
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  ::close(done_fd_);
  if (signal_fd_ >= 0) ::close(signal_fd_);
  return kExitOk;
}

void Daemon::WatchTheWatchFile() {
  if (inotify_fd_ >= 0 && inotify_wd_ >= 0) {
    inotify_rm_watch(inotify_fd_, inotify_wd_);
    inotify_wd_ = -1;
  }
  watched_dir_.clear();
  if (!config_.watch_file) return;
  watch_file_stamp_ = StampOf(*config_.watch_file);
  if (inotify_fd_ < 0) inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) return;  // the mtime check in Tick() covers it
  // The directory, not the file: editors and config tools replace files by renaming.
  std::filesystem::path dir = std::filesystem::path(*config_.watch_file).parent_path();
  if (dir.empty()) dir = ".";
  inotify_wd_ = inotify_add_watch(
      inotify_fd_, dir.c_str(),
      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB | IN_MODIFY);
  if (inotify_wd_ >= 0) watched_dir_ = dir.string();
}

void Daemon::Supervise() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  signal_fd_ = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  WatchTheWatchFile();

  const MonoTime start = SystemClock().Now();
  next_watchdog_ = start;
  next_status_ = start;
  next_stamp_check_ = start + 2s;
  while (true) {
    const MonoTime now = SystemClock().Now();
    Tick(now);
    MonoTime wake = MonoTime::max();
    if (notifier_.watchdog_interval() && !stopping_) wake = std::min(wake, next_watchdog_);
    if (notifier_.enabled() && !stopping_) wake = std::min(wake, next_status_);
    if (watch_reload_at_) wake = std::min(wake, *watch_reload_at_);
    // Without inotify, look at the watch file's stamp every two seconds.
    if (config_.watch_file && inotify_wd_ < 0) wake = std::min(wake, next_stamp_check_);
    int timeout = -1;
    if (wake != MonoTime::max()) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wake - SystemClock().Now());
      timeout = static_cast<int>(std::clamp<int64_t>(ms.count(), 0, 60000));
    }
    pollfd fds[3] = {{signal_fd_, POLLIN, 0}, {done_fd_, POLLIN, 0}, {inotify_fd_, POLLIN, 0}};
    const int n = ::poll(fds, inotify_fd_ >= 0 ? 3 : 2, timeout);
    if (n < 0 && errno != EINTR) {
      log_->error("poll failed: {}", std::strerror(errno));
      engine_->RequestStop();
      return;
    }
    if (fds[1].revents & POLLIN) return;  // the engine thread has ended
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) {
          Reload("SIGHUP");
        } else {
          log_->info("received {}: stopping", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
          notifier_.Stopping();
          stopping_ = true;
          engine_->RequestStop();
        }
      }
    }
    if (inotify_fd_ >= 0 && (fds[2].revents & POLLIN)) {
      alignas(inotify_event) char buf[4096];
      const std::string base = std::filesystem::path(*config_.watch_file).filename().string();
      ssize_t len;
      while ((len = ::read(inotify_fd_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + len;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          if (ev->len > 0 && base == ev->name) watch_reload_at_ = SystemClock().Now() + 300ms;
          p += sizeof(inotify_event) + ev->len;
        }
      }
    }
  }
}

void Daemon::Tick(MonoTime now) {
  if (watch_reload_at_ && now >= *watch_reload_at_) {
    watch_reload_at_.reset();
    ReloadWatchFile();
  }
  if (config_.watch_file && inotify_wd_ < 0 && now >= next_stamp_check_) {
    next_stamp_check_ = now + 2s;
    if (!(StampOf(*config_.watch_file) == watch_file_stamp_)) ReloadWatchFile();
  }
  if (stopping_) return;
  if (auto wd = notifier_.watchdog_interval(); wd && now >= next_watchdog_) {
    // Ping only if the engine thread has run a step recently: it must have answered the
    // previous tick's nudge. A stuck loop stops the pings and systemd restarts us.
    const auto since = now - engine_->LastProgress();
    if (since < *wd / 2 + 1s)
      notifier_.Watchdog();
    else
      log_->error("poll loop has not made progress for {} ms: withholding the watchdog ping",
                  std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
    engine_->Post([] { MaybeStallForTest(); });
    next_watchdog_ = now + *wd / 2;
  }
  if (notifier_.enabled() && now >= next_status_) {
    notifier_.Status(StatusLine(engine_->Stats(), now));
    next_status_ = now + 5s;
  }
}

void Daemon::ApplyLevel(const config::Config& c) {
  log_->set_level(LevelOf(cl_.log_level.value_or(c.log_level)));
}

void Daemon::Reload(const char* why) {
  notifier_.Reloading();
  log_->info("{}: reloading {}", why, cl_.config_path);
  auto fresh = config::LoadConfig(cl_.config_path);
  if (!fresh.ok()) {
    log_->error("reload failed, keeping the running configuration: {}", fresh.error());
    notifier_.Ready();
    return;
  }
  config::Config next = std::move(*fresh);
  // These are bound into objects built at start; say so rather than half-apply them.
  auto keep = [&](const char* key, auto& running, auto& wanted) {
    if (running != wanted) {
      log_->warn("reload: {} changed; restart adu-opwatch to apply it (still using the old value)",
                 key);
      wanted = running;
    }
  };
  keep("database", config_.database, next.database);
  keep("endpoint", config_.endpoint, next.endpoint);
  keep("instance_id", config_.instance_id, next.instance_id);
  keep("api_version", config_.api_version, next.api_version);
  keep("poll.request_timeout", config_.poll.request_timeout, next.poll.request_timeout);
  if (config_.auth.method != next.auth.method || config_.auth.tenant_id != next.auth.tenant_id ||
      config_.auth.client_id != next.auth.client_id ||
      config_.auth.client_secret_file != next.auth.client_secret_file ||
      config_.auth.authority_host != next.auth.authority_host ||
      config_.auth.token_file != next.auth.token_file ||
      config_.auth.identity_endpoint != next.auth.identity_endpoint) {
    log_->warn("reload: auth changed; restart adu-opwatch to apply it (still using the old one)");
    next.auth = config_.auth;
  }
  if (next.storage.retention != config_.storage.retention ||
      next.storage.max_errors_per_operation != config_.storage.max_errors_per_operation) {
    log_->warn("reload: storage settings changed; restart adu-opwatch to apply them");
    next.storage = config_.storage;
  }
  next.metrics = metrics_.Apply(next.metrics);
  PublishBudgets(figures_, next);
  const bool watch_file_moved = next.watch_file != config_.watch_file;
  config_ = std::move(next);
  ApplyLevel(config_);
  auto options = EngineOptionsFrom(config_);
  auto items = WatchItemsFrom(config_);
  engine_->Post([engine = engine_.get(), options, items] {
    engine->UpdateOptions(options);
    engine->UpdateWatchList(items);
  });
  if (watch_file_moved) WatchTheWatchFile();
  if (config_.watch_file) watch_file_stamp_ = StampOf(*config_.watch_file);
  log_->info("configuration reloaded: {} watched operations", config_.watch.size());
  notifier_.Ready();
}

void Daemon::ReloadWatchFile() {
  if (!config_.watch_file) return;
  const FileStamp stamp = StampOf(*config_.watch_file);
  if (stamp == watch_file_stamp_) return;
  watch_file_stamp_ = stamp;
  log_->info("watch file {} changed: reloading the watch list", *config_.watch_file);
  // The whole configuration is read again so the watch file is merged and validated exactly as
  // at start; only the watch list is taken from it (other changes wait for SIGHUP).
  auto fresh = config::LoadConfig(cl_.config_path);
  if (!fresh.ok()) {
    log_->error("watch list not changed: {}", fresh.error());
    return;
  }
  config_.watch = fresh->watch;
  auto items = WatchItemsFrom(config_);
  engine_->Post([engine = engine_.get(), items] { engine->UpdateWatchList(items); });
}

}  // namespace

int RunDaemon(const CommandLine& cl) {
  // Before any thread exists, so every thread inherits the mask and only the signalfd sees them.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  // A parent may have left them ignored (nohup, a shell's `trap '' INT`); the signalfd must see
  // them.
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) ::signal(sig, SIG_DFL);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto config = config::LoadConfig(cl.config_path);
  if (!config.ok()) return Fail(kExitConfig, config.error());
  auto logger = MakeLogger(cl);
  logger->set_level(LevelOf(cl.log_level.value_or(config->log_level)));
  // cpprest's pool exists only when cpprest is the transport (it starts its threads on first use).
  // One I/O thread: plenty for a few requests in flight, and it serialises cpprest's socket
  // closes with its reads (see CancelOnIoThread in core/client/src/cpprest_http_client.cpp).
  if (config->http.transport == config::HttpTransport::kCpprest) InitializeIoThreads(1);
  Daemon daemon(cl, std::move(*config), logger);
  return daemon.Run();
}

}  // namespace adu::daemon
