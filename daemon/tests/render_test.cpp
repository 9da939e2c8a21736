// What `adu-opwatch status` and `adu-opwatch history` print, from rows as storage returns them.
// The rows are those of the database storage/tests/queries_test.cpp builds; the expected text is
// the output of the version that rendered inside storage/, byte for byte.
#include "../render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <sstream>

namespace adu::daemon {
namespace {

using storage::History;
using storage::OperationRow;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

OperationRow Row(std::string id, std::string kind, std::optional<std::string> status,
                 std::string state) {
  OperationRow r;
  r.operation_id = std::move(id);
  r.kind = std::move(kind);
  r.status = std::move(status);
  r.state = std::move(state);
  r.first_seen_at = "2026-11-27T08:00:00.000Z";
  return r;
}

std::string Body(const std::string& id, const std::string& status) {
  return R"({"operationId":")" + id + R"(","status":")" + status +
         R"(","lastActionDateTime":"2026-11-27T08:00:00.1234567+00:00","etag":"\")" + id + "-" +
         status + R"(\""})";
}

std::vector<OperationRow> StatusRows() {
  OperationRow done = Row("11111111-aaaa", "device", "Succeeded", "terminal");
  done.etag = "\"11111111-aaaa-Succeeded\"";
  done.last_polled_at = done.last_changed_at = "2026-11-27T08:01:01.000Z";
  done.next_poll_at = "2026-11-27T08:01:31.000Z";
  done.polls = 2;
  OperationRow weird = Row("weird", "device", std::nullopt, "active");
  weird.origin = "watch_file";
  OperationRow running = Row("u-2", "update", "Running", "active");
  running.origin = "discovered";
  running.etag = "\"u-2-Running\"";
  running.last_changed_at = "2026-11-27T08:00:01.000Z";
  running.last_polled_at = "2026-11-27T08:01:02.000Z";
  running.next_poll_at = "2026-11-27T08:01:32.000Z";
  running.polls = 2;
  running.errors = 1;
  running.last_error = "http 500 Boom: said \"no\"\n";
  return {done, weird, running};
}

storage::SnapshotRow Snapshot(int64_t id, const std::string& at, const std::string& status) {
  storage::SnapshotRow s;
  s.id = id;
  s.observed_at = at;
  s.status = status;
  s.etag = "\"11111111-aaaa-" + status + "\"";
  s.last_action_at = "2026-11-27T08:00:00.123Z";
  s.body = Body("11111111-aaaa", status);
  return s;
}

History DoneHistory() {
  History h;
  h.operation = StatusRows()[0];
  h.transitions = {{std::nullopt, "NotStarted", "2026-11-27T08:00:01.000Z"},
                   {"NotStarted", "Succeeded", "2026-11-27T08:01:01.000Z"}};
  h.snapshots = {Snapshot(1, "2026-11-27T08:00:01.000Z", "NotStarted"),
                 Snapshot(3, "2026-11-27T08:01:01.000Z", "Succeeded")};
  return h;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Many rows of every shape a cell can take: GUIDs, multi-byte UTF-8, control characters,
// invalid UTF-8, NULLs, timestamps in and out of the canonical form, counters of any width.
std::vector<OperationRow> ManyRows(int n) {
  const std::vector<std::optional<std::string>> texts = {std::nullopt,
                                                         "Running",
                                                         "Succeeded",
                                                         "Fa\xc3\xafled",
                                                         "bad \xff utf8",
                                                         "tab\there",
                                                         "esc\x1b[2J",
                                                         "\xe2\x82\xac euro",
                                                         "",
                                                         "quote \" back \\ slash",
                                                         "\xf0\x9f\x98\x80",
                                                         "trunc \xe2\x82",
                                                         "del \x7f"};
  const std::vector<std::optional<std::string>> times = {
      std::nullopt, "2026-11-27T08:26:56.005Z", "2026-01-02T03:04:05.678Z",
      "yesterday",  "2026-11-27 08:26:56",      "2026-11-27T08:26:56.005+0"};
  std::vector<OperationRow> rows;
  uint64_t x = 88172645463325252ULL;
  auto next = [&](size_t m) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    return static_cast<size_t>(x % m);
  };
  for (int i = 0; i < n; ++i) {
    OperationRow r;
    char id[40];
    std::snprintf(id, sizeof id, "%08x-%04x-4abc-8def-%012x",
                  static_cast<unsigned>(i * 2654435761u), i & 0xffff,
                  static_cast<unsigned>(i) * 7919u);
    r.operation_id = next(10) == 0 ? texts[1 + next(texts.size() - 1)].value() + id : id;
    r.kind = next(2) ? "device" : "update";
    r.status = texts[next(texts.size())];
    r.etag = texts[next(texts.size())];
    r.state = next(5) == 0 ? "not_found" : "terminal";
    r.first_seen_at = times[next(times.size())];
    r.last_polled_at = times[next(times.size())];
    r.last_changed_at = times[next(times.size())];
    r.next_poll_at = times[next(times.size())];
    r.polls = static_cast<int64_t>(next(1000000));
    r.not_modified = static_cast<int64_t>(next(1000));
    r.errors = next(3) == 0 ? static_cast<int64_t>(next(100000)) : 0;
    r.last_error = texts[next(texts.size())];
    rows.push_back(std::move(r));
  }
  return rows;
}

