// Discovery: the engine takes in listed operations nobody named, from the list refresh's runs
// and under its budget (core/src/engine/list_refresh.cpp).
#include <gtest/gtest.h>

#include <algorithm>

#include "adu/core/engine.h"
#include "adu/core/time_format.h"
#include "fakes.h"

namespace adu {
namespace {

using namespace std::chrono_literals;
using testing::CaptureLogger;
using testing::CaptureSink;
using testing::FakeClock;
using testing::FakeService;
using testing::FakeStore;

OperationKey Dev(const std::string& id) { return {OperationKind::kDevice, id}; }

EngineOptions Discovering() {
  EngineOptions o;
  o.interval = 10s;
  o.use_list = ListMode::kNever;  // no list mode: only discovery reads the lists
  o.discovery.kinds = {OperationKind::kDevice};
  o.discovery.interval = 10s;
  o.discovery.resync = 1h;
  o.discovery.max_age = 24h * 7;
  return o;
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void Make(EngineOptions o, const std::vector<WatchItem>& watch = {}) {
    engine = std::make_unique<Engine>(o, service, writer, clock, logger, 42);
    engine->Start(store.loaded, watch);
  }
  void RunFor(Duration d) {
    const MonoTime end = clock.Now() + d;
    while (true) {
      MonoTime next = engine->Step();
      if (next > end || next == MonoTime::max()) break;
      if (next > clock.Now())
        clock.Advance(std::chrono::duration_cast<Duration>(next - clock.Now()) + 1ms);
    }
    if (clock.Now() < end) clock.Advance(std::chrono::duration_cast<Duration>(end - clock.Now()));
    engine->Step();
  }
  // A list item created `age` before the clock's wall time.
  ListItem Listed(const std::string& id, const std::string& status, const std::string& etag,
                  Duration age = 1h) {
    ListItem item = FakeService::Item(id, status, etag);
    item.operation.created_at = FormatTimestamp(clock.WallNow() - age);
    return item;
  }
  static ListOutcome Page(std::vector<ListItem> items, std::optional<std::string> next = {}) {
    ListPage page;
    page.items = std::move(items);
    page.next_page = std::move(next);
    ListOutcome out;
    out.result = std::move(page);
    out.http_status = 200;
    return out;
  }
  // Answers the newest list call and steps the engine.
  void AnswerLast(ListOutcome outcome) {
    service.AnswerList(service.lists.size() - 1, std::move(outcome));
    engine->Step();
  }
  std::optional<OperationOrigin> StoredOrigin(const std::string& id) {
    if (store.watched_origins.empty()) return std::nullopt;
    for (const auto& w : store.watched_origins.back()) {
      if (w.key == Dev(id)) return w.origin;
    }
    return std::nullopt;
  }
  size_t SnapshotsOf(const std::string& id) {
    return static_cast<size_t>(
        std::count_if(store.written.begin(), store.written.end(), [&](const PollRecord& r) {
          return r.key == Dev(id) && std::holds_alternative<Changed>(r.outcome);
        }));
  }

  FakeClock clock;
  FakeService service{clock};
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  std::shared_ptr<spdlog::logger> logger = CaptureLogger(sink);
  StoreWriter writer{store, clock, logger};
  std::unique_ptr<Engine> engine;
};

TEST_F(DiscoveryTest, FirstPassIsUnfilteredAndStoresEveryPageFromItsBytesWithoutAGet) {
  Make(Discovering());
  engine->Step();
  ASSERT_EQ(service.lists.size(), 1u);
  EXPECT_TRUE(service.lists[0].all);
  EXPECT_EQ(service.lists[0].kind, OperationKind::kDevice);
  AnswerLast(Page({Listed("a", "Succeeded", "\"a1\""), Listed("b", "Running", "\"b1\"")}, "/p2"));
  RunFor(2s);  // the list budget's next token
  ASSERT_EQ(service.lists.size(), 2u);
  EXPECT_EQ(service.lists[1].page, "/p2");
  EXPECT_TRUE(service.lists[1].all);
  AnswerLast(Page({Listed("c", "Failed", "\"c1\"")}));
  writer.Pump();
  EXPECT_EQ(store.Count<Changed>(), 3u);
  for (const auto& r : store.written) {
    const auto& snap = std::get<Changed>(r.outcome).snapshot;
    EXPECT_EQ(snap.body, FakeService::Item(r.key.id, snap.status, snap.etag).body);
  }
  EXPECT_TRUE(service.calls.empty()) << "no GET: the pages brought every snapshot";
  EXPECT_EQ(engine->OriginOfForTest(Dev("a")), OperationOrigin::kDiscovered);
  EXPECT_EQ(StoredOrigin("c"), OperationOrigin::kDiscovered);
  EXPECT_EQ(engine->StateOfForTest(Dev("c")), OperationState::kTerminal);
  // The update list was never read: discovery covers device only.
  for (const auto& l : service.lists) EXPECT_EQ(l.kind, OperationKind::kDevice);
}

TEST_F(DiscoveryTest, OnlyOperationsCreatedWithinMaxAgeAreTakenIn) {
  auto o = Discovering();
  o.discovery.max_age = 24h;
  Make(o);
  engine->Step();
  AnswerLast(
      Page({Listed("young", "Succeeded", "\"y\"", 23h), Listed("old", "Succeeded", "\"o\"", 25h)}));
  writer.Pump();
  EXPECT_EQ(engine->OriginOfForTest(Dev("young")), OperationOrigin::kDiscovered);
  EXPECT_FALSE(engine->OriginOfForTest(Dev("old")).has_value());
  EXPECT_EQ(SnapshotsOf("young"), 1u);
  EXPECT_EQ(SnapshotsOf("old"), 0u);
}

TEST_F(DiscoveryTest, ListedInFlightNeedsNoGetAndLeavingTheListCostsExactlyOne) {
  Make(Discovering());
  engine->Step();
  AnswerLast(Page({Listed("r", "Running", "\"r1\"")}));
  // Later passes are in-flight ones, one discovery interval apart.
  for (int pass = 0; pass < 3; ++pass) {
    const size_t before = service.lists.size();
    RunFor(11s);
    ASSERT_EQ(service.lists.size(), before + 1) << "pass " << pass;
    EXPECT_FALSE(service.lists.back().all);
    AnswerLast(Page({Listed("r", "Running", "\"r1\"")}));
  }
  EXPECT_TRUE(service.calls.empty()) << "listed in flight: no GET";
  RunFor(11s);
  AnswerLast(Page({}));  // r has left the in-flight list
  RunFor(1s);
  ASSERT_EQ(service.calls.size(), 1u);
  EXPECT_EQ(service.calls[0].key, Dev("r"));
  EXPECT_EQ(service.calls[0].if_none_match, "\"r1\"");
  service.Answer(FakeService::Body("r", "Succeeded", "\"r2\""));
  for (int pass = 0; pass < 3; ++pass) {
    const size_t before = service.lists.size();
    RunFor(11s);
    ASSERT_EQ(service.lists.size(), before + 1);
    AnswerLast(Page({}));
  }
  writer.Pump();
  EXPECT_EQ(service.calls.size(), 1u) << "one GET for the final snapshot, no more";
  EXPECT_EQ(engine->StateOfForTest(Dev("r")), OperationState::kTerminal);
  EXPECT_EQ(SnapshotsOf("r"), 2u);  // Running from the page, Succeeded from the GET
}

TEST_F(DiscoveryTest, AWatchListEntryKeepsItsOriginWhenTheListsShowItToo) {
  Make(Discovering(), {{Dev("named"), std::nullopt, OperationOrigin::kWatchFile}});
  engine->Step();
  ASSERT_FALSE(service.lists.empty());
  AnswerLast(Page({Listed("named", "Running", "\"n\""), Listed("found", "Running", "\"f\"")}));
  writer.Pump();
  EXPECT_EQ(engine->OriginOfForTest(Dev("named")), OperationOrigin::kWatchFile);
  EXPECT_EQ(engine->OriginOfForTest(Dev("found")), OperationOrigin::kDiscovered);
  EXPECT_EQ(StoredOrigin("named"), OperationOrigin::kWatchFile);
  EXPECT_EQ(StoredOrigin("found"), OperationOrigin::kDiscovered);
  // The named one is still polled by its own GETs.
  EXPECT_TRUE(std::any_of(service.calls.begin(), service.calls.end(),
                          [](const auto& c) { return c.key == Dev("named"); }));
}

TEST_F(DiscoveryTest, PassesStayWithinTheListBudgetAndSpendNoGet) {
  auto o = Discovering();
  o.list_requests_per_minute = 10;
  o.discovery.interval = 10s;
  Make(o);
  // Every page points at another: a pass never ends, so only the budget paces the calls.
  int n = 0;
  for (MonoTime end = clock.Now() + 3min; clock.Now() < end;) {
    RunFor(500ms);
    while (service.lists.size() > static_cast<size_t>(n)) {
      service.AnswerList(n, Page({Listed("op" + std::to_string(n), "Succeeded", "\"e\"")},
                                 "/next" + std::to_string(n)));
      ++n;
    }
  }
  ASSERT_GT(service.lists.size(), 20u);
  for (size_t i = 0; i < service.lists.size(); ++i) {
    size_t in_window = 0;
    for (size_t j = i; j < service.lists.size(); ++j) {
      if (service.lists[j].at - service.lists[i].at < 60s) ++in_window;
    }
    EXPECT_LE(in_window, 10u) << "from call " << i;
  }
  EXPECT_TRUE(service.calls.empty());
}

TEST_F(DiscoveryTest, ReloadTurnsDiscoveryOffAndOnWithoutARestart) {
  auto o = Discovering();
  Make(o, {{Dev("named"), std::nullopt}});
  engine->Step();
  AnswerLast(Page({Listed("found", "Running", "\"f\""), Listed("named", "Running", "\"n\"")}));
  writer.Pump();
  ASSERT_EQ(StoredOrigin("found"), OperationOrigin::kDiscovered);
  auto off = o;
  off.discovery.kinds.clear();
  engine->UpdateOptions(off);
  writer.Pump();
  EXPECT_FALSE(engine->OriginOfForTest(Dev("found")).has_value());
  EXPECT_EQ(engine->OriginOfForTest(Dev("named")), OperationOrigin::kConfig);
  EXPECT_FALSE(StoredOrigin("found").has_value()) << "left out of the watch list: unwatched";
  EXPECT_EQ(StoredOrigin("named"), OperationOrigin::kConfig);
  const size_t lists_when_off = service.lists.size();
  RunFor(60s);
  EXPECT_EQ(service.lists.size(), lists_when_off) << "no list call while off";
  engine->UpdateOptions(o);
  engine->Step();
  ASSERT_EQ(service.lists.size(), lists_when_off + 1);
  EXPECT_TRUE(service.lists.back().all) << "turned on: an unfiltered pass at once";
}

TEST_F(DiscoveryTest, ARestartResumesDiscoveredOperationsAndStoresNothingAgain) {
  OperationRecord done;
  done.key = Dev("done");
  done.status = "Succeeded";
  done.etag = "\"d\"";
  done.state = OperationState::kTerminal;
  done.origin = OperationOrigin::kDiscovered;
  OperationRecord running = done;
  running.key = Dev("running");
  running.status = "Running";
  running.etag = "\"r\"";
  running.state = OperationState::kActive;
  store.loaded = {done, running};
  Make(Discovering());
  EXPECT_EQ(engine->StateOfForTest(Dev("done")), OperationState::kTerminal);
  EXPECT_EQ(engine->OriginOfForTest(Dev("running")), OperationOrigin::kDiscovered);
  engine->Step();
  ASSERT_EQ(service.lists.size(), 1u);
  AnswerLast(Page({Listed("done", "Succeeded", "\"d\""), Listed("running", "Running", "\"r\"")}));
  writer.Pump();
  EXPECT_EQ(store.Count<Changed>(), 0u) << "same ETags: nothing new to store";
  EXPECT_TRUE(service.calls.empty());
  EXPECT_EQ(StoredOrigin("done"), OperationOrigin::kDiscovered);
}

}  // namespace
}  // namespace adu
