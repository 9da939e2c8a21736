#include "adu/core/engine.h"

#include <gtest/gtest.h>

#include <algorithm>

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
OperationKey Upd(const std::string& id) { return {OperationKind::kUpdate, id}; }

std::vector<WatchItem> Watch(int n, OperationKind kind = OperationKind::kDevice) {
  std::vector<WatchItem> w;
  for (int i = 0; i < n; ++i) w.push_back({{kind, "op" + std::to_string(i)}, std::nullopt});
  return w;
}

EngineOptions Options() {
  EngineOptions o;
  o.interval = 10s;
  o.use_list = ListMode::kNever;
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  void Make(EngineOptions o, const std::vector<WatchItem>& watch) {
    engine = std::make_unique<Engine>(o, service, writer, clock, logger, 42);
    engine->Start(store.loaded, watch);
  }
  // Steps, moving the fake clock to each next wake-up, until `until` has passed.
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
  std::vector<std::string> Info() { return sink->AtLevel(spdlog::level::info); }
  std::vector<std::string> Warn() { return sink->AtLevel(spdlog::level::warn); }

  FakeClock clock;
  FakeService service{clock};
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  std::shared_ptr<spdlog::logger> logger = CaptureLogger(sink);
  StoreWriter writer{store, clock, logger};
  std::unique_ptr<Engine> engine;
};

TEST_F(EngineTest, FirstPollIsUnconditionalThenSendsTheEtagExactlyAsReceived) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  ASSERT_EQ(service.calls.size(), 1u);
  EXPECT_EQ(service.calls[0].if_none_match, "");
  service.Answer(FakeService::Body("a", "Running", "W/\"e1\""));
  engine->Step();
  clock.Advance(12s);
  engine->Step();
  ASSERT_EQ(service.calls.size(), 2u);
  EXPECT_EQ(service.calls[1].if_none_match, "W/\"e1\"");
  service.Answer(FakeService::NotModified());
  engine->Step();
  clock.Advance(12s);
  engine->Step();
  ASSERT_EQ(service.calls.size(), 3u);
  EXPECT_EQ(service.calls[2].if_none_match, "W/\"e1\"");
}

TEST_F(EngineTest, NotModifiedAndEqualEtagAreUnchangedAndStoreNoSnapshot) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::Body("a", "Running", "\"e1\""));
  engine->Step();
  clock.Advance(12s);
  engine->Step();
  service.Answer(FakeService::NotModified());
  engine->Step();
  clock.Advance(12s);
  engine->Step();
  service.Answer(FakeService::Body("a", "Running", "\"e1\""));  // api-version 2026-06-01
  engine->Step();
  writer.Pump();
  EXPECT_EQ(store.Count<Changed>(), 1u);
  EXPECT_EQ(store.Count<Unchanged>(), 2u);
}

TEST_F(EngineTest, ExactlyOneInfoLinePerTransitionAndNoneForUnchangedPolls) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  auto answer = [&](FetchOutcome o) {
    engine->Step();
    service.Answer(std::move(o));
    engine->Step();
    clock.Advance(12s);
  };
  answer(FakeService::Body("a", "NotStarted", "\"1\""));
  answer(FakeService::NotModified());
  answer(FakeService::Body("a", "Running", "\"2\""));
  answer(FakeService::Body("a", "Running", "\"3\""));  // body changed, same status
  answer(FakeService::NotModified());
  auto failed = FakeService::Body("a", "Failed", "\"4\"");
  std::get<Changed>(failed.result).service_error =
      ServiceError{"ImportFailed", "bad manifest", "", "", {}, {{"Inner", "x", ""}}};
  answer(failed);
  EXPECT_EQ(Info(), (std::vector<std::string>{"operation a (device): first seen NotStarted",
                                              "operation a (device): NotStarted -> Running",
                                              "operation a (device): Running -> Failed"}));
  EXPECT_EQ(Warn(), (std::vector<std::string>{
                        "operation a (device): failed: ImportFailed: bad manifest <- Inner: x"}));
}

