// Drives the emulator over real loopback HTTP with a raw socket client and checks every documented
// behaviour. Time-dependent behaviour runs on a fake clock; only the stall/trickle faults and the
// binary test use real time (well under a second each, apart from timeouts that cannot fire late).
#include "adu/emulator/emulator.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include "adu/core/time_format.h"
#include "adu/testing/fake_clock.h"
#include "raw_http.h"

extern char** environ;

namespace adu::emulator {
namespace {

using testing::Get;
using testing::Headers;
using testing::Post;
using testing::RawConnection;
using testing::RawResponse;

using adu::testing::FakeClock;  // tests/support

constexpr const char* kOp1 = "8f1d2c3e-0000-4000-8000-000000000001";

std::string OpPath(const std::string& id, const std::string& query = "?api-version=2022-10-01",
                   const std::string& collection = "management") {
  return "/deviceUpdate/demo/" + collection + "/operations/" + id + query;
}

// The value of a top-level-ish string field, e.g. JsonString(body, "etag").
std::string JsonString(const std::string& body, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const auto pos = body.find(needle);
  if (pos == std::string::npos) return "<absent>";
  std::string out;
  for (auto i = pos + needle.size(); i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      out += body[++i];
    } else if (body[i] == '"') {
      return out;
    } else {
      out += body[i];
    }
  }
  return "<unterminated>";
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

class EmulatorTest : public ::testing::Test {
 protected:
  void StartWith(const std::string& yaml) {
    auto scenario = ParseScenario(yaml, "test");
    ASSERT_TRUE(scenario.ok()) << scenario.error();
    EmulatorOptions options;
    options.clock = &clock_;
    auto emulator = Emulator::Start(std::move(scenario).value(), options);
    ASSERT_TRUE(emulator.ok()) << emulator.error();
    emulator_ = std::move(emulator).value();
    port_ = emulator_->port();
  }
  void Advance(double seconds) {
    clock_.Advance(std::chrono::milliseconds(static_cast<long>(seconds * 1000)));
  }
  RawResponse GetOp(const std::string& id = kOp1, const Headers& h = {},
                    const std::string& query = "?api-version=2022-10-01") {
    return Get(port_, OpPath(id, query), h);
  }

