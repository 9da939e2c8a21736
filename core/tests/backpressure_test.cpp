// The engine with the fake clock through long simulated spans: Run() itself, and a database
// outage under a full load of changing operations (backpressure instead of dropped results).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "adu/core/engine.h"
#include "fakes.h"

namespace adu {
namespace {

using namespace std::chrono_literals;
using testing::CaptureLogger;
using testing::CaptureSink;
using testing::FakeClock;
using testing::FakeService;
using testing::FakeStore;

std::vector<WatchItem> Watch(int n) {
  std::vector<WatchItem> w;
  for (int i = 0; i < n; ++i) w.push_back({{OperationKind::kDevice, "op" + std::to_string(i)}, {}});
  return w;
}

size_t CountContaining(const std::vector<std::string>& lines, const std::string& part) {
  return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
    return l.find(part) != std::string::npos;
  }));
}

TEST(EngineRunTest, RunIsDrivenByTheFakeClockThroughWaitUntil) {
  FakeClock clock;
  FakeService service{clock};
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  auto logger = CaptureLogger(sink);
  StoreWriter writer{store, clock, logger};
  EngineOptions o;
  o.interval = 10s;
  o.use_list = ListMode::kNever;
  Engine engine(o, service, writer, clock, logger, 42);
  engine.Start({}, Watch(3));
  const MonoTime start = clock.Now();
  service.auto_answer = [&](const FakeService::FetchCall& call) {
    if (clock.Now() - start >= 60s) engine.RequestStop();
    if (call.if_none_match.empty()) return FakeService::Body(call.key.id, "Running", "\"e\"");
    return FakeService::NotModified();
  };
  engine.Run();  // returns only because simulated time reached 60 s
  EXPECT_GE(clock.Now() - start, 60s);
  EXPECT_GT(clock.WaitsForTest(), 0);
  std::map<std::string, std::vector<MonoTime>> polls;
  for (const auto& c : service.calls) polls[c.key.id].push_back(c.at);
  ASSERT_EQ(polls.size(), 3u);
  for (const auto& [id, at] : polls) {
    EXPECT_GE(at.size(), 6u) << id;
    EXPECT_LE(at.size(), 8u) << id;
    for (size_t i = 1; i < at.size(); ++i) {
      EXPECT_GE(at[i] - at[i - 1], 9s) << id;  // interval within the jitter
      EXPECT_LE(at[i] - at[i - 1], 11s + 1ms) << id;
    }
  }
  ASSERT_TRUE(writer.Pump());
  EXPECT_EQ(store.Count<Changed>(), 3u);
  EXPECT_EQ(store.Count<Unchanged>(), service.calls.size() - 3);
}

// Issue 13's outage: the store unavailable for 30 simulated minutes while 1,000 operations change
// on every poll, the writer's queue limited to 100 results.
class OutageTest : public ::testing::Test {
 protected:
  OutageTest() {
    StoreWriterOptions wo;
    wo.max_queued = 100;
    writer = std::make_unique<StoreWriter>(store, clock, logger, wo);
    EngineOptions o;
    o.interval = 30s;
    o.requests_per_minute = 60000;  // a budget that lets the whole round out at once, and
    o.jitter = 0;                   // no jitter: every round is a burst of max_concurrency
    o.max_concurrency = 16;
    o.use_list = ListMode::kNever;
    engine = std::make_unique<Engine>(o, service, *writer, clock, logger, 7);
  }

  // The service answers every request sent so far, each with a new body: nothing is ever
  // unchanged. Answers arrive a step after their request, so up to max_concurrency of them are
  // on their way when the writer's queue fills.
  bool AnswerPending() {
    const bool any = !service.pending.empty();
    if (store.fail_writes) max_answered = std::max(max_answered, service.pending.size());
    while (!service.pending.empty()) {
      const auto& call = service.calls[service.pending.front()];
      const std::string etag = "\"" + call.key.id + "-" + std::to_string(++version) + "\"";
      auto out = FakeService::Body(call.key.id, "Running", etag);
      returned.insert(out.changed()->snapshot.body);
      service.Answer(std::move(out));
    }
    return any;
  }

