// Wiring: the one place that constructs the concrete adapters (SQLite store, HTTP transport,
// token provider, Device Update client, journal or stderr logger) and hands them to the engine.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adu/client/device_update_client.h"
#include "adu/client/http_client.h"
#include "adu/config/config.h"
#include "adu/core/engine.h"
#include "adu/core/metrics.h"
#include "adu/core/store_writer.h"
#include "adu/core/token_provider.h"
#include "adu/storage/sqlite_store.h"

namespace spdlog {
class logger;
}

namespace adu::daemon {

// Everything `run` drives, in construction order (each refers only to those above it; members
// are destroyed bottom-up, so the engine goes first and the store last).
struct Adapters {
  std::unique_ptr<Figures> figures;  // first in, last out: everything below publishes into it
  std::unique_ptr<storage::SqliteStore> store;
  std::unique_ptr<client::HttpClient> http;
  std::unique_ptr<client::HttpClient> token_http;  // `http`, counting answers as call "token"
  std::unique_ptr<TokenProvider> tokens;
  std::unique_ptr<client::DeviceUpdateClient> service;
  std::unique_ptr<StoreWriter> writer;
  std::unique_ptr<Engine> engine;
};

// Opens the database and builds the rest; nothing is started. Errors carry their code: kConfig
// for what the configuration must fix (a transport this build lacks, a missing secret file),
// the store's own codes for the database.
Result<Adapters> Wire(const config::Config& config, std::shared_ptr<spdlog::logger> log);

// The HTTP transport `http.transport` names (kConfig when this build lacks it).
Result<std::unique_ptr<client::HttpClient>> MakeTransport(const config::Config& config);

// `target` "journal" | "stderr"; empty: the journal when systemd started us ($JOURNAL_STREAM).
std::shared_ptr<spdlog::logger> MakeLogger(const std::optional<std::string>& target,
                                           const std::string& identifier);

}  // namespace adu::daemon
