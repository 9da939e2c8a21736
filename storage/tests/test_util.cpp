#include "test_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adu/core/time_format.h"
#include "schema.h"

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
  // As the codec hands them over: normalised (the body keeps what the service sent).
  s.created_at = "2026-11-27T07:59:00.500Z";
  s.last_action_at = "2026-11-27T08:00:00.123Z";
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

// Verbatim: what files written by version 2 look like, whatever the code says today.
constexpr const char* kVersion2Schema = R"sql(
CREATE TABLE operations (
  operation_id    TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  status          TEXT,
  etag            TEXT,
  state           TEXT NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'terminal', 'not_found', 'unwatched')),
  first_seen_at   TEXT NOT NULL,
  last_polled_at  TEXT,
  last_changed_at TEXT,
  next_poll_at    TEXT,
  polls           INTEGER NOT NULL DEFAULT 0,
  not_modified    INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  UNIQUE (kind, operation_id)
);
CREATE TABLE snapshots (
  id             INTEGER PRIMARY KEY,
  operation_id   TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  observed_at    TEXT NOT NULL,
  status         TEXT,
  etag           TEXT,
  created_at     TEXT,
  last_action_at TEXT,
  error_code     TEXT,
  error_message  TEXT,
  trace_id       TEXT,
  body           TEXT NOT NULL
);
CREATE TABLE poll_errors (
  id           INTEGER PRIMARY KEY,
  operation_id TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('device', 'update')),
  at           TEXT NOT NULL,
  category     TEXT NOT NULL
               CHECK (category IN ('http', 'network', 'timeout', 'parse', 'auth', 'throttled')),
  http_status  INTEGER,
  code         TEXT,
  message      TEXT NOT NULL
);
CREATE VIEW transitions AS
SELECT operation_id, kind, from_status, to_status, at, snapshot_id
FROM (
  SELECT operation_id, kind,
         LAG(status) OVER w AS from_status,
         status AS to_status,
         observed_at AS at,
         id AS snapshot_id,
         ROW_NUMBER() OVER w AS n
  FROM snapshots
  WINDOW w AS (PARTITION BY kind, operation_id ORDER BY id)
)
WHERE n = 1 OR from_status IS NOT to_status;
CREATE INDEX snapshots_by_operation ON snapshots (kind, operation_id, id);
CREATE INDEX poll_errors_by_operation ON poll_errors (kind, operation_id, id);
CREATE INDEX poll_errors_by_time ON poll_errors (at);
CREATE INDEX operations_by_state ON operations (state);
PRAGMA user_version = 2;
)sql";

void CreateVersion2Database(const std::string& path) {
  RawDb db(path);
  ASSERT_EQ(db.Exec("PRAGMA journal_mode = WAL"), SQLITE_OK);
  ASSERT_EQ(db.Exec(kVersion2Schema), SQLITE_OK) << sqlite3_errmsg(db.get());
}

void CreateDatabaseAtVersion(const std::string& path, int version) {
  RawDb db(path);
  ASSERT_EQ(db.Exec("PRAGMA journal_mode = WAL"), SQLITE_OK);
  Status st = internal::MigrateToVersionForTest(db.get(), path, version);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(db.Int("PRAGMA user_version"), version);
}

const char* const kWindowTransitionsQuery = R"sql(
SELECT operation_id, kind, from_status, to_status, at, snapshot_id
FROM (
  SELECT operation_id, kind, LAG(status) OVER w AS from_status, status AS to_status,
         observed_at AS at, id AS snapshot_id, ROW_NUMBER() OVER w AS n
  FROM snapshots
  WINDOW w AS (PARTITION BY kind, operation_id ORDER BY id)
)
WHERE n = 1 OR from_status IS NOT to_status
ORDER BY snapshot_id
)sql";

}  // namespace adu::storage::testing

