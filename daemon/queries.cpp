// check-config, status and history: short-lived subcommands that never start the engine.
#include "adu/storage/queries.h"

#include <cstdio>
#include <iostream>

#include "adu/config/config.h"
#include "daemon.h"
#include "database_dir.h"
#include "render.h"
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
  if (!config.ok()) return Fail(ExitCodeFor(config.status()), config.error());
  if (auto st = CheckDatabaseDirectory(config->database); !st.ok()) {
    return Fail(ExitCodeFor(st), st.message());
  }
  if (!cl.quiet) std::cout << config::Summary(*config);
  if (auto note = DatabaseLocationNote(config->database); note && !cl.quiet) {
    std::cerr << "adu-opwatch: " << *note << "\n";
  }
  return kExitOk;
}

int ShowStatus(const CommandLine& cl) {
  auto db = DatabasePath(cl);
  if (!db.ok()) return Fail(ExitCodeFor(db.status()), db.error());
  auto ops = storage::LoadStatus(*db);
  if (!ops.ok()) return Fail(ExitCodeFor(ops.status()), ops.error());
  std::cout << (cl.json ? RenderStatusJson(*ops) : RenderStatusTable(*ops));
  return kExitOk;
}

int ShowHistory(const CommandLine& cl) {
  auto db = DatabasePath(cl);
  if (!db.ok()) return Fail(ExitCodeFor(db.status()), db.error());
  OperationKey key;
  key.id = cl.operation_id;
  if (cl.kind) key.kind = *ParseKind(*cl.kind);
  auto history = storage::LoadHistory(*db, key, /*any_kind=*/!cl.kind.has_value());
  if (!history.ok()) return Fail(ExitCodeFor(history.status()), history.error());
  std::cout << (cl.json ? RenderHistoryJson(*history) : RenderHistoryText(*history));
  return kExitOk;
}

}  // namespace adu::daemon
