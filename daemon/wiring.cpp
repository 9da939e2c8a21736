#include "wiring.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "adu/client/counting_http_client.h"
#include "adu/client/cpprest_http_client.h"
#ifdef ADU_HAVE_CURL
#include "adu/client/curl_http_client.h"
#endif
#include "adu/systemd/journal_sink.h"
#include "options.h"
#include "token_factory.h"

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

Result<std::unique_ptr<storage::SqliteStore>> OpenStore(const config::Config& config) {
  storage::StoreOptions so;
  // Short enough that a user's long write lock cannot hold a shutdown past systemd's patience;
  // the writer retries a failed batch, so nothing is lost by giving up early.
  so.busy_timeout = 1000ms;
  so.retention = config.storage.retention;
  so.max_errors_per_operation = config.storage.max_errors_per_operation;
  return storage::SqliteStore::Open(config.database, so);
}

client::ClientOptions ClientOptionsFrom(const config::Config& config,
                                        std::shared_ptr<spdlog::logger> logger, Figures& figures) {
  client::ClientOptions co;
  co.endpoint = config.endpoint;
  co.instance_id = config.instance_id;
  co.api_version = config.api_version;
  co.request_timeout = config.poll.request_timeout;
  co.logger = logger;
  co.figures = &figures;
  return co;
}

}  // namespace

Result<std::unique_ptr<client::HttpClient>> MakeTransport(const config::Config& config) {
  const std::string user_agent = std::string("adu-opwatch/") + ADU_OPWATCH_VERSION;
  if (config.http.transport == config::HttpTransport::kCurl) {
#ifdef ADU_HAVE_CURL
    client::CurlOptions curl_options;
    curl_options.user_agent = user_agent;
    curl_options.max_connections = std::max(2, config.poll.max_concurrency);
    return client::MakeCurlHttpClient(curl_options);
#else
    return Status::Config("http.transport: curl: this build has no libcurl transport");
#endif
  }
  client::CpprestOptions http_options;
  http_options.user_agent = user_agent;
  return client::MakeCpprestHttpClient(http_options);
}

Result<Adapters> Wire(const config::Config& config, std::shared_ptr<spdlog::logger> log) {
  Adapters a;
  a.figures = std::make_unique<Figures>();
  PublishBudgets(config, *a.figures);
  auto store = OpenStore(config);
  if (!store) return store.status();
  a.store = std::move(*store);
  auto http = MakeTransport(config);
  if (!http) return http.status();
  a.http = std::move(*http);
  a.token_http =
      std::make_unique<client::CountingHttpClient>(*a.http, *a.figures, RequestCall::kToken);
  auto tokens = MakeTokenProvider(config, *a.token_http, log);
  if (!tokens) return tokens.status();
  a.tokens = std::move(*tokens);
  a.service = std::make_unique<client::DeviceUpdateClient>(
      ClientOptionsFrom(config, log, *a.figures), *a.http, *a.tokens);
  a.writer = std::make_unique<StoreWriter>(*a.store, SystemClock(), log);
  a.writer->PublishFiguresTo(*a.figures);
  a.engine = std::make_unique<Engine>(EngineOptionsFrom(config), *a.service, *a.writer,
                                      SystemClock(), log, std::random_device{}());
  a.engine->PublishFiguresTo(*a.figures);
  return a;
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::optional<std::string>& target_option,
                                           const std::string& identifier) {
  std::string target = target_option.value_or("");
  if (target.empty()) target = std::getenv("JOURNAL_STREAM") != nullptr ? "journal" : "stderr";
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (target == "journal") {
    sink = std::make_shared<systemd::JournalSink>(identifier);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %-5l %v", spdlog::pattern_time_type::utc));
  }
  auto logger = std::make_shared<spdlog::logger>("adu-opwatch", sink);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

}  // namespace adu::daemon