namespace adu::storage::testing {

const char* const kErrorsByCategoryAggregate = R"sql(
SELECT category, http_status, count(*) AS n, max(at) AS last_at
FROM poll_errors
GROUP BY category, http_status
ORDER BY n DESC, category, http_status)sql";

const char* const kFailureReasonsAggregate = R"sql(
SELECT s.error_code, count(*) AS operations, max(s.error_message) AS example_message
FROM operations AS o
JOIN snapshots AS s ON s.id = o.latest_snapshot_id
WHERE o.status = 'Failed'
GROUP BY s.error_code
ORDER BY operations DESC, s.error_code)sql";

unsigned RandomHistory::Next(unsigned n) {
  state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;  // a 64-bit LCG
  return static_cast<unsigned>((state_ >> 33) % n);
}

std::string RandomHistory::Step() {
  const std::string op = Pick({"'a'", "'b'", "'c'", "'d'", "'e'"});
  const std::string kind = Pick({"'device'", "'update'"});
  const std::string key = "kind = " + kind + " AND operation_id = " + op;
  const std::string status = Pick({"'Failed'", "'Failed'", "'Running'", "'Succeeded'", "NULL"});
  const std::string code = Pick({"NULL", "'A'", "'B'", "'C'"});
  const std::string message = Pick({"NULL", "'m1'", "'m2'", "'m3'"});
  const std::string at = Pick(
      {"'2026-01-01T00:00:01.000Z'", "'2026-01-01T00:00:02.000Z'", "'2026-01-01T00:00:03.000Z'"});
  const std::string nth = std::to_string(Next(8));
  std::string sql;
  switch (Next(10)) {
    case 0:
    case 1:
      sql =
          "INSERT INTO poll_errors (operation_id, kind, at, category, http_status, message) "
          "VALUES (" +
          op + ", " + kind + ", " + at + ", " + Pick({"'http'", "'network'"}) + ", " +
          Pick({"NULL", "404", "503"}) + ", 'x')";
      break;
    case 2:
      sql =
          "DELETE FROM poll_errors WHERE id = (SELECT id FROM poll_errors ORDER BY id LIMIT 1 "
          "OFFSET " +
          nth + ")";
      break;
    case 3:
    case 4:  // the daemon's order: the snapshot, then the operation points at it
      sql = "INSERT INTO operations (operation_id, kind, state, first_seen_at) VALUES (" + op +
            ", " + kind + ", 'active', " + at +
            ") ON CONFLICT DO NOTHING; "
            "INSERT INTO snapshots (operation_id, kind, observed_at, status, error_code, "
            "error_message, body) VALUES (" +
            op + ", " + kind + ", " + at + ", " + status + ", " + code + ", " + message +
            ", '{}'); "
            "UPDATE operations SET status = " +
            status +
            ", latest_snapshot_id = "
            "last_insert_rowid() WHERE " +
            key;
      break;
    case 5:
      sql = "UPDATE operations SET status = " + status + " WHERE " + key;
      break;
    case 6:
      sql =
          "DELETE FROM snapshots WHERE id = (SELECT id FROM snapshots ORDER BY id DESC LIMIT 1 "
          "OFFSET " +
          std::to_string(Next(3)) + ")";
      break;
    case 7:
      sql = "UPDATE snapshots SET error_code = " + code + ", error_message = " + message +
            " WHERE id = (SELECT id FROM snapshots ORDER BY id LIMIT 1 OFFSET " + nth + ")";
      break;
    case 8:
      sql = "DELETE FROM operations WHERE " + key;
      break;
    default:  // an operation pointed at an existing snapshot (possibly not its own) or none
      sql = "UPDATE operations SET latest_snapshot_id = " +
            Pick({"NULL", "(SELECT max(id) FROM snapshots)", "(SELECT min(id) FROM snapshots)"}) +
            " WHERE " + key;
  }
  EXPECT_EQ(db_.Exec(sql), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db_.get());
  return sql;
}

}  // namespace adu::storage::testing