  // Steps the engine and "the writer thread" (Pump) through simulated time up to `end`.
  void AdvanceTo(MonoTime end) {
    while (clock.Now() < end) {
      const MonoTime next = engine->Step();
      max_queued = std::max(max_queued, writer->QueuedResults());
      writer->Pump();
      // Answers were just posted (or every request slot is taken): a real Run() would be woken
      // for them at once.
      const bool answered = AnswerPending();
      MonoTime to = answered || next == MonoTime::max() ? clock.Now() + 1ms
                                                        : std::min({next, end, clock.Now() + 1s});
      if (to <= clock.Now()) to = clock.Now() + 1ms;
      clock.Advance(std::max(Duration(1), std::chrono::ceil<Duration>(to - clock.Now())));
    }
  }

  std::set<std::string> StoredBodies() const {
    std::set<std::string> out;
    for (const auto& r : store.written) {
      if (const auto* c = std::get_if<Changed>(&r.outcome)) out.insert(c->snapshot.body);
    }
    return out;
  }

  FakeClock clock;
  FakeService service{clock};
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  std::shared_ptr<spdlog::logger> logger = CaptureLogger(sink);
  std::unique_ptr<StoreWriter> writer;
  std::unique_ptr<Engine> engine;
  uint64_t version = 0;
  std::set<std::string> returned;
  size_t max_queued = 0;
  size_t max_answered = 0;  // the most answers on their way at once during the outage
};

TEST_F(OutageTest, ThirtyMinutesWithoutADatabaseLoseNothingAndPollingResumesWithinAnInterval) {
  auto watch = Watch(1000);
  engine->Start({}, watch);
  const MonoTime t0 = clock.Now();
  AdvanceTo(t0 + 60s);  // two healthy intervals
  ASSERT_GE(StoredBodies().size(), 2000u);

  store.fail_writes = true;
  const MonoTime outage = clock.Now();
  AdvanceTo(outage + 5min);
  const size_t polls_in_outage = service.calls.size();
  watch.push_back({{OperationKind::kUpdate, "added-during-outage"}, std::nullopt});
  engine->UpdateWatchList(watch);  // queued behind the results, never refused
  EXPECT_TRUE(engine->Stats().polls_paused);
  EXPECT_TRUE(engine->Stats().database_unavailable_since.has_value());
  AdvanceTo(outage + 30min);
  // Paused: after the queue filled, only the requests already in flight were answered.
  EXPECT_EQ(service.calls.size(), polls_in_outage);

  store.fail_writes = false;
  const MonoTime recovered = clock.Now();
  AdvanceTo(recovered + 30s);
  // Every operation is polled again within one interval of the recovery.
  std::set<std::string> polled_after;
  for (const auto& c : service.calls) {
    if (c.at >= recovered && c.at <= recovered + 30s) polled_after.insert(c.key.id);
  }
  EXPECT_EQ(polled_after.size(), 1001u);

  engine->RequestStop();
  engine->Run();  // answers still in flight are applied and handed over
  ASSERT_TRUE(writer->Pump());
  EXPECT_EQ(writer->Pending(), 0u);

  EXPECT_LE(max_queued, 100u);
  EXPECT_GE(max_answered, 16u);  // answers arrived while the queue was full: held, not dropped
  EXPECT_GT(max_queued, 0u);
  const auto stored = StoredBodies();
  EXPECT_EQ(stored.size(), returned.size());
  EXPECT_TRUE(std::includes(stored.begin(), stored.end(), returned.begin(), returned.end()))
      << "a snapshot the service returned is missing from the store";
  ASSERT_FALSE(store.watch_lists.empty());
  EXPECT_EQ(store.watch_lists.back().size(), 1001u);
  EXPECT_EQ(store.watch_lists.back().back().id, "added-during-outage");
  // Logged once when it started and once when it ended.
  EXPECT_EQ(CountContaining(sink->AtLevel(spdlog::level::warn), "database writes are behind"), 1u);
  const auto info = sink->AtLevel(spdlog::level::info);
  ASSERT_EQ(CountContaining(info, "database writes caught up"), 1u);
  EXPECT_EQ(CountContaining(info, "polls were deferred"), 1u);
}

}  // namespace
}  // namespace adu