TEST_F(EngineTest, TraceLevelDumpsEachRequestAndAnswer) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::Body("a", "Running", "\"e1\"", 5));
  engine->Step();
  clock.Advance(12s);
  engine->Step();
  service.Answer(FakeService::NotModified());
  engine->Step();
  auto trace = sink->AtLevel(spdlog::level::trace);
  ASSERT_EQ(trace.size(), 4u);
  EXPECT_EQ(trace[0], "operation a (device): GET (unconditional)");
  EXPECT_EQ(
      trace[1].rfind("operation a (device): answer HTTP 200, etag \"e1\", retry-after 5s, ", 0),
      0u);
  EXPECT_NE(trace[1].find("\"status\":\"Running\""), std::string::npos);
  EXPECT_EQ(trace[2], "operation a (device): GET if-none-match \"e1\"");
  EXPECT_EQ(trace[3], "operation a (device): answer HTTP 304, etag -, retry-after -, 0 body bytes");
  EXPECT_EQ(Info().size(), 1u);  // first seen; nothing for the 304
}

TEST_F(EngineTest, UnknownStatusIsStoredWarnedAndNotTerminal) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::Body("a", "Cancelled", "\"1\""));
  engine->Step();
  EXPECT_EQ(engine->StateOfForTest(Dev("a")), OperationState::kActive);
  EXPECT_TRUE(engine->NextDueForTest(Dev("a")).has_value());
  ASSERT_EQ(Warn().size(), 1u);
  EXPECT_NE(Warn()[0].find("unknown status \"Cancelled\""), std::string::npos);
}

TEST_F(EngineTest, RetryAfterOnEveryKindOfAnswerDelaysTheNextPoll) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  const std::vector<FetchOutcome> answers = {
      FakeService::Body("a", "Running", "\"1\"", 60), FakeService::NotModified(90),
      FakeService::Failure(ErrorCategory::kThrottled, "Too Many Requests", 429, 120),
      FakeService::Failure(ErrorCategory::kHttp, "Service Unavailable", 503, 200)};
  const int expected[] = {60, 90, 120, 200};
  for (size_t i = 0; i < answers.size(); ++i) {
    RunFor(0s);
    ASSERT_EQ(service.pending.size(), 1u) << i;
    service.Answer(answers[i]);
    const MonoTime now = clock.Now();
    engine->Step();
    auto due = engine->NextDueForTest(Dev("a"));
    ASSERT_TRUE(due.has_value());
    EXPECT_GE(*due - now, std::chrono::seconds(expected[i])) << i;
    clock.Advance(std::chrono::duration_cast<Duration>(*due - now));
  }
}

TEST_F(EngineTest, AbsurdRetryAfterIsClampedToAnHour) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  const MonoTime now = clock.Now();
  service.Answer(FakeService::NotModified(10 * 365 * 24 * 3600));
  engine->Step();
  EXPECT_EQ(*engine->NextDueForTest(Dev("a")) - now, std::chrono::hours(1));
}

TEST_F(EngineTest, BackoffGrowsWithinBoundsAndResetsOnSuccess) {
  auto o = Options();
  o.backoff_max = 160s;
  Make(o, {{Dev("a"), std::nullopt}});
  Duration previous_upper = 10s;
  for (int failure = 1; failure <= 6; ++failure) {
    RunFor(0s);
    ASSERT_EQ(service.pending.size(), 1u);
    const MonoTime now = clock.Now();
    service.Answer(FakeService::Failure(ErrorCategory::kNetwork, "connection refused"));
    engine->Step();
    const auto delay = *engine->NextDueForTest(Dev("a")) - now;
    const Duration upper = std::min<Duration>(10s * (1 << failure), 160s);
    EXPECT_GE(delay, 10s) << failure;
    EXPECT_LE(delay, upper) << failure;
    EXPECT_GE(upper, previous_upper);
    previous_upper = upper;
    clock.Advance(std::chrono::duration_cast<Duration>(delay));
  }
  RunFor(0s);
  const MonoTime now = clock.Now();
  service.Answer(FakeService::NotModified());
  engine->Step();
  const auto delay = *engine->NextDueForTest(Dev("a")) - now;
  EXPECT_GE(delay, 9s);
  EXPECT_LE(delay, 11s);
}

