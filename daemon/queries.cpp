// check-config, status and history: short-lived subcommands that never start the engine.
#include <cstdio>
#include <iostream>

#include "adu/config/config.h"
#include "adu/storage/report.h"
#include "daemon.h"
#include "database_dir.h"
#include "start_condition.h"

namespace adu::daemon {
namespace {

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "adu-opwatch: %s\n", message.c_str());
  return code;
}

// The database path from --db, else from the configuration.
Result<std::string> DatabasePath(const CommandLine& cl) {
  if (cl.db) return *cl.db;
  auto config = config::LoadConfig(cl.config_path);
  if (!config.ok()) return config.status();
  return config->database;
}

}  // namespace

int CheckConfig(const CommandLine& cl) {
  if (cl.condition) return StartConditionExit(cl.config_path);
  auto config = config::LoadConfig(cl.config_path);
  if (!config.ok()) return Fail(kExitConfig, config.error());
  if (auto st = CheckDatabaseDirectory(config->database); !st.ok()) {
    return Fail(kExitConfig, st.message());
  }
  if (!cl.quiet) std::cout << config::Summary(*config);
  if (auto note = DatabaseLocationNote(config->database); note && !cl.quiet) {
    std::cerr << "adu-opwatch: " << *note << "\n";
  }
  return kExitOk;
}

int ShowStatus(const CommandLine& cl) {
  auto db = DatabasePath(cl);
  if (!db.ok()) return Fail(kExitConfig, db.error());
  auto text = storage::RenderStatus(*db, cl.json);
  if (!text.ok()) return Fail(kExitFailure, text.error());
  std::cout << *text;
  return kExitOk;
}

int ShowHistory(const CommandLine& cl) {
  auto db = DatabasePath(cl);
  if (!db.ok()) return Fail(kExitConfig, db.error());
  OperationKey key;
  key.id = cl.operation_id;
  if (cl.kind) key.kind = *ParseKind(*cl.kind);
  auto text = storage::RenderHistory(*db, key, cl.json, /*any_kind=*/!cl.kind.has_value());
  if (!text.ok()) return Fail(kExitFailure, text.error());
  std::cout << *text;
  return kExitOk;
}

}  // namespace adu::daemon
