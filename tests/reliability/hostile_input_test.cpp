// Hostile inputs that the component suites do not cover already (docs/reliability.md lists the
// ones they do): ETags that cannot be sent back safely, a ten-year Retry-After through the
// client, operation IDs the config must refuse, and a wall clock jumping backwards under the
// engine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "adu/client/device_update_client.h"
#include "adu/client/http_client.h"
#include "adu/client/none_token_provider.h"
#include "adu/config/config.h"
#include "adu/core/engine.h"
#include "adu/testing/temp_dir.h"
#include "fakes.h"  // core/tests: FakeService, FakeStore (+ FakeClock, CaptureLogger)

namespace adu {
namespace {

using namespace std::chrono_literals;
using client::HttpClient;
using client::HttpRequest;
using client::HttpResponse;
using client::HttpResult;
using ::testing::HasSubstr;

// Answers every request inline from a queue of responses and records what was sent.
class ScriptedHttp final : public HttpClient {
 public:
  void Send(HttpRequest request, DoneCallback done) override {
    HttpResponse resp;
    {
      std::lock_guard lock(mu_);
      sent.push_back(request);
      resp = responses.front();
      responses.pop_front();
    }
    done(std::move(resp));
  }
  void CancelAll() override {}
  void Enqueue(int status, std::string body,
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    responses.push_back(std::move(r));
  }
  std::optional<std::string> SentHeader(size_t i, const std::string& name) const {
    for (const auto& [k, v] : sent.at(i).headers)
      if (k == name) return v;
    return std::nullopt;
  }

  std::mutex mu_;
  std::deque<HttpResponse> responses;
  std::vector<HttpRequest> sent;
};

class HostileResponseTest : public ::testing::Test {
 protected:
  FetchOutcome Fetch(const std::string& if_none_match) {
    FetchOutcome got;
    client.Fetch(key, if_none_match, [&](FetchOutcome o) { got = std::move(o); });
    return got;
  }
  static std::string Body(const std::string& etag_json) {
    return R"({"operationId":"op1","status":"Running","etag":)" + etag_json +
           R"(,"createdDateTime":"2026-11-27T08:00:00Z","lastActionDateTime":"2026-11-27T08:00:01Z","traceId":"t"})";
  }

