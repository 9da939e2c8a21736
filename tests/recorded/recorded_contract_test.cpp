// Replays every exchange kept in exchanges.json (answers the real service was recorded to send,
// or that its published examples show) through the real DeviceUpdateClient, codec, Engine and
// SqliteStore, and checks what ends up in the database: the body byte for byte, status, etag,
// traceId, timestamps (normalised), error code/message, 404s as not found; and what the client
// sends back: If-None-Match byte for byte, nextLinks exactly (only api-version added).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "adu/client/device_update_client.h"
#include "adu/client/none_token_provider.h"
#include "adu/core/engine.h"
#include "adu/core/store_writer.h"
#include "adu/storage/sqlite_store.h"
#include "adu/testing/fake_clock.h"

namespace adu {
namespace {

namespace fs = std::filesystem;
using client::HttpRequest;
using client::HttpResponse;
using client::HttpResult;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Body(const std::string& name) {
  return ReadFile(fs::path(ADU_RECORDED_DIR) / "bodies" / name);
}

// Answers every request inline from `answer` and keeps what was sent.
class ReplayHttp final : public client::HttpClient {
 public:
  std::function<HttpResult(const HttpRequest&)> answer;
  std::vector<HttpRequest> sent;

  void Send(HttpRequest request, DoneCallback done) override {
    sent.push_back(request);
    done(answer(request));
  }
  void CancelAll() override {}
};

HttpResult Answer(int status, Headers headers, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

std::optional<std::string> SentHeader(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

// The daemon's pipeline on a temporary database: client -> engine -> writer -> SqliteStore.
class Pipeline {
 public:
  explicit Pipeline(ListMode list_mode) : dir_(MakeDir()) {
    client::ClientOptions options;
    options.endpoint = kEndpoint;
    options.instance_id = "blue";
    client_ = std::make_unique<client::DeviceUpdateClient>(options, http, tokens_);
    auto store = storage::SqliteStore::Open((dir_ / "operations.db").string(), {});
    EXPECT_TRUE(store.ok()) << store.error();
    store_ = std::move(store).value();
    logger_ = std::make_shared<spdlog::logger>("recorded",
                                               std::make_shared<spdlog::sinks::null_sink_mt>());
    writer_ = std::make_unique<StoreWriter>(*store_, clock_, logger_);
    EngineOptions engine_options;
    engine_options.interval = std::chrono::seconds(10);
    engine_options.jitter = 0;
    engine_options.stop_on_terminal = false;  // so a second GET shows the If-None-Match
    engine_options.use_list = list_mode;
    engine_ = std::make_unique<Engine>(engine_options, *client_, *writer_, clock_, logger_, 1);
  }
  ~Pipeline() {
    engine_.reset();
    writer_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void Start(const std::vector<OperationKey>& keys) {
    std::vector<WatchItem> watch;
    for (const auto& k : keys) watch.push_back({k, std::nullopt});
    auto records = store_->LoadOperations();
    ASSERT_TRUE(records.ok()) << records.error();
    engine_->Start(*records, watch);
  }
  // A few engine steps with their writes, `advance` apart.
  void Run(int steps, Duration advance = std::chrono::milliseconds(100)) {
    for (int i = 0; i < steps; ++i) {
      engine_->Step();
      ASSERT_TRUE(writer_->Pump());
      clock_.Advance(advance);
    }
  }
  void Advance(Duration d) { clock_.Advance(d); }

  // One row per column of `sql`, every value as text ("<null>" for NULL).
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2((dir_ / "operations.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::vector<std::vector<std::string>> rows;
    while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const auto* text = sqlite3_column_blob(st, c);
        row.push_back(text == nullptr && sqlite3_column_type(st, c) == SQLITE_NULL
                          ? "<null>"
                          : std::string(static_cast<const char*>(text),
                                        static_cast<size_t>(sqlite3_column_bytes(st, c))));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
  }

  static constexpr const char* kEndpoint = "https://contoso.api.adu.microsoft.com";
  ReplayHttp http;
  client::DeviceUpdateClient& client() { return *client_; }

 private:
  static fs::path MakeDir() {
    std::string pattern = (fs::temp_directory_path() / "adu-recorded-XXXXXX").string();
    return fs::path(mkdtemp(pattern.data()));
  }

  fs::path dir_;
  testing::FakeClock clock_;
  client::NoneTokenProvider tokens_;
  std::unique_ptr<client::DeviceUpdateClient> client_;
  std::unique_ptr<storage::SqliteStore> store_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<StoreWriter> writer_;
  std::unique_ptr<Engine> engine_;
};

// --- the manifest ---

struct Expected {
  std::string id, status, etag, trace_id, created_at, last_action_at;
};

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

Headers HeadersOf(simdjson::dom::element answer) {
  Headers out;
  simdjson::dom::array list;
  if (answer["headers"].get(list) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element pair : list) {
    std::string_view k, v;
    EXPECT_EQ(pair.at(0).get(k), simdjson::SUCCESS);
    EXPECT_EQ(pair.at(1).get(v), simdjson::SUCCESS);
    out.emplace_back(std::string(k), std::string(v));
  }
  return out;
}

Expected ExpectedOf(simdjson::dom::element e, const std::string& id) {
  return {
      id.empty() ? Str(e, "id") : id, Str(e, "status"),        Str(e, "etag"), Str(e, "trace_id"),
      Str(e, "created_at"),           Str(e, "last_action_at")};
}

void ExpectSnapshot(Pipeline& p, const std::string& kind, const Expected& want,
                    const std::string& body, const std::string& name) {
  const auto rows = p.Query(
      "SELECT status, etag, trace_id, created_at, last_action_at, body FROM snapshots WHERE "
      "operation_id = '" +
      want.id + "' AND kind = '" + kind + "' ORDER BY id");
  ASSERT_EQ(rows.size(), 1u) << name;
  EXPECT_EQ(rows[0][0], want.status) << name;
  EXPECT_EQ(rows[0][1], want.etag) << name;
  EXPECT_EQ(rows[0][2], want.trace_id) << name;
  EXPECT_EQ(rows[0][3], want.created_at) << name;
  EXPECT_EQ(rows[0][4], want.last_action_at) << name;
  EXPECT_EQ(rows[0][5], body) << name << ": the body stored is not the bytes received";
}

OperationKind KindOf(const std::string& kind) {
  return kind == "update" ? OperationKind::kUpdate : OperationKind::kDevice;
}

void ReplayGet(simdjson::dom::element ex, const std::string& name) {
  const std::string kind = Str(ex, "kind");
  const std::string id = Str(ex, "id");
  const simdjson::dom::element get = ex["get"];
  int64_t status = 0;
  ASSERT_EQ(get["status"].get(status), simdjson::SUCCESS);
  const std::string body = Body(Str(get, "body"));
  bool then_304 = false;
  if (ex["then_304"].get(then_304) != simdjson::SUCCESS) then_304 = false;

  Pipeline p(ListMode::kNever);
  const OperationKey key{KindOf(kind), id};
  const std::string url = p.client().OperationUrl(key);
  p.http.answer = [&](const HttpRequest& r) -> HttpResult {
    EXPECT_EQ(r.url, url) << name;
    if (then_304 && SentHeader(r, "If-None-Match")) return Answer(304, {}, "");  // "304": {}
    return Answer(static_cast<int>(status), HeadersOf(get), body);
  };
  p.Start({key});
  p.Run(3);
  ASSERT_GE(p.http.sent.size(), 1u) << name;
  EXPECT_FALSE(SentHeader(p.http.sent[0], "If-None-Match").has_value()) << name;

  const simdjson::dom::element expect = ex["expect"];
  bool not_found = false;
  if (expect["not_found"].get(not_found) != simdjson::SUCCESS) not_found = false;
  if (not_found) {
    EXPECT_EQ(p.Query("SELECT state FROM operations WHERE operation_id = '" + id + "'"),
              (std::vector<std::vector<std::string>>{{"not_found"}}))
        << name;
    EXPECT_EQ(p.Query("SELECT http_status, code, message FROM poll_errors WHERE operation_id = '" +
                      id + "'"),
              (std::vector<std::vector<std::string>>{
                  {"404", Str(expect, "error_code"), Str(expect, "error_message")}}))
        << name;
    EXPECT_TRUE(p.Query("SELECT 1 FROM snapshots").empty()) << name;
    return;
  }
  const Expected want = ExpectedOf(expect, id);
  ExpectSnapshot(p, kind, want, body, name);
  if (then_304) {
    p.Advance(std::chrono::seconds(11));
    p.Run(3);
    ASSERT_GE(p.http.sent.size(), 2u) << name;
    EXPECT_EQ(SentHeader(p.http.sent[1], "If-None-Match"), want.etag) << name;
    ExpectSnapshot(p, kind, want, body, name);  // still the one snapshot
    EXPECT_EQ(p.Query("SELECT not_modified FROM operations WHERE operation_id = '" + id + "'"),
              (std::vector<std::vector<std::string>>{{"1"}}))
        << name;
  }
}

void ReplayList(simdjson::dom::element ex, const std::string& name) {
  const std::string kind = Str(ex, "kind");
  const simdjson::dom::element list = ex["list"];
  const std::string page = Body(Str(list, "body"));
  const std::string next_request = Str(ex, "next_request");
  std::vector<std::string> items;
  for (simdjson::dom::element item : list["items"].get_array()) {
    items.push_back(Body(std::string(item.get_string().value())));
  }
  std::vector<Expected> wants;
  for (simdjson::dom::element e : ex["expect_items"].get_array())
    wants.push_back(ExpectedOf(e, ""));

  Pipeline p(ListMode::kAlways);
  const std::string first = p.client().ListUrl(KindOf(kind));
  p.http.answer = [&](const HttpRequest& r) -> HttpResult {
    if (r.url == first) return Answer(200, HeadersOf(list), page);
    if (!next_request.empty() && r.url == next_request) {
      return Answer(200, {{"Content-Type", "application/json"}}, R"({"value":[]})");
    }
    // Nothing else is answered: a snapshot can only come from the page.
    return client::TransportError{client::TransportErrorKind::kNetwork, "not recorded"};
  };
  std::vector<OperationKey> keys;
  for (const auto& w : wants) keys.push_back({KindOf(kind), w.id});
  // One more operation that stays in flight, so the run goes on to the next page even when every
  // listed item is terminal.
  keys.push_back({KindOf(kind), "still-in-flight"});
  p.Start(keys);
  p.Run(4, std::chrono::seconds(2));  // the list budget: 50 a minute
  ASSERT_GE(p.http.sent.size(), 1u) << name;
  EXPECT_EQ(p.http.sent[0].url, first) << name;
  if (!next_request.empty()) {
    ASSERT_GE(p.http.sent.size(), 2u) << name;
    EXPECT_EQ(p.http.sent[1].url, next_request)
        << name << ": the nextLink was not followed exactly";
  }
  ASSERT_EQ(items.size(), wants.size()) << name;
  for (size_t i = 0; i < wants.size(); ++i) ExpectSnapshot(p, kind, wants[i], items[i], name);
}

TEST(RecordedContractTest, EveryRecordedExchangeReplaysThroughClientCodecEngineAndStore) {
  simdjson::dom::parser parser;
  const auto manifest =
      simdjson::padded_string(ReadFile(fs::path(ADU_RECORDED_DIR) / "exchanges.json"));
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(manifest).get(root), simdjson::SUCCESS);
  int replayed = 0;
  for (simdjson::dom::element ex : root["exchanges"].get_array()) {
    const std::string name = Str(ex, "name");
    SCOPED_TRACE(name);
    ASSERT_FALSE(Str(ex["source"], "commit").empty()) << name << ": no provenance";
    simdjson::dom::element unused;
    if (ex["get"].get(unused) == simdjson::SUCCESS) {
      ReplayGet(ex, name);
    } else {
      ReplayList(ex, name);
    }
    ++replayed;
  }
  EXPECT_EQ(replayed, 9);
}

// The same state by GET and in a list page is stored as the same bytes: the bytes the server
// sent. The GET body is the recorded example's (indentation, key order and escapes as published);
// the page carries those very bytes as its item, the way the service lists what it serves.
TEST(RecordedContractTest, TheSameStateByGetAndByListIsStoredAsIdenticalBytes) {
  const std::string body = Body("specs-2022-10-01-device-get.json");
  const std::string page = "{\n  \"value\": [\n    " + body + "\n  ],\n  \"nextLink\": null\n}";
  const std::string id = "e4491c54-916f-443d-9094-bcca546ace2f";
  const OperationKey key{OperationKind::kDevice, id};
  const std::string sql = "SELECT body FROM snapshots WHERE operation_id = '" + id + "'";

  Pipeline by_get(ListMode::kNever);
  by_get.http.answer = [&](const HttpRequest&) -> HttpResult { return Answer(200, {}, body); };
  by_get.Start({key});
  by_get.Run(3);

  Pipeline by_list(ListMode::kAlways);
  by_list.http.answer = [&](const HttpRequest& r) -> HttpResult {
    if (r.url == by_list.client().ListUrl(OperationKind::kDevice)) return Answer(200, {}, page);
    return client::TransportError{client::TransportErrorKind::kNetwork, "GETs not answered"};
  };
  by_list.Start({key});
  by_list.Run(3);

  const auto from_get = by_get.Query(sql);
  const auto from_list = by_list.Query(sql);
  ASSERT_EQ(from_get.size(), 1u);
  ASSERT_EQ(from_list.size(), 1u);
  EXPECT_EQ(from_get[0][0], body);
  EXPECT_EQ(from_list[0][0], body);
  EXPECT_EQ(from_get[0][0], from_list[0][0]);
}

}  // namespace
}  // namespace adu