// FNV-1a: a fingerprint of a long output.
uint64_t Fingerprint(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

TEST(RenderTest, StatusTableIsAligned) {
  const auto lines = Lines(RenderStatusTable(StatusRows()));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "ID             KIND    STATUS     STATE     ORIGIN      LAST CHANGE (UTC)    "
            "LAST POLL (UTC)      ERRORS");
  EXPECT_EQ(lines[1],
            "11111111-aaaa  device  Succeeded  terminal  config      2026-11-27 08:01:01  "
            "2026-11-27 08:01:01  0");
  EXPECT_EQ(lines[2],
            "weird          device  -          active    watch_file  -                    "
            "-                    0");
  EXPECT_EQ(lines[3],
            "u-2            update  Running    active    discovered  2026-11-27 08:00:01  "
            "2026-11-27 08:01:02  1");
}

TEST(RenderTest, StatusJsonCarriesEveryColumnEscaped) {
  const std::string out = RenderStatusJson(StatusRows());
  EXPECT_THAT(out,
              StartsWith("[{\"operation_id\":\"11111111-aaaa\",\"kind\":\"device\","
                         "\"status\":\"Succeeded\",\"etag\":\"\\\"11111111-aaaa-Succeeded\\\"\","
                         "\"state\":\"terminal\",\"origin\":\"config\",\"first_seen_at\":\"2026-11-"
                         "27T08:00:00.000Z\","
                         "\"last_polled_at\":\"2026-11-27T08:01:01.000Z\","
                         "\"last_changed_at\":\"2026-11-27T08:01:01.000Z\","
                         "\"next_poll_at\":\"2026-11-27T08:01:31.000Z\",\"polls\":2,"
                         "\"not_modified\":0,\"errors\":0,\"last_error\":null},"));
  EXPECT_THAT(out, HasSubstr("\"last_error\":\"http 500 Boom: said \\\"no\\\"\\n\"}]\n"));
  EXPECT_THAT(out, HasSubstr("{\"operation_id\":\"weird\",\"kind\":\"device\",\"status\":null,"));
}

// `status` renders every row of a large database into one buffer; the output stays byte for byte
// that of the version that built a string per line and per JSON object (the fingerprints are of
// its output for these rows, ORIGIN column included: computed by linking the per-line
// render.cpp of the discovery change against ManyRows).
TEST(RenderTest, StatusAtScaleIsByteIdenticalToThePerLineRendering) {
  const auto rows = ManyRows(3000);
  const std::string table = RenderStatusTable(rows);
  const std::string json = RenderStatusJson(rows);
  EXPECT_EQ(table.size(), 494551u);
  EXPECT_EQ(json.size(), 1106829u);
  EXPECT_EQ(Fingerprint(table), 14836981924380057530ULL);
  EXPECT_EQ(Fingerprint(json), 17637926687844583496ULL);
  EXPECT_EQ(Lines(table).size(), 3001u);
}

TEST(RenderTest, NoOperations) {
  EXPECT_EQ(RenderStatusJson({}), "[]\n");
  EXPECT_THAT(RenderStatusTable({}), HasSubstr("(no operations in the database yet)"));
}