  FakeClock clock_;
  std::unique_ptr<Emulator> emulator_;
  std::uint16_t port_ = 0;
};

const char* kBasic = R"(
instance_id: demo
retry_after: 7
operations:
  - id: 8f1d2c3e-0000-4000-8000-000000000001
    timeline: [{at: 0, status: NotStarted}, {at: 5, status: Running}, {at: 10, status: Succeeded}]
  - id: failing
    timeline: [{at: 0, status: Running}, {at: 2, status: Failed}]
    error: {code: ImportFailed, message: "bad \"manifest\"", innererror: {code: X, message: Y, innerError: {code: Z}}}
  - id: upd
    kind: update
    update: {provider: Fabrikam, name: Vacuum, version: 2.1.0}
    timeline: [{at: 0, status: Running}, {at: 1, status: Succeeded}]
  - id: later
    start: 30
    timeline: [{at: 0, status: NotStarted}]
  - id: churny
    churn: 2
    timeline: [{at: 0, status: Running}, {at: 9, status: Succeeded}]
)";

TEST_F(EmulatorTest, ServesOperationWithQuotedEtagHeaderAndRetryAfterOnlyInFlight) {
  StartWith(kBasic);
  auto r = GetOp();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(JsonString(r.body, "operationId"), kOp1);
  EXPECT_EQ(JsonString(r.body, "status"), "NotStarted");
  EXPECT_NE(JsonString(r.body, "traceId"), "<absent>");
  EXPECT_TRUE(std::regex_match(JsonString(r.body, "lastActionDateTime"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00)")));
  EXPECT_NE(JsonString(r.body, "createdDateTime"), "<absent>");
  const std::string etag = JsonString(r.body, "etag");
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_EQ(r.Header("ETag"), etag);
  EXPECT_EQ(r.Header("Retry-After"), "7");
  EXPECT_NE(r.Header("Content-Type")->find("application/json"), std::string::npos);
  EXPECT_EQ(r.body.find("\"update\""), std::string::npos);
  EXPECT_EQ(r.body.find("\"error\""), std::string::npos);

  Advance(5);
  r = GetOp();
  EXPECT_EQ(JsonString(r.body, "status"), "Running");
  EXPECT_NE(JsonString(r.body, "etag"), etag);
  EXPECT_EQ(r.Header("Retry-After"), "7");

  Advance(5);
  r = GetOp();
  EXPECT_EQ(JsonString(r.body, "status"), "Succeeded");
  EXPECT_FALSE(r.Header("Retry-After").has_value());
}

TEST_F(EmulatorTest, IfNoneMatchGives304ForEqualEtagAndStar) {
  StartWith(kBasic);
  const auto first = GetOp();
  const auto etag = *first.Header("ETag");
  auto r = GetOp(kOp1, {{"If-None-Match", etag}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(r.Header("Content-Length").has_value());
  EXPECT_EQ(r.Header("ETag"), etag);
  EXPECT_FALSE(r.Header("Retry-After").has_value());  // only 200 declares it
  EXPECT_EQ(GetOp(kOp1, {{"If-None-Match", "*"}}).status, 304);
  // The etag without its quotes is a different entity-tag.
  EXPECT_EQ(GetOp(kOp1, {{"If-None-Match", etag.substr(1, etag.size() - 2)}}).status, 200);
  Advance(5);
  r = GetOp(kOp1, {{"If-None-Match", etag}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(JsonString(r.body, "status"), "Running");
}

TEST_F(EmulatorTest, ApiVersion20260601AndScenarioSwitchAnswer200WithUnchangedBody) {
  StartWith(kBasic);
  const auto first = GetOp();
  const auto etag = *first.Header("ETag");
  auto r = GetOp(kOp1, {{"If-None-Match", etag}}, "?api-version=2026-06-01");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(JsonString(r.body, "etag"), etag);
  EXPECT_EQ(r.body, first.body);

  emulator_.reset();
  StartWith(std::string(kBasic) + "not_modified: false\n");
  const auto again = GetOp();
  r = GetOp(kOp1, {{"If-None-Match", *again.Header("ETag")}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, again.body);
}

TEST_F(EmulatorTest, RetryAfterOn304IsOptIn) {
  StartWith(std::string(kBasic) + "retry_after_on_304: true\n");
  const auto etag = *GetOp().Header("ETag");
  const auto r = GetOp(kOp1, {{"If-None-Match", etag}});
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(r.Header("Retry-After"), "7");
}

TEST_F(EmulatorTest, FailedOperationCarriesErrorWithInnerErrorChain) {
  StartWith(kBasic);
  Advance(2);
  const auto r = GetOp("failing");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(JsonString(r.body, "status"), "Failed");
  EXPECT_NE(
      r.body.find(
          R"("error":{"code":"ImportFailed","message":"bad \"manifest\"",)"
          R"("innererror":{"code":"X","message":"Y","innerError":{"code":"Z"}},"occurredDateTime":)"),
      std::string::npos)
      << r.body;
  EXPECT_FALSE(r.Header("Retry-After").has_value());
}

TEST_F(EmulatorTest, SucceededUpdateOperationHasUpdateAndResourceLocation) {
  StartWith(kBasic);
  auto r = Get(port_, OpPath("upd", "?api-version=2022-10-01", "updates"));
  EXPECT_EQ(JsonString(r.body, "status"), "Running");
  EXPECT_EQ(r.body.find("resourceLocation"), std::string::npos);
  Advance(1);
  r = Get(port_, OpPath("upd", "?api-version=2022-10-01", "updates"));
  EXPECT_NE(r.body.find(R"("updateId":{"provider":"Fabrikam","name":"Vacuum","version":"2.1.0"})"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(JsonString(r.body, "resourceLocation"),
            "/deviceUpdate/demo/updates/providers/Fabrikam/names/Vacuum/versions/2.1.0"
            "?api-version=2022-10-01");
  // An update operation is not found under the device collection.
  EXPECT_EQ(GetOp("upd").status, 404);
}

TEST_F(EmulatorTest, ChurnChangesEtagWhileInFlightOnly) {
  StartWith(kBasic);
  const auto a = GetOp("churny");
  Advance(1);
  EXPECT_EQ(GetOp("churny").body, a.body);
  Advance(1.5);
  const auto b = GetOp("churny");
  EXPECT_EQ(JsonString(b.body, "status"), "Running");
  EXPECT_NE(JsonString(b.body, "etag"), JsonString(a.body, "etag"));
  EXPECT_NE(JsonString(b.body, "lastActionDateTime"), JsonString(a.body, "lastActionDateTime"));
  Advance(7);
  const auto c = GetOp("churny");
  EXPECT_EQ(JsonString(c.body, "status"), "Succeeded");
  Advance(10);
  EXPECT_EQ(GetOp("churny").body, c.body);
}

TEST_F(EmulatorTest, NotFoundIsProblemJsonByDefault) {
  StartWith(kBasic);
  auto r = GetOp("no-such-op");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("Content-Type")->rfind("application/problem+json", 0), 0u);
  EXPECT_NE(r.body.find(R"("title":"Not Found","status":404,"traceId":"00-)"), std::string::npos)
      << r.body;
  // Not yet existing (start: 30) is not found too; then it appears.
  EXPECT_EQ(GetOp("later").status, 404);
  Advance(30);
  EXPECT_EQ(GetOp("later").status, 200);
  // Another instance.
  EXPECT_EQ(Get(port_, "/deviceUpdate/other/management/operations/" + std::string(kOp1) +
                           "?api-version=2022-10-01")
                .status,
            404);
}

TEST_F(EmulatorTest, NotFoundCanUseTheSpecErrorShape) {
  StartWith(std::string(kBasic) + "not_found_shape: error\n");
  const auto r = GetOp("no-such-op");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("Content-Type")->rfind("application/json", 0), 0u);
  EXPECT_EQ(r.body.rfind(R"({"error":{"code":"NotFound","message":)", 0), 0u) << r.body;
}

TEST_F(EmulatorTest, ApiVersionIsRequiredAndChecked) {
  StartWith(kBasic);
  auto r = GetOp(kOp1, {}, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("MissingApiVersionParameter"), std::string::npos);
  r = GetOp(kOp1, {}, "?api-version=2019-01-01");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("UnsupportedApiVersion"), std::string::npos);
  EXPECT_EQ(Get(port_, "/deviceUpdate/demo/management/operations").status, 400);
  EXPECT_EQ(GetOp(kOp1, {}, "?api-version=2022-07-01-preview").status, 200);
}

const char* kMany = R"(
instance_id: demo
page_size: 2
operations:
  - {id: d1, timeline: [{at: 0, status: Running}]}
  - {id: d2, timeline: [{at: 0, status: Succeeded}]}
  - {id: d3, timeline: [{at: 0, status: NotStarted}]}
  - {id: d4, timeline: [{at: 0, status: Failed}]}
  - {id: d5, timeline: [{at: 0, status: Running}]}
  - {id: u1, kind: update, timeline: [{at: 0, status: Running}]}
  - {id: d6, start: 100, timeline: [{at: 0, status: Running}]}
)";

// Follows nextLink from `first` and returns the concatenated ids and the number of pages.
std::pair<std::vector<std::string>, int> ListAll(std::uint16_t port, std::string target) {
  std::vector<std::string> ids;
  int pages = 0;
  while (!target.empty() && pages < 20) {
    const auto r = Get(port, target);
    EXPECT_EQ(r.status, 200) << target << " " << r.body;
    ++pages;
    const std::regex id_re(R"re("operationId":"([^"]+)")re");
    for (std::sregex_iterator it(r.body.begin(), r.body.end(), id_re), end; it != end; ++it) {
      ids.push_back((*it)[1]);
    }
    target = JsonString(r.body, "nextLink");
    if (target == "<absent>") target.clear();
    if (!target.empty()) {
      EXPECT_EQ(target.rfind("/deviceUpdate/demo/management/operations?", 0), 0u);
    }
  }
  return {ids, pages};
}

TEST_F(EmulatorTest, ListPagesWithRelativeNextLinkAndHonoursTopAndFilter) {
  StartWith(kMany);
  const std::string base = "/deviceUpdate/demo/management/operations?api-version=2022-10-01";
  auto [all, pages] = ListAll(port_, base);
  EXPECT_EQ(all, (std::vector<std::string>{"d1", "d2", "d3", "d4", "d5"}));
  EXPECT_EQ(pages, 3);
  auto [top3, top_pages] = ListAll(port_, base + "&top=3");
  EXPECT_EQ(top3, (std::vector<std::string>{"d1", "d2", "d3"}));
  EXPECT_EQ(top_pages, 2);
  auto [in_flight, f_pages] = ListAll(
      port_, base + "&filter=status%20eq%20%27NotStarted%27%20or%20status%20eq%20%27Running%27");
  EXPECT_EQ(in_flight, (std::vector<std::string>{"d1", "d3", "d5"}));
  auto [plus, p_pages] =
      ListAll(port_, base + "&filter=status+eq+'NotStarted'+or+status+eq+'Running'&top=2");
  EXPECT_EQ(plus, (std::vector<std::string>{"d1", "d3"}));
  EXPECT_EQ(p_pages, 1);
  // Update operations are listed from their own collection only.
  const auto u = Get(port_, "/deviceUpdate/demo/updates/operations?api-version=2022-10-01");
  EXPECT_EQ(u.body.rfind(R"({"value":[{"operationId":"u1",)", 0), 0u) << u.body;
  EXPECT_EQ(Count(u.body, "operationId"), 1);

  auto bad = Get(port_, base + "&filter=status%20eq%20%27Failed%27");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.rfind(R"({"error":{"code":"BadRequest")", 0), 0u) << bad.body;
  EXPECT_EQ(Get(port_, base + "&top=abc").status, 400);
  const auto stats = emulator_->StatsJson();
  EXPECT_NE(stats.find("\"list_calls\":11"), std::string::npos) << stats;
}

// An operation with `appear_at` does not exist before that second (404, in no list), then is
// listed and served with that instant as its createdDateTime.
TEST_F(EmulatorTest, OperationsAppearAtTheirSecondInGetsAndLists) {
  StartWith(R"(
instance_id: demo
operations:
  - {id: early, timeline: [{at: 0, status: Running}]}
  - {id: late, appear_at: 20, timeline: [{at: 0, status: NotStarted}, {at: 5, status: Succeeded}]}
)");
  const std::string base = "/deviceUpdate/demo/management/operations?api-version=2022-10-01";
  const std::string in_flight =
      base + "&$filter=status%20eq%20%27NotStarted%27%20or%20status%20eq%20%27Running%27";
  Advance(19.5);
  EXPECT_EQ(GetOp("late").status, 404);
  EXPECT_EQ(ListAll(port_, base).first, (std::vector<std::string>{"early"}));
  EXPECT_EQ(ListAll(port_, in_flight).first, (std::vector<std::string>{"early"}));
  Advance(0.5);
  const auto got = GetOp("late");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(JsonString(got.body, "status"), "NotStarted");
  // createdDateTime is the appearance: 20 s after the emulator's start.
  const auto created = ParseTimestamp(JsonString(got.body, "createdDateTime"));
  const auto early_created = ParseTimestamp(JsonString(GetOp("early").body, "createdDateTime"));
  ASSERT_TRUE(created && early_created);
  EXPECT_EQ(*created - *early_created, std::chrono::seconds(20));
  EXPECT_EQ(ListAll(port_, in_flight).first, (std::vector<std::string>{"early", "late"}));
  Advance(5);
  // Completed: out of the in-flight list, still in the unfiltered one.
  EXPECT_EQ(ListAll(port_, in_flight).first, (std::vector<std::string>{"early"}));
  EXPECT_EQ(ListAll(port_, base).first, (std::vector<std::string>{"early", "late"}));
}

TEST(ScenarioTest, AppearAtIsStartAndExcludesIt) {
  auto ok = ParseScenario("operations: [{id: a, appear_at: -30, timeline: [{status: Running}]}]\n");
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_EQ(ok->operations[0].start, -30);
  auto both = ParseScenario(
      "operations: [{id: a, start: 1, appear_at: 2, timeline: [{status: Running}]}]\n", "s");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().find("s:1:"), std::string::npos) << both.error();
}

// Generated operations appear one after the other; `status` makes completed ones, and a negative
// appear_at makes them days old.
TEST_F(EmulatorTest, GeneratedOperationsAppearInTurnAndCanBeCompletedAndOld) {
  StartWith(R"(
instance_id: demo
page_size: 100
generate:
  - {count: 3, prefix: new, appear_at: 10, appear_every: 6, changing_fraction: 1, duration: 4}
  - {count: 150, prefix: old, status: Succeeded, appear_at: -259200, appear_every: 60}
)");
  const std::string base = "/deviceUpdate/demo/management/operations?api-version=2022-10-01";
  const std::string in_flight =
      base + "&filter=status%20eq%20%27NotStarted%27%20or%20status%20eq%20%27Running%27";
  auto [all, pages] = ListAll(port_, base);
  EXPECT_EQ(all.size(), 150u);
  EXPECT_EQ(pages, 2);
  EXPECT_TRUE(ListAll(port_, in_flight).first.empty());
  const auto old0 = GetOp("old-0");
  ASSERT_EQ(old0.status, 200);
  EXPECT_EQ(JsonString(old0.body, "status"), "Succeeded");
  const auto created = ParseTimestamp(JsonString(old0.body, "createdDateTime"));
  ASSERT_TRUE(created.has_value());
  const auto age = clock_.WallNow() - *created;
  EXPECT_GT(age, std::chrono::hours(71));
  EXPECT_LT(age, std::chrono::hours(73));
  EXPECT_EQ(GetOp("new-1").status, 404);
  Advance(16);  // new-0 at 10, new-1 at 16, new-2 at 22
  EXPECT_EQ(GetOp("new-1").status, 200);
  EXPECT_EQ(GetOp("new-2").status, 404);
  EXPECT_EQ(ListAll(port_, in_flight).first, (std::vector<std::string>{"new-1"}))
      << "new-0 finished within its 4 s duration";
}

// --- answer forms (docs/emulator.md, "Answer forms": what the recorded service sends) ---

int HeaderCount(const RawResponse& r, const std::string& name) {
  int n = 0;
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) ++n;
  }
  return n;
}

TEST_F(EmulatorTest, TimestampsInEveryZoneAndDigitFormNameTheSameInstant) {
  const std::string ops = R"(
operations:
  - id: a
    timeline: [{at: 0, status: Running}, {at: 1.5, status: Failed}]
)";
  // Three emulators started at the same instant on one clock, one per form.
  std::vector<std::unique_ptr<Emulator>> emulators;
  std::vector<std::uint16_t> ports;
  for (const char* form :
       {"", "timestamps: {zone: Z, trim: true}\n", "timestamps: {zone: \"-07:00\"}\n"}) {
    StartWith("instance_id: demo\n" + std::string(form) + ops);
    ports.push_back(port_);
    emulators.push_back(std::move(emulator_));
  }
  Advance(1.5);
  const auto spec_form = Get(ports[0], OpPath("a"));
  const auto zulu = Get(ports[1], OpPath("a"));
  const auto local = Get(ports[2], OpPath("a"));

  // The fake wall clock starts on a whole second: created is 0 fraction digits when trimmed,
  // the last action 1 digit (.5); occurredDateTime follows the same form.
  const std::string created = JsonString(zulu.body, "createdDateTime");
  EXPECT_TRUE(std::regex_match(created, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << created;
  const std::string last = JsonString(zulu.body, "lastActionDateTime");
  EXPECT_TRUE(std::regex_match(last, std::regex(R"(.*:\d\d\.5Z)"))) << last;
  EXPECT_EQ(JsonString(zulu.body, "occurredDateTime"), last);
  const std::string shifted = JsonString(local.body, "lastActionDateTime");
  EXPECT_TRUE(std::regex_match(shifted, std::regex(R"(.*\.5000000-07:00)"))) << shifted;
  for (const char* field : {"createdDateTime", "lastActionDateTime"}) {
    const auto a = ParseTimestamp(JsonString(spec_form.body, field));
    const auto b = ParseTimestamp(JsonString(zulu.body, field));
    const auto c = ParseTimestamp(JsonString(local.body, field));
    ASSERT_TRUE(a && b && c) << field;
    EXPECT_EQ(*a, *b) << field;
    EXPECT_EQ(*a, *c) << field;
  }
}

TEST_F(EmulatorTest, InnerErrorKeyCanBeCamelCaseAsRecorded) {
  StartWith(std::string(kBasic) + "inner_error_key: innerError\n");
  Advance(2);
  const auto r = GetOp("failing");
  EXPECT_NE(r.body.find(R"(,"innerError":{"code":"X","message":"Y","innerError":{"code":"Z"}})"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("innererror"), std::string::npos) << r.body;
}

TEST_F(EmulatorTest, EtagOnlyInTheBodyAndA304WithNoHeadersAtAll) {
  StartWith(std::string(kBasic) + "etag_header: false\nbare_304: true\n");
  const auto first = GetOp();
  ASSERT_EQ(first.status, 200);
  EXPECT_FALSE(first.Header("ETag").has_value());
  const std::string etag = JsonString(first.body, "etag");
  ASSERT_GE(etag.size(), 3u);
  const auto again = GetOp(kOp1, {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.headers.empty()) << again.headers.front().first;
  EXPECT_TRUE(again.body.empty());
}

TEST_F(EmulatorTest, LegacyNextLinkIsRelativeOnTheV2PathWithASkipTokenAndNoApiVersion) {
  StartWith(std::string(kMany) + "next_link: legacy\n");
  std::string target =
      "/deviceUpdate/demo/management/operations?api-version=2022-10-01"
      "&filter=status%20eq%20%27NotStarted%27%20or%20status%20eq%20%27Running%27";
  std::vector<std::string> ids;
  for (int pages = 0; !target.empty() && pages < 10; ++pages) {
    const auto r = Get(port_, target);
    ASSERT_EQ(r.status, 200) << target << " " << r.body;
    const std::regex id_re(R"re("operationId":"([^"]+)")re");
    for (std::sregex_iterator it(r.body.begin(), r.body.end(), id_re), end; it != end; ++it) {
      ids.push_back((*it)[1]);
    }
    target = JsonString(r.body, "nextLink");
    if (target == "<absent>") break;
    EXPECT_EQ(target.rfind("/deviceupdate/demo/v2/management/operations?$top=2&$skipToken="
                           "%5B%7B%22token%22%3A%22%2BRID%3A%7E",
                           0),
              0u)
        << target;
    EXPECT_EQ(target.find("api-version"), std::string::npos) << target;
    if (pages == 1) target += "&api-version=2022-10-01";  // as a client adds it: same page
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"d1", "d3", "d5"}));
  EXPECT_EQ(Get(port_, "/deviceupdate/demo/v2/management/operations?$skipToken=garbage").status,
            400);
}

TEST_F(EmulatorTest, RecordedProfileServesEveryRecordedForm) {
  StartWith(R"(
instance_id: demo
profile: recorded
generate: {count: 250, kind: update, prefix: op, changing_fraction: 0}
operations:
  - id: failing
    timeline: [{at: 0, status: Failed}]
    error: {code: E, innererror: {code: I}}
)");
  auto page = Get(port_, "/deviceUpdate/demo/updates/operations?api-version=2022-10-01");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(Count(page.body, "\"operationId\""), 100);  // pages of 100
  EXPECT_NE(JsonString(page.body, "nextLink").find("/v2/updates/operations?$top=100&$skipToken="),
            std::string::npos);
  EXPECT_EQ(page.Header("Cache-Control"), "max-age=60, private");
  EXPECT_EQ(HeaderCount(page, "mise-correlation-id"), 2);

  const auto op = Get(port_, "/deviceUpdate/demo/updates/operations/op-1?api-version=2022-10-01");
  EXPECT_FALSE(op.Header("ETag").has_value());
  EXPECT_TRUE(std::regex_match(JsonString(op.body, "createdDateTime"), std::regex(R"(.*\dZ)")));
  const auto bare = Get(port_, "/deviceUpdate/demo/updates/operations/op-1?api-version=2022-10-01",
                        {{"If-None-Match", JsonString(op.body, "etag")}});
  EXPECT_EQ(bare.status, 304);
  EXPECT_TRUE(bare.headers.empty());
  const auto failed = GetOp("failing");
  EXPECT_NE(failed.body.find(R"("innerError":{"code":"I"})"), std::string::npos) << failed.body;

  const auto missing = GetOp("nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(JsonString(missing.body, "type"), "https://tools.ietf.org/html/rfc9110#section-15.5.5");
  EXPECT_EQ(HeaderCount(missing, "mise-correlation-id"), 2);
}

TEST(ScenarioTest, AnswerFormOptionsAreChecked) {
  EXPECT_FALSE(ParseScenario("profile: live\n").ok());
  EXPECT_FALSE(ParseScenario("timestamps: {zone: \"+7\"}\n").ok());
  EXPECT_FALSE(ParseScenario("timestamps: {zone: \"+25:00\"}\n").ok());
  EXPECT_FALSE(ParseScenario("inner_error_key: inner\n").ok());
  EXPECT_FALSE(ParseScenario("next_link: absolute\n").ok());
  auto s = ParseScenario("profile: recorded\npage_size: 7\n");
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->page_size, 7);  // an explicit key overrides the profile
  EXPECT_EQ(s->timestamps.zone, "Z");
  EXPECT_FALSE(s->etag_header);
  auto minus = ParseScenario("timestamps: {zone: \"-07:00\"}\n");
  ASSERT_TRUE(minus.ok());
  EXPECT_EQ(minus->timestamps.offset_minutes, -420);
}

TEST_F(EmulatorTest, RateLimitsGive429WithRetryAfterAndRecover) {
  StartWith(std::string(kMany) + "limits: {get_per_minute: 5, list_per_minute: 2}\n");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(GetOp("d1").status, 200) << i;
  Advance(10);
  auto r = GetOp("d1");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "50");
  EXPECT_EQ(GetOp("no-such").status, 429);  // 404s count against the same budget
  Advance(50);
  EXPECT_EQ(GetOp("d1").status, 200);

  const std::string list = "/deviceUpdate/demo/management/operations?api-version=2022-10-01";
  EXPECT_EQ(Get(port_, list).status, 200);
  EXPECT_EQ(Get(port_, list).status, 200);
  r = Get(port_, list);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "60");
  const auto stats = emulator_->StatsJson();
  EXPECT_NE(stats.find("\"throttled\":3"), std::string::npos) << stats;
}

const char* kFaults = R"(
instance_id: demo
operations:
  - id: f
    timeline: [{at: 0, status: Running}]
    faults:
      - {request: 1, kind: status, status: 503, retry_after: 2}
      - {request: 2, kind: status, status: 500}
      - {request: 3, kind: truncated}
      - {request: 4, kind: empty}
      - {request: 5, kind: reset}
      - {request: 6, kind: oversized, bytes: 2000000}
      - {request: 7, kind: trickle, bytes_per_second: 1000}
      - {request: 8, kind: stall, seconds: 30}
  - id: ev
    timeline: [{at: 0, status: Running}]
    faults: [{every: 2, kind: status, status: 502}]
)";

TEST_F(EmulatorTest, EachFaultKindMisbehavesAsDeclared) {
  StartWith(kFaults);
  auto r = GetOp("f");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("Retry-After"), "2");
  r = GetOp("f");
  EXPECT_EQ(r.status, 500);
  EXPECT_FALSE(r.Header("Retry-After").has_value());

  r = GetOp("f");  // truncated: well-formed HTTP, cut JSON
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.body.front(), '{');
  EXPECT_NE(r.body.back(), '}');
  const auto whole = Get(port_, OpPath("ev")).body;  // ev request 1: normal
  EXPECT_LT(r.body.size(), whole.size());

  r = GetOp("f");  // empty 200
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Length"), "0");
  EXPECT_TRUE(r.body.empty());

  r = GetOp("f");  // reset: no answer at all
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "reset");  // RST (SO_LINGER 0), not an orderly FIN

  r = GetOp("f");  // oversized but valid
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), 2000000u);
  EXPECT_EQ(r.body.substr(r.body.size() - 2), "\"}");
  EXPECT_EQ(JsonString(r.body, "status"), "Running");

  r = GetOp("f");  // trickle: complete, but in many small pieces
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(JsonString(r.body, "status"), "Running");
  EXPECT_GT(r.body_reads, 2);

  {
    RawConnection stalled(port_, 300);  // the client gives up long before the 30 s stall ends
    r = stalled.Request("GET", OpPath("f"));
    EXPECT_EQ(r.error, "timeout");
    EXPECT_EQ(r.status, 0);
  }
  EXPECT_EQ(GetOp("f").status, 200);  // request 9: back to normal

  EXPECT_EQ(Get(port_, OpPath("ev")).status, 502);  // every 2nd
  EXPECT_EQ(Get(port_, OpPath("ev")).status, 200);
  EXPECT_EQ(Get(port_, OpPath("ev")).status, 502);

  const auto stats = emulator_->StatsJson();
  EXPECT_NE(stats.find(R"("f":{"kind":"device","requests":9,"conditional_requests":0,"ok":1,)"
                       R"("not_modified":0,"not_found":0,"throttled":0,"faults":8)"),
            std::string::npos)
      << stats;
  for (const char* kind :
       {"status", "truncated", "empty", "reset", "oversized", "trickle", "stall"}) {
    EXPECT_NE(stats.find(std::string("\"fault\":\"") + kind + "\""), std::string::npos) << kind;
  }
  // Stop() must not wait for the stalled answer.
  const auto before = std::chrono::steady_clock::now();
  emulator_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(20));
}