TEST_F(EngineTest, BackoffSpreadsOverTheWholeRange) {
  auto o = Options();
  o.backoff_max = 5min;
  o.max_concurrency = 200;
  o.requests_per_minute = 1000000;
  Make(o, Watch(200));
  engine->Step();
  // Three failures in a row for every operation: full jitter in [10 s, 80 s].
  for (int round = 0; round < 3; ++round) {
    RunFor(0s);
    while (!service.pending.empty()) {
      service.Answer(FakeService::Failure(ErrorCategory::kTimeout, "deadline exceeded"));
    }
    engine->Step();
    if (round < 2) clock.Advance(5min);
  }
  Duration lo = Duration::max(), hi = Duration::zero();
  for (int i = 0; i < 200; ++i) {
    auto d = std::chrono::duration_cast<Duration>(
        *engine->NextDueForTest(Dev("op" + std::to_string(i))) - clock.Now());
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, 10s);
  EXPECT_LE(hi, 80s);
  EXPECT_LT(lo, 25s);  // spread, not lockstep
  EXPECT_GT(hi, 60s);
}

TEST_F(EngineTest, JitterKeepsIntervalsWithinTenPercent) {
  auto o = Options();
  o.max_concurrency = 100;
  o.requests_per_minute = 1000000;
  Make(o, Watch(100));
  engine->Step();
  const MonoTime now = clock.Now();
  while (!service.pending.empty()) service.Answer(FakeService::NotModified());
  engine->Step();
  std::set<MonoTime> distinct;
  for (int i = 0; i < 100; ++i) {
    auto due = *engine->NextDueForTest(Dev("op" + std::to_string(i)));
    EXPECT_GE(due - now, 9s);
    EXPECT_LE(due - now, 11s);
    distinct.insert(due);
  }
  EXPECT_GT(distinct.size(), 90u);
}

TEST_F(EngineTest, NotFoundBacksOffAndRecoversWhenTheOperationAppears) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::NotFound());
  engine->Step();
  EXPECT_EQ(engine->StateOfForTest(Dev("a")), OperationState::kNotFound);
  ASSERT_TRUE(engine->NextDueForTest(Dev("a")).has_value());
  RunFor(30s);
  ASSERT_EQ(service.pending.size(), 1u);
  service.Answer(FakeService::Body("a", "NotStarted", "\"1\""));
  engine->Step();
  EXPECT_EQ(engine->StateOfForTest(Dev("a")), OperationState::kActive);
  writer.Pump();
  ASSERT_EQ(store.Count<Failed>(), 1u);
  EXPECT_EQ(store.written[0].state, OperationState::kNotFound);
  EXPECT_EQ(std::get<Failed>(store.written[0].outcome).error.http_status, 404);
}