TEST(RenderTest, HostileStringsCannotBreakTheTableOrTheJson) {
  auto rows = StatusRows();
  rows[1].status = "Run\x1b[2Jning\tx";
  const std::string table = RenderStatusTable(rows);
  EXPECT_THAT(table, HasSubstr("Run?[2Jning?x"));
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
  History h;
  h.operation = rows[1];
  storage::SnapshotRow s;
  s.id = 4;
  s.status = rows[1].status;
  s.error_message = std::string("bad utf8 \xff\xfe end");
  h.snapshots = {s};
  const std::string json = RenderHistoryJson(h);
  EXPECT_THAT(json, HasSubstr("\"status\":\"Run\\u001b[2Jning\\tx\""));
  EXPECT_THAT(json, HasSubstr("\"error_message\":\"bad utf8 \\ufffd\\ufffd end\""));
  EXPECT_THAT(RenderHistoryText(h), HasSubstr("-: bad utf8 ?? end"));
}

TEST(RenderTest, HistoryShowsTransitionsSnapshotsAndErrors) {
  const std::string out = RenderHistoryText(DoneHistory());
  EXPECT_THAT(out, StartsWith("device operation 11111111-aaaa\n  status       Succeeded\n"));
  EXPECT_THAT(out, HasSubstr("Transitions\n"
                             "  AT (UTC)                  FROM        TO\n"
                             "  2026-11-27T08:00:01.000Z  -           NotStarted\n"
                             "  2026-11-27T08:01:01.000Z  NotStarted  Succeeded\n"));
  EXPECT_THAT(out, HasSubstr("\nSnapshots\n  ID  OBSERVED (UTC)"));
  EXPECT_THAT(out, HasSubstr("Poll errors\n  (none)\n"));

  History upd;
  upd.operation = StatusRows()[2];
  upd.poll_errors = {{1, "2026-11-27T08:01:02.000Z", "http", 500, "Boom", "said \"no\"\n"}};
  EXPECT_THAT(RenderHistoryText(upd),
              HasSubstr("  2026-11-27T08:01:02.000Z  http      500   Boom  said \"no\"?\n"));
}

TEST(RenderTest, HistoryTextShowsOnlyTheNewestPollErrors) {
  History h = DoneHistory();
  for (int64_t i = 1; i <= 25; ++i) {
    h.poll_errors.push_back({i, "at-" + std::to_string(i), "network", std::nullopt, std::nullopt,
                             "message " + std::to_string(i)});
  }
  const std::string out = RenderHistoryText(h);
  EXPECT_THAT(out, HasSubstr("Poll errors (newest 20 of 25)\n"));
  EXPECT_THAT(out, HasSubstr("  at-6 "));
  EXPECT_THAT(out, HasSubstr("message 25\n"));
  EXPECT_THAT(out, Not(HasSubstr("message 5\n")));
  EXPECT_THAT(RenderHistoryJson(h), HasSubstr("\"message\":\"message 1\""));  // JSON has all
}

TEST(RenderTest, HistoryJson) {
  const std::string out = RenderHistoryJson(DoneHistory());
  EXPECT_THAT(out, StartsWith("{\"operation_id\":\"11111111-aaaa\",\"kind\":\"device\""));
  EXPECT_THAT(out, HasSubstr("\"transitions\":[{\"from_status\":null,\"to_status\":\"NotStarted\","
                             "\"at\":\"2026-11-27T08:00:01.000Z\"},{\"from_status\":\"NotStarted\","
                             "\"to_status\":\"Succeeded\",\"at\":\"2026-11-27T08:01:01.000Z\"}]"));
  EXPECT_THAT(out,
              HasSubstr("\"snapshots\":[{\"id\":1,\"observed_at\":\"2026-11-27T08:00:01.000Z\","
                        "\"status\":\"NotStarted\""));
  // The body is kept exactly, as a JSON string.
  EXPECT_THAT(out, HasSubstr("\"body\":\"{\\\"operationId\\\":\\\"11111111-aaaa\\\""));
  EXPECT_THAT(out, HasSubstr("\"poll_errors\":[]}\n"));
}

}  // namespace
}  // namespace adu::daemon