const char* kAuth = R"(
instance_id: demo
auth:
  mode: bearer
  tokens: [static-token]
  clients: [{tenant: t1, client_id: app, client_secret: s3cret}]
  managed_identity: {enabled: true}
  token_lifetime: 600
operations:
  - {id: a, timeline: [{at: 0, status: Running}]}
)";

TEST_F(EmulatorTest, BearerTokenIsRequiredWhenConfigured) {
  StartWith(kAuth);
  auto r = GetOp("a");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate")->rfind("Bearer", 0), 0u);
  EXPECT_EQ(GetOp("a", {{"Authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(GetOp("a", {{"Authorization", "Bearer static-token"}}).status, 200);
  EXPECT_NE(emulator_->StatsJson().find("\"auth_failures\":2"), std::string::npos);
}

TEST_F(EmulatorTest, ClientCredentialsTokenEndpoint) {
  StartWith(kAuth);
  const std::string ok_form =
      "grant_type=client_credentials&client_id=app&client_secret=s3cret&scope=https%3A%2F%2Fapi."
      "adu.microsoft.com%2F.default";
  auto r = Post(port_, "/t1/oauth2/v2.0/token", ok_form);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("token_type":"Bearer","expires_in":600,)"), std::string::npos) << r.body;
  const auto token = JsonString(r.body, "access_token");
  EXPECT_EQ(GetOp("a", {{"Authorization", "Bearer " + token}}).status, 200);
  Advance(601);  // minted tokens expire
  EXPECT_EQ(GetOp("a", {{"Authorization", "Bearer " + token}}).status, 401);

  r = Post(port_, "/t1/oauth2/v2.0/token",
           "grant_type=client_credentials&client_id=app&client_secret=wrong&scope=https%3A%2F%2F"
           "api.adu.microsoft.com%2F.default");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(JsonString(r.body, "error"), "invalid_client");
  EXPECT_EQ(
      JsonString(r.body, "error_description").rfind("AADSTS7000215: Invalid client secret", 0), 0u);
  EXPECT_NE(r.body.find(R"("error_codes":[7000215])"), std::string::npos);

  r = Post(port_, "/t1/oauth2/v2.0/token",
           "grant_type=password&client_id=app&client_secret=s3cret");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonString(r.body, "error"), "unsupported_grant_type");
  r = Post(port_, "/t1/oauth2/v2.0/token", "client_id=app&client_secret=s3cret");
  EXPECT_EQ(JsonString(r.body, "error"), "invalid_request");
  r = Post(port_, "/t1/oauth2/v2.0/token",
           "grant_type=client_credentials&client_id=app&client_secret=s3cret&scope=openid");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonString(r.body, "error"), "invalid_scope");
  r = Post(port_, "/t1/oauth2/v2.0/token",
           "grant_type=client_credentials&client_id=app&client_secret=s3cret&scope=https%3A%2F%2F"
           "graph.microsoft.com%2F.default");
  EXPECT_EQ(JsonString(r.body, "error"), "invalid_resource");
  r = Post(port_, "/t1/oauth2/v2.0/token",
           "grant_type=client_credentials&client_id=other&client_secret=s3cret");
  EXPECT_EQ(JsonString(r.body, "error"), "unauthorized_client");
  r = Post(port_, "/t2/oauth2/v2.0/token", ok_form);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("AADSTS90002"), std::string::npos);
  EXPECT_EQ(Get(port_, "/t1/oauth2/v2.0/token").status, 405);

  const auto stats = emulator_->StatsJson();
  EXPECT_NE(stats.find("\"token_requests\":9,\"token_failures\":8"), std::string::npos) << stats;
}

TEST_F(EmulatorTest, ManagedIdentityEndpoint) {
  StartWith(kAuth);
  const std::string path =
      "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fapi.adu."
      "microsoft.com%2F";
  auto r = Get(port_, path);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonString(r.body, "error_description"), "Required metadata header not specified");
  r = Get(port_, path, {{"Metadata", "true"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("expires_in":"600")"), std::string::npos) << r.body;  // a string
  EXPECT_EQ(JsonString(r.body, "resource"), "https://api.adu.microsoft.com/");
  EXPECT_EQ(GetOp("a", {{"Authorization", "Bearer " + JsonString(r.body, "access_token")}}).status,
            200);
  r = Get(port_,
          "/metadata/identity/oauth2/"
          "token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net",
          {{"Metadata", "true"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonString(r.body, "error"), "invalid_resource");

  emulator_.reset();
  StartWith(R"(
auth: {mode: bearer, managed_identity: {enabled: false}}
)");
  r = Get(port_, path, {{"Metadata", "true"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(JsonString(r.body, "error_description"), "Identity not found");
}

TEST_F(EmulatorTest, StatsRecordEveryRequestAndResetClearsThem) {
  StartWith(kBasic);
  const auto etag = *GetOp().Header("ETag");
  GetOp(kOp1, {{"If-None-Match", etag}});
  GetOp("nope");
  Get(port_, "/deviceUpdate/demo/management/operations?api-version=2022-10-01");
  const auto stats = Get(port_, "/_emulator/stats").body;
  EXPECT_NE(stats.find(std::string("\"") + kOp1 +
                       R"(":{"kind":"device","requests":2,"conditional_requests":1,"ok":1,)"
                       R"("not_modified":1,"not_found":0,"throttled":0,"faults":0,)"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find(R"("if_none_match":null,"status":200)"), std::string::npos);
  std::string escaped_etag = "\\\"" + etag.substr(1, etag.size() - 2) + "\\\"";
  EXPECT_NE(stats.find("\"if_none_match\":\"" + escaped_etag + "\",\"status\":304"),
            std::string::npos)
      << stats;
  EXPECT_NE(
      stats.find(
          R"("nope":{"kind":"device","requests":1,"conditional_requests":0,"ok":0,"not_modified":0,"not_found":1)"),
      std::string::npos);
  EXPECT_NE(stats.find("\"total_requests\":4"), std::string::npos);
  EXPECT_NE(stats.find(R"("global":{"total_requests":4,"throttled":0,"token_requests":0,)"
                       R"("token_failures":0,"auth_failures":0,"list_calls":1,"faults":0,)"
                       R"("peak_concurrent_requests":1})"),
            std::string::npos)
      << stats;
  EXPECT_NE(stats.find("\"list_calls\":1"), std::string::npos);
  // ?operation= narrows the per-operation part.
  const auto one = Get(port_, "/_emulator/stats?operation=nope").body;
  EXPECT_EQ(one.find(kOp1), std::string::npos);
  EXPECT_NE(one.find("\"nope\""), std::string::npos);

  EXPECT_EQ(Post(port_, "/_emulator/reset-stats", "").status, 200);
  const auto cleared = Get(port_, "/_emulator/stats").body;
  EXPECT_NE(cleared.find("\"total_requests\":0"), std::string::npos);
  EXPECT_NE(cleared.find("\"operations\":{}"), std::string::npos) << cleared;
  EXPECT_EQ(Get(port_, "/_emulator/health").body, R"({"status":"ok"})");
}

TEST_F(EmulatorTest, PeakConcurrencyCountsOverlappingRequests) {
  StartWith(R"(
operations:
  - id: slow
    timeline: [{at: 0, status: Running}]
    faults: [{every: 1, kind: stall, seconds: 0.3}]
)");
  RawConnection a(port_), b(port_);
  ASSERT_TRUE(a.Send("GET", OpPath("slow")));
  ASSERT_TRUE(b.Send("GET", OpPath("slow")));
  EXPECT_EQ(a.Read().status, 200);
  EXPECT_EQ(b.Read().status, 200);
  EXPECT_NE(emulator_->StatsJson().find("\"peak_concurrent_requests\":2"), std::string::npos)
      << emulator_->StatsJson();
}

TEST_F(EmulatorTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartWith(kBasic);
  RawConnection c(port_);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.Request("GET", OpPath(kOp1)).status, 200) << i;
  EXPECT_EQ(c.Request("GET", OpPath("nope")).status, 404);
  EXPECT_EQ(c.Request("GET", OpPath(kOp1)).status, 200);
}

TEST_F(EmulatorTest, TimelineListsEffectiveChangesAndWhenFirstServed) {
  StartWith(kBasic);
  GetOp();
  Advance(5);
  const auto t = Get(port_, "/_emulator/timeline").body;
  const std::regex row(
      std::string(R"re(\{"operation_id":")re") + kOp1 +
      R"re(","kind":"device","status":"(\w+)","scenario_time":([0-9.]+),"effective_at":"[^"]+","first_served_at":(null|"[^"]+")\})re");
  std::vector<std::string> seen;
  for (std::sregex_iterator it(t.begin(), t.end(), row), end; it != end; ++it) {
    seen.push_back((*it)[1].str() + "@" + (*it)[2].str() + ":" +
                   ((*it)[3] == "null" ? "unserved" : "served"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"NotStarted@0.000:served", "Running@5.000:unserved"}))
      << t;
  EXPECT_EQ(Count(t, "\"status\":\"Succeeded\""),
            1);  // upd at 1 s; kOp1's Succeeded is in the future
}

TEST(EmulatorOptionsTest, TimeScaleSpeedsUpTimelinesButNotRateWindows) {
  FakeClock clock;
  auto scenario = ParseScenario(std::string(kBasic) + "limits: {get_per_minute: 2}\n");
  ASSERT_TRUE(scenario.ok()) << scenario.error();
  EmulatorOptions options;
  options.clock = &clock;
  options.time_scale = 10;
  auto emulator = Emulator::Start(std::move(scenario).value(), options);
  ASSERT_TRUE(emulator.ok());
  const auto port = (*emulator)->port();
  clock.Advance(std::chrono::milliseconds(500));  // 5 scenario seconds
  EXPECT_EQ(JsonString(Get(port, OpPath(kOp1)).body, "status"), "Running");
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(JsonString(Get(port, OpPath(kOp1)).body, "status"), "Succeeded");
  auto r = Get(port, OpPath(kOp1));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Header("Retry-After"), "60");  // the window is 60 real seconds
}

TEST(EmulatorOptionsTest, SeveralThreadsServeConcurrentClientsConsistently) {
  auto scenario = ParseScenario(kBasic);
  ASSERT_TRUE(scenario.ok());
  EmulatorOptions options;
  options.threads = 2;
  auto emulator = Emulator::Start(std::move(scenario).value(), options);
  ASSERT_TRUE(emulator.ok());
  const auto port = (*emulator)->port();
  constexpr int kClients = 4, kEach = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      RawConnection conn(port);
      for (int i = 0; i < kEach; ++i) {
        if (conn.Request("GET", OpPath(kOp1)).status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  const auto stats = (*emulator)->StatsJson();
  EXPECT_NE(stats.find("\"total_requests\":400"), std::string::npos) << stats.substr(0, 300);
  EXPECT_NE(stats.find("\"requests\":400,"), std::string::npos);
}

TEST(ScenarioTest, ErrorsNameLineAndColumn) {
  auto s = ParseScenario("instance_id: x\nbogus: 1\n", "f.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "f.yaml:2:1: unknown key 'bogus'");
  s = ParseScenario(
      "operations:\n  - id: a\n    timeline: [{at: 5, status: Running}, {at: 1, status: "
      "Failed}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("sorted"), std::string::npos);
  s = ParseScenario(
      "operations:\n  - {id: a, timeline: [{at: 0, status: Running}], faults: [{kind: nap, "
      "request: 1}]}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("unknown fault kind 'nap'"), std::string::npos);
  EXPECT_FALSE(ParseScenario("operations:\n  - {id: a, timeline: [{at: 0, status: Running}]}\n  - "
                             "{id: a, timeline: [{at: 0, status: Running}]}\n")
                   .ok());
  EXPECT_FALSE(ParseScenario("[unclosed").ok());
}

TEST(ScenarioTest, GenerateIsDeterministic) {
  const char* yaml = "generate: {count: 200, changing_fraction: 0.25, duration: 60, seed: 7}\n";
  auto a = ParseScenario(yaml);
  auto b = ParseScenario(yaml);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->operations.size(), 200u);
  int changing = 0;
  for (std::size_t i = 0; i < 200; ++i) {
    EXPECT_EQ(a->operations[i].id, b->operations[i].id);
    EXPECT_EQ(a->operations[i].timeline.size(), b->operations[i].timeline.size());
    if (a->operations[i].timeline.size() > 1) {
      ++changing;
      EXPECT_LE(a->operations[i].timeline.back().at, 60);
    }
  }
  EXPECT_EQ(a->operations[0].id, "00000007-0000-4000-8000-000000000000");
  EXPECT_GT(changing, 20);
  EXPECT_LT(changing, 90);
  auto prefixed = ParseScenario("generate: {count: 3, prefix: op, kind: update}\n");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->operations[2].id, "op-2");
  EXPECT_EQ(prefixed->operations[2].kind, OperationKind::kUpdate);
}

TEST(ScenarioTest, DemoScenarioGoesThroughEveryStatusWithin40Seconds) {
  auto s = LoadScenarioFile(std::string(ADU_EMULATOR_SCENARIOS) + "/demo.yaml");
  ASSERT_TRUE(s.ok()) << s.error();
  std::set<std::string> statuses;
  double last = 0;
  for (const auto& op : s->operations) {
    for (const auto& e : op.timeline) {
      statuses.insert(e.status);
      last = std::max(last, op.start + e.at);
    }
  }
  EXPECT_EQ(statuses, (std::set<std::string>{"NotStarted", "Running", "Succeeded", "Failed"}));
  EXPECT_LE(last, 40);
}

// Runs the binary with `args`, returns its exit status and stdout+stderr.
std::pair<int, std::string> RunBinary(std::vector<std::string> args) {
  std::string cmd = ADU_EMULATOR_BINARY;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = p ? ::pclose(p) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(BinaryTest, HelpAndBadArguments) {
  auto [code, out] = RunBinary({"--help"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("usage: adu-emulator --scenario FILE"), std::string::npos);
  std::tie(code, out) = RunBinary({});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--scenario is required"), std::string::npos);
  std::tie(code, out) = RunBinary({"--scenario", "/nonexistent.yaml"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("cannot read scenario file /nonexistent.yaml"), std::string::npos);
  std::tie(code, out) = RunBinary({"--scenario", "x", "--port", "70000"});
  EXPECT_EQ(code, 2);
}

TEST(BinaryTest, RunsWithPortFileAndStopsOnSigterm) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("adu-emulator-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto port_file = (dir / "port").string();
  const std::string scenario = std::string(ADU_EMULATOR_SCENARIOS) + "/demo.yaml";
  std::vector<std::string> args = {ADU_EMULATOR_BINARY, "--scenario", scenario, "--port", "0",
                                   "--port-file",       port_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (dir / "out").c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int port = 0;
  for (int i = 0; i < 300 && port == 0; ++i) {  // up to 30 s on a loaded machine
    std::ifstream in(port_file);
    if (!(in >> port)) {
      port = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ASSERT_GT(port, 0);
  EXPECT_EQ(Get(static_cast<std::uint16_t>(port), "/_emulator/health").status, 200);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream out(dir / "out");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "listening on 127.0.0.1:" + std::to_string(port));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace adu::emulator