TEST_F(EngineTest, StopsPollingATerminalOperation) {
  Make(Options(), {{Dev("a"), std::nullopt}, {Upd("b"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::Body("a", "Succeeded", "\"1\""));
  service.Answer(FakeService::Body("b", "failed", "\"1\""));  // case-insensitive
  engine->Step();
  EXPECT_EQ(engine->StateOfForTest(Dev("a")), OperationState::kTerminal);
  EXPECT_EQ(engine->StateOfForTest(Upd("b")), OperationState::kTerminal);
  EXPECT_FALSE(engine->NextDueForTest(Dev("a")).has_value());
  RunFor(1h);
  EXPECT_EQ(service.calls.size(), 2u);
  writer.Pump();
  EXPECT_FALSE(store.written.back().next_poll_at.has_value());
}

TEST_F(EngineTest, KeepsPollingTerminalOperationsWhenAsked) {
  auto o = Options();
  o.stop_on_terminal = false;
  Make(o, {{Dev("a"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::Body("a", "Succeeded", "\"1\""));
  engine->Step();
  EXPECT_EQ(engine->StateOfForTest(Dev("a")), OperationState::kTerminal);
  EXPECT_TRUE(engine->NextDueForTest(Dev("a")).has_value());
}

TEST_F(EngineTest, ConcurrencyCapHoldsAndFreedSlotsAreReused) {
  auto o = Options();
  o.max_concurrency = 3;
  Make(o, Watch(10));
  engine->Step();
  EXPECT_EQ(service.calls.size(), 3u);
  EXPECT_EQ(engine->RequestsInFlightForTest(), 3u);
  service.Answer(FakeService::NotModified());
  engine->Step();
  EXPECT_EQ(service.calls.size(), 4u);
  EXPECT_EQ(engine->RequestsInFlightForTest(), 3u);
}

TEST_F(EngineTest, BudgetIsNeverExceededAndNoOperationStarves) {
  auto o = Options();
  o.interval = 1s;              // 100 ops x 60/min = 6000/min wanted
  o.requests_per_minute = 120;  // far below
  o.max_concurrency = 8;
  Make(o, Watch(100));
  service.auto_answer = [](const FakeService::FetchCall&) { return FakeService::NotModified(); };
  RunFor(10min);
  // No 60-second window holds more than the budget.
  std::vector<MonoTime> times;
  std::map<std::string, int> per_op;
  for (const auto& c : service.calls) {
    times.push_back(c.at);
    ++per_op[c.key.id];
  }
  size_t lo = 0;
  size_t worst = 0;
  for (size_t hi = 0; hi < times.size(); ++hi) {
    while (times[hi] - times[lo] >= 60s) ++lo;
    worst = std::max(worst, hi - lo + 1);
  }
  EXPECT_LE(worst, 120u);
  EXPECT_GT(service.calls.size(), 1000u);  // the budget is actually used
  ASSERT_EQ(per_op.size(), 100u);
  for (const auto& [id, n] : per_op) EXPECT_GE(n, 8) << id;  // ~11.9 each if fair
}

TEST_F(EngineTest, RepeatedIdenticalFailuresAreLoggedOnceWithACount) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  for (int i = 0; i < 4; ++i) {
    RunFor(0s);
    service.Answer(FakeService::Failure(ErrorCategory::kHttp, "Internal Server Error", 500));
    engine->Step();
    clock.Advance(5min);
  }
  RunFor(0s);
  service.Answer(FakeService::NotModified());
  engine->Step();
  auto warn = Warn();
  ASSERT_EQ(warn.size(), 2u);
  EXPECT_EQ(warn[0], "operation a (device): poll failed (http, HTTP 500): Internal Server Error");
  EXPECT_EQ(warn[1], "operation a (device): previous failure repeated 3 more times, now recovered");
  writer.Pump();
  EXPECT_EQ(store.Count<Failed>(), 4u);  // every failure is recorded
}

TEST_F(EngineTest, ResumesFromTheStore) {
  OperationRecord done;
  done.key = Dev("done");
  done.status = "Succeeded";
  done.etag = "\"d\"";
  done.state = OperationState::kTerminal;
  OperationRecord later;
  later.key = Dev("later");
  later.status = "Running";
  later.etag = "\"l\"";
  later.next_poll_at = clock.WallNow() + 20s;
  store.loaded = {done, later};
  Make(Options(), {{Dev("done"), std::nullopt}, {Dev("later"), std::nullopt}});
  EXPECT_FALSE(engine->NextDueForTest(Dev("done")).has_value());
  EXPECT_EQ(*engine->NextDueForTest(Dev("later")) - clock.Now(), 20s);
  RunFor(25s);
  ASSERT_EQ(service.calls.size(), 1u);
  EXPECT_EQ(service.calls[0].key, Dev("later"));
  EXPECT_EQ(service.calls[0].if_none_match, "\"l\"");
  writer.Pump();
  ASSERT_EQ(store.watch_lists.size(), 1u);
  EXPECT_EQ(store.watch_lists[0].size(), 2u);
}

TEST_F(EngineTest, WatchListUpdateAddsAndRemoves) {
  Make(Options(), {{Dev("a"), std::nullopt}, {Dev("b"), std::nullopt}});
  engine->Step();
  service.Answer(FakeService::NotModified());
  service.Answer(FakeService::NotModified());
  engine->UpdateWatchList({{Dev("b"), 5s}, {Upd("c"), std::nullopt}});
  engine->Step();
  EXPECT_FALSE(engine->StateOfForTest(Dev("a")).has_value());
  EXPECT_TRUE(engine->NextDueForTest(Dev("b")).has_value());
  EXPECT_LE(*engine->NextDueForTest(Dev("b")) - clock.Now(), 6s);
  EXPECT_EQ(service.calls.back().key, Upd("c"));
  writer.Pump();
  ASSERT_EQ(store.watch_lists.size(), 2u);
  EXPECT_EQ(store.watch_lists[1], (std::vector<OperationKey>{Dev("b"), Upd("c")}));
}

TEST_F(EngineTest, ListRefreshReplacesPerOperationGetsWhenTheBudgetIsShort) {
  auto o = Options();
  o.interval = 10s;
  o.requests_per_minute = 120;  // 100 ops every 10 s would need 600
  o.use_list = ListMode::kAuto;
  Make(o, Watch(100));
  engine->Step();
  EXPECT_TRUE(service.calls.empty());  // the first list run goes first
  ASSERT_EQ(service.lists.size(), 1u);
  // Page 1: op0..op49; page 2: op50..op89. op90..op99 are not in flight.
  auto page = [](int from, int to, std::optional<std::string> next) {
    ListOutcome out;
    out.ok = true;
    for (int i = from; i < to; ++i) {
      out.items.push_back(FakeService::Item("op" + std::to_string(i), "Running", "\"r\""));
    }
    out.next_page = std::move(next);
    return out;
  };
  service.AnswerList(0, page(0, 50, "/next?page=2"));
  RunFor(2s);  // the list budget (50/min) refills one call in ~1.25 s
  ASSERT_EQ(service.lists.size(), 2u);
  EXPECT_EQ(service.lists[1].page, "/next?page=2");
  service.AnswerList(1, page(50, 90, std::nullopt));
  engine->Step();
  writer.Pump();
  EXPECT_EQ(store.Count<Changed>(), 90u);
  // Only the ten that were not listed are fetched one by one.
  service.auto_answer = [](const FakeService::FetchCall&) { return FakeService::NotFound(); };
  RunFor(8s);
  std::set<std::string> fetched;
  for (const auto& c : service.calls) fetched.insert(c.key.id);
  EXPECT_EQ(fetched.size(), 10u);
  EXPECT_TRUE(fetched.count("op95"));
  EXPECT_FALSE(fetched.count("op5"));
  // Next run: op7 has left the in-flight list, so it gets one GET for its terminal snapshot.
  service.auto_answer = nullptr;
  service.calls.clear();
  RunFor(4s);
  ASSERT_EQ(service.lists.size(), 3u);
  auto next = page(0, 90, std::nullopt);
  next.items.erase(next.items.begin() + 7);
  service.AnswerList(2, next);
  RunFor(2s);
  std::vector<std::string> listed_and_fetched;
  for (const auto& c : service.calls) {
    if (std::stoi(c.key.id.substr(2)) < 90) listed_and_fetched.push_back(c.key.id);
    if (c.key.id == "op7") {
      EXPECT_EQ(c.if_none_match, "\"r\"");
    }
  }
  EXPECT_EQ(listed_and_fetched, std::vector<std::string>{"op7"});
}

TEST_F(EngineTest, ListRunsStartOneIntervalApartHoweverLongARunTakes) {
  auto o = Options();
  o.interval = 10s;
  o.use_list = ListMode::kAlways;
  Make(o, Watch(3));
  const MonoTime start = clock.Now();
  engine->Step();
  ASSERT_EQ(service.lists.size(), 1u);
  auto page = [](std::optional<std::string> next) {
    ListOutcome out;
    out.ok = true;
    for (int i = 0; i < 3; ++i) {
      out.items.push_back(FakeService::Item("op" + std::to_string(i), "Running", "\"r\""));
    }
    out.next_page = std::move(next);
    return out;
  };
  service.AnswerList(0, page("/next?page=2"));
  RunFor(2s);
  ASSERT_EQ(service.lists.size(), 2u);
  clock.Advance(4s);  // the second page is slow: the run ends 6 s after it started
  service.AnswerList(1, page(std::nullopt));
  RunFor(6s);  // to 12 s: the next run is due at 10 s +/- 10 %, not 16 s +/- 10 %
  ASSERT_EQ(service.lists.size(), 3u);
  EXPECT_FALSE(service.lists[2].page.has_value());  // a new run, from its first page
  const auto third = service.lists[2].at - start;
  EXPECT_GE(third, 9s);
  EXPECT_LE(third, 11s + 10ms);
  // A run longer than the interval is followed at once.
  service.AnswerList(2, page("/next?page=2"));
  RunFor(2s);
  ASSERT_EQ(service.lists.size(), 4u);
  clock.Advance(15s);
  service.AnswerList(3, page(std::nullopt));
  engine->Step();
  ASSERT_EQ(service.lists.size(), 5u);
  EXPECT_EQ(service.lists[4].at, clock.Now());
}

TEST_F(EngineTest, BackToBackListRunsDoNotHoldBackTheGetOfAnOperationThatLeftTheList) {
  auto o = Options();
  o.interval = 10s;
  o.use_list = ListMode::kAlways;
  Make(o, Watch(3));
  auto page = [](int n, std::optional<std::string> next) {
    ListOutcome out;
    out.ok = true;
    for (int i = 0; i < n; ++i) {
      out.items.push_back(FakeService::Item("op" + std::to_string(i), "Running", "\"r\""));
    }
    out.next_page = std::move(next);
    return out;
  };
  engine->Step();
  ASSERT_EQ(service.lists.size(), 1u);
  service.AnswerList(0, page(3, std::nullopt));
  RunFor(12s);  // the second run has started
  ASSERT_EQ(service.lists.size(), 2u);
  service.AnswerList(1, page(2, "/next?page=2"));  // op2 has left the in-flight list
  RunFor(2s);
  ASSERT_EQ(service.lists.size(), 3u);
  clock.Advance(15s);  // a slow run: the next one starts at once
  service.AnswerList(2, page(0, std::nullopt));
  engine->Step();
  ASSERT_EQ(service.lists.size(), 4u);  // a list run is under way again...
  ASSERT_EQ(service.calls.size(), 1u);  // ...and op2's GET went out all the same
  EXPECT_EQ(service.calls[0].key.id, "op2");
}

TEST_F(EngineTest, RunOnceReturnsAfterOnePollOfEachActiveOperation) {
  service.auto_answer = [](const FakeService::FetchCall& c) {
    return FakeService::Body(c.key.id, "Running", "\"x\"");
  };
  Make(Options(), Watch(5));
  engine->Run(/*once=*/true);
  EXPECT_EQ(service.calls.size(), 5u);
  writer.Pump();
  EXPECT_EQ(store.Count<Changed>(), 5u);
}

TEST_F(EngineTest, CancelledRequestsAtShutdownAreNotRecordedAsErrors) {
  Make(Options(), Watch(2));
  engine->Step();
  ASSERT_EQ(service.pending.size(), 2u);
  engine->RequestStop();
  engine->Run();
  EXPECT_EQ(service.cancels, 1);
  writer.Pump();
  EXPECT_EQ(store.Count<Failed>(), 0u);
}

PollRecord SnapshotFor(const OperationKey& key, const std::string& body) {
  PollRecord r;
  r.key = key;
  Changed c;
  c.snapshot.key = key;
  c.snapshot.body = body;
  r.outcome = std::move(c);
  return r;
}

PollRecord UnchangedFor(const OperationKey& key) {
  PollRecord r;
  r.key = key;
  r.outcome = Unchanged{};
  return r;
}

const std::string& BodyOf(const PollRecord& r) {
  return std::get<Changed>(r.outcome).snapshot.body;
}

TEST(StoreWriterTest, KeepsResultsWhileTheDatabaseFailsAndWritesThemLater) {
  FakeClock clock;
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  StoreWriter writer(store, clock, CaptureLogger(sink));
  store.fail_writes = true;
  EXPECT_TRUE(
      writer.Enqueue({UnchangedFor(Dev("a")), UnchangedFor(Dev("b")), UnchangedFor(Dev("c"))})
          .empty());
  EXPECT_FALSE(writer.Pump());
  EXPECT_FALSE(writer.Healthy());
  EXPECT_EQ(writer.UnavailableSince(), clock.WallNow());
  EXPECT_EQ(writer.Pending(), 3u);
  store.fail_writes = false;
  EXPECT_TRUE(writer.Pump());
  EXPECT_EQ(store.written.size(), 3u);
  EXPECT_TRUE(writer.Healthy());
  EXPECT_FALSE(writer.UnavailableSince().has_value());
  EXPECT_EQ(sink->AtLevel(spdlog::level::warn).size(), 1u);
}

// Replaces OverflowDropsCounterOnlyRecordsFirst: at the limit nothing is dropped; what does not
// fit is handed back, in order, and unchanged polls merge instead of taking room.
TEST(StoreWriterTest, AtTheLimitRecordsAreHandedBackAndUnchangedPollsMerge) {
  FakeClock clock;
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  StoreWriterOptions o;
  o.max_queued = 3;
  StoreWriter writer(store, clock, CaptureLogger(sink), o);
  store.fail_writes = true;
  auto refused =
      writer.Enqueue({UnchangedFor(Dev("a")), SnapshotFor(Dev("b"), "b1"), UnchangedFor(Dev("a")),
                      UnchangedFor(Dev("c")), SnapshotFor(Dev("d"), "d1"), UnchangedFor(Dev("a"))});
  EXPECT_EQ(writer.QueuedResults(), 3u);  // a (two polls merged), b1, c
  EXPECT_TRUE(writer.Full());
  ASSERT_EQ(refused.size(), 2u);  // from d1 on: order is kept, nothing after it jumps ahead
  EXPECT_EQ(BodyOf(refused[0]), "d1");
  EXPECT_FALSE(writer.Pump());
  store.fail_writes = false;
  EXPECT_TRUE(writer.Pump());
  EXPECT_FALSE(writer.Full());
  EXPECT_TRUE(writer.Enqueue(std::move(refused)).empty());
  EXPECT_TRUE(writer.Pump());
  EXPECT_EQ(store.Count<Changed>(), 2u);
  EXPECT_EQ(store.Count<Unchanged>(), 4u);  // every poll counted
  ASSERT_EQ(store.written.size(), 5u);
  EXPECT_EQ(std::get<Unchanged>(store.written[0].outcome).polls, 2);
  EXPECT_TRUE(sink->AtLevel(spdlog::level::err).empty());
}

TEST(StoreWriterTest, UnchangedPollsDoNotMergeAcrossAWatchListUpdate) {
  FakeClock clock;
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  StoreWriter writer(store, clock, CaptureLogger(sink));
  EXPECT_TRUE(writer.Enqueue({UnchangedFor(Dev("a"))}).empty());
  writer.SetWatchList({Dev("a")});
  EXPECT_TRUE(writer.Enqueue({UnchangedFor(Dev("a")), UnchangedFor(Dev("a"))}).empty());
  EXPECT_EQ(writer.QueuedResults(), 2u);
  EXPECT_TRUE(writer.Pump());
  ASSERT_EQ(store.written.size(), 2u);
  EXPECT_EQ(std::get<Unchanged>(store.written[1].outcome).polls, 2);
}

// The TrimLocked data loss: with max_queued 2, one watch-list update plus two snapshots queued
// while the database fails used to lose the watch-list update (and, past it, snapshots).
TEST(StoreWriterTest, NothingQueuedIsLostWhileTheDatabaseIsUnavailable) {
  FakeClock clock;
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  StoreWriterOptions o;
  o.max_queued = 2;
  StoreWriter writer(store, clock, CaptureLogger(sink), o);
  store.fail_writes = true;
  writer.SetWatchList({Dev("a")});
  EXPECT_TRUE(
      writer.Enqueue({SnapshotFor(Dev("a"), "first"), SnapshotFor(Dev("a"), "second")}).empty());
  EXPECT_FALSE(writer.Pump());
  store.fail_writes = false;
  EXPECT_TRUE(writer.Pump());
  ASSERT_EQ(store.watch_lists.size(), 1u);
  EXPECT_EQ(store.watch_lists[0], std::vector<OperationKey>{Dev("a")});
  ASSERT_EQ(store.written.size(), 2u);
  EXPECT_EQ(BodyOf(store.written[0]), "first");
  EXPECT_EQ(BodyOf(store.written[1]), "second");
}

TEST(StoreWriterTest, ThreadWritesInBatches) {
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  StoreWriter writer(store, SystemClock(), CaptureLogger(sink));
  writer.Start();
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(writer.Enqueue({SnapshotFor(Dev("a"), std::to_string(i))}).empty());
  }
  writer.Stop(1s);
  EXPECT_EQ(store.written.size(), 100u);
  EXPECT_LT(store.write_calls, 100);
}

}  // namespace
}  // namespace adu
