#include "test_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adu/core/time_format.h"

namespace adu::storage::testing {

WallTime T(double seconds) {
  static const WallTime base = *ParseTimestamp("2026-11-27T08:00:00.000Z");
  return base + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

OperationKey Dev(const std::string& id) { return OperationKey{OperationKind::kDevice, id}; }
OperationKey Upd(const std::string& id) { return OperationKey{OperationKind::kUpdate, id}; }

std::string Body(const std::string& id, const std::string& status, const std::string& tag) {
  return R"({"operationId":")" + id + R"(","status":")" + status +
         R"(","lastActionDateTime":"2026-11-27T08:00:00.1234567+00:00","etag":"\")" + id + "-" +
         status + tag + R"(\""})";
}

PollRecord SnapshotRecord(const OperationKey& key, WallTime at, const std::string& status,
                          const std::string& body, OperationState state) {
  PollRecord r;
  r.key = key;
  r.at = at;
  r.state = state;
  r.next_poll_at = at + std::chrono::seconds(30);
  Snapshot s;
  s.key = key;
  s.observed_at = at;
  s.status = status;
  s.etag = "\"" + key.id + "-" + status + "\"";
  s.created_at = "2026-11-27T07:59:00.5+00:00";
  s.last_action_at = "2026-11-27T08:00:00.1234567+00:00";
  s.trace_id = "trace-" + key.id;
  if (status == "Failed") {
    s.error_code = "ImportFailed";
    s.error_message = "the manifest is invalid";
  }
  s.body = body;
  r.outcome = Changed{s, std::nullopt};
  return r;
}

PollRecord UnchangedRecord(const OperationKey& key, WallTime at, OperationState state) {
  PollRecord r;
  r.key = key;
  r.at = at;
  r.state = state;
  r.next_poll_at = at + std::chrono::seconds(30);
  return r;
}

PollRecord FailedRecord(const OperationKey& key, WallTime at, ErrorCategory category,
                        std::optional<int> http_status, const std::string& code,
                        const std::string& message) {
  PollRecord r;
  r.key = key;
  r.at = at;
  r.next_poll_at = at + std::chrono::seconds(60);
  PollError e;
  e.key = key;
  e.at = at;
  e.category = category;
  e.http_status = http_status;
  e.code = code;
  e.message = message;
  r.outcome = Failed{e, false};
  return r;
}

RawDb::RawDb(const std::string& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
  }
  sqlite3_busy_timeout(db_, 5000);
}

RawDb::~RawDb() { sqlite3_close_v2(db_); }

int RawDb::Exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  return rc;
}

std::vector<std::string> RawDb::Rows(const std::string& sql) {
  std::vector<std::string> rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot prepare: " << sql << ": " << sqlite3_errmsg(db_);
    return rows;
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      if (c) row += "|";
      const auto* t = sqlite3_column_text(stmt, c);
      row += t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    rows.push_back(row);
  }
  if (rc != SQLITE_DONE) ADD_FAILURE() << "query failed: " << sql << ": " << sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  return rows;
}

std::string RawDb::Text(const std::string& sql) {
  auto rows = Rows(sql);
  if (rows.empty() || rows[0] == "NULL") return "";
  return rows[0].substr(0, rows[0].find('|'));
}

int64_t RawDb::Int(const std::string& sql) {
  const std::string t = Text(sql);
  return t.empty() ? 0 : std::stoll(t);
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace adu::storage::testing