  testing::FakeClock clock;
  ScriptedHttp http;
  client::NoneTokenProvider tokens;
  client::DeviceUpdateClient client{
      client::ClientOptions{.endpoint = "http://127.0.0.1:1", .instance_id = "i", .clock = &clock},
      http, tokens};
  OperationKey key{OperationKind::kDevice, "op1"};
};

TEST_F(HostileResponseTest, OneMegabyteEtagHeaderIsRefusedNotStoredAndNeverSentBack) {
  const std::string huge = "\"" + std::string(1 << 20, 'e') + "\"";
  http.Enqueue(200, Body("\"small\""), {{"ETag", huge}});
  const FetchOutcome out = Fetch("");
  ASSERT_TRUE(out.failed() != nullptr);  // nothing for the engine to store: no etag, no body
  EXPECT_EQ(out.failed()->error.category, ErrorCategory::kParse);
  EXPECT_THAT(out.failed()->error.message, HasSubstr("unusable ETag"));
  EXPECT_LT(out.failed()->error.message.size(), 200u);
}

TEST_F(HostileResponseTest, EtagWithCrLfIsRefusedAndNeverEchoedIntoARequest) {
  // JSON may carry CR/LF inside a string; the body's etag is used when there is no header.
  http.Enqueue(200, Body(R"("\"a\"\r\nX-Injected: 1")"));
  const FetchOutcome body_etag = Fetch("");
  ASSERT_TRUE(body_etag.failed() != nullptr);
  EXPECT_EQ(body_etag.failed()->error.category, ErrorCategory::kParse);
  // A NUL in the header value is refused the same way.
  http.Enqueue(200, Body("\"ok\""), {{"ETag", std::string("\"a\0b\"", 5)}});
  EXPECT_TRUE(Fetch("").failed() != nullptr);
  // A clean answer afterwards is accepted: nothing got stuck.
  http.Enqueue(200, Body("\"ok\""), {{"ETag", "\"ok\""}});
  const FetchOutcome good = Fetch("");
  ASSERT_TRUE(good.changed() != nullptr);
  EXPECT_EQ(good.changed()->snapshot.etag, "\"ok\"");
  // No request ever carried a header value with CR, LF or NUL.
  for (const auto& request : http.sent)
    for (const auto& [name, value] : request.headers)
      EXPECT_TRUE(client::IsSafeHeaderText(value)) << name;
}

TEST_F(HostileResponseTest, ListItemsWithUnusableEtagsAreSkippedTheOthersKept) {
  http.Enqueue(200, "{\"value\":[" + Body(R"("\"x\"\n")") + "," +
                        Body("\"" + std::string(5000, 'e') + "\"") + "," + Body("\"fine\"") + "]}");
  ListOutcome got;
  client.ListInFlight(OperationKind::kDevice, std::nullopt, [&](ListOutcome o) { got = o; });
  ASSERT_TRUE(got.ok);
  ASSERT_EQ(got.items.size(), 1u);
  EXPECT_EQ(got.items[0].etag, "fine");
}

TEST_F(HostileResponseTest, TenYearRetryAfterIsClampedNegativeAndGarbageIgnored) {
  // Seconds and an HTTP-date ten years ahead: the client reports at most a day (and the engine
  // clamps further to an hour: core/tests EngineTest.AbsurdRetryAfterIsClampedToAnHour).
  for (const char* value : {"315360000", "Sat, 27 Nov 2036 08:00:00 GMT"}) {
    http.Enqueue(503, "", {{"Retry-After", value}});
    const auto out = Fetch("");
    ASSERT_TRUE(out.retry_after.has_value()) << value;
    EXPECT_LE(*out.retry_after, std::chrono::seconds(86400)) << value;
    EXPECT_GT(*out.retry_after, std::chrono::seconds(3600)) << value;
  }
  for (const char* value : {"-1", "-315360000", "ten years", "1e9", "\x01\x02"}) {
    http.Enqueue(503, "", {{"Retry-After", value}});
    EXPECT_EQ(Fetch("").retry_after, std::nullopt) << value;
  }
}

// --- config ---

using adu::testing::TempDir;  // tests/support

std::string ConfigWithWatch(const std::string& id) {
  return "endpoint: https://contoso.api.adu.microsoft.com\ninstance_id: blue\nauth: {method: "
         "none}\nwatch:\n  - \"" +
         id + "\"\n";
}

TEST(HostileConfigTest, OperationIdsWithUrlMetacharactersOrThreeHundredCharactersAreRefused) {
  TempDir dir;
  for (const std::string& id :
       {std::string(300, 'a'), std::string("a/../../b"), std::string("a?api-version=x"),
        std::string("a#frag"), std::string("a%2F..%2Fb"), std::string("a b"),
        std::string("a&filter=x"), std::string("http://evil.example/x"), std::string("a\\b")}) {
    const auto loaded = config::LoadConfig(dir.Write("c.yaml", ConfigWithWatch(id)));
    ASSERT_FALSE(loaded.ok()) << id;
    EXPECT_THAT(loaded.error(), HasSubstr("c.yaml:5:")) << id;
    EXPECT_THAT(loaded.error(), HasSubstr("operation ID")) << id;
  }
  // The same ID in a watch file is refused too.
  const std::string watch = dir.Write("w.yaml", "- " + std::string(300, 'a') + "\n");
  EXPECT_FALSE(config::LoadWatchFile(watch).ok());
  EXPECT_TRUE(
      config::LoadConfig(dir.Write("ok.yaml", ConfigWithWatch(std::string(256, 'a')))).ok());
}

// yaml-cpp 0.7's LoadAll() loops forever, allocating, on a document that starts with ","
// (jbeder/yaml-cpp#1040; found by the config fuzz target): the loader must refuse it instead. A
// regression hangs this test until ctest's timeout.
TEST(HostileConfigTest, ALeadingCommaIsASyntaxErrorNotAHang) {
  TempDir dir;
  for (const std::string text : {",", ",x\n", ",\x89", "- a\n,\n"}) {
    const auto config = config::LoadConfig(dir.Write("c.yaml", text));
    ASSERT_FALSE(config.ok());
    const auto watch = config::LoadWatchFile(dir.Write("w.yaml", text));
    ASSERT_FALSE(watch.ok());
    EXPECT_THAT(watch.error(), HasSubstr("w.yaml:"));
  }
}

// yaml-cpp quotes the offending character raw in some messages ("unknown escape character: "
// followed by a newline; found by the config fuzz target). The error is still one line.
TEST(HostileConfigTest, AYamlErrorQuotingARawNewlineStaysOneLine) {
  TempDir dir;
  const auto config = config::LoadConfig(dir.Write("c.yaml", std::string("4*\0\n", 4)));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().find('\n'), std::string::npos) << config.error();
  EXPECT_THAT(config.error(), HasSubstr("c.yaml:2:1: YAML syntax error"));
}

// --- clock ---

TEST(ClockJumpTest, WallClockGoingBackHoursNeverStallsTheScheduleTimersAreMonotonic) {
  testing::FakeClock clock;
  testing::FakeService service{clock};
  testing::FakeStore store;
  std::shared_ptr<testing::CaptureSink> sink;
  auto logger = testing::CaptureLogger(sink);
  StoreWriter writer{store, clock, logger};
  EngineOptions options;
  options.interval = 10s;
  options.use_list = ListMode::kNever;
  Engine engine(options, service, writer, clock, logger, 7);
  engine.Start(store.loaded, {{{OperationKind::kDevice, "a"}, std::nullopt}});

  engine.Step();
  ASSERT_EQ(service.calls.size(), 1u);
  service.Answer(testing::FakeService::Body("a", "Running", "\"e1\""));
  engine.Step();
  for (int jump = 1; jump <= 5; ++jump) {
    // NTP (or an operator) sets the wall clock back three hours; monotonic time moves on.
    clock.SetWall(clock.WallNow() - 3h);
    clock.Advance(11s);  // interval + the largest jitter
    engine.Step();
    ASSERT_EQ(service.calls.size(), 1u + jump) << "no poll after wall-clock jump " << jump;
    EXPECT_EQ(service.calls.back().if_none_match, "\"e1\"");
    service.Answer(testing::FakeService::NotModified());
    engine.Step();
    // Never polled early either: the next poll waits at least 90% of the interval.
    const auto due = engine.NextDueForTest({OperationKind::kDevice, "a"});
    ASSERT_TRUE(due.has_value());
    EXPECT_GE(*due - clock.Now(), 9s);
    EXPECT_LE(*due - clock.Now(), 11s);
  }
  // A jump forward by days does not cause a burst of catch-up polls.
  clock.SetWall(clock.WallNow() + std::chrono::hours(24 * 30));
  const size_t before = service.calls.size();
  engine.Step();
  EXPECT_EQ(service.calls.size(), before);
}

}  // namespace
}  // namespace adu
