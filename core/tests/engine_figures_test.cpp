// What the engine and the store writer publish into adu::Figures.
#include <gtest/gtest.h>

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
OperationKey Upd(const std::string& id) { return {OperationKind::kUpdate, id}; }

uint64_t TransitionsOf(const FiguresSnapshot& s, OperationKind kind, std::string_view status) {
  for (const auto& t : s.transitions) {
    if (t.kind == kind && t.to_status == status) return t.count;
  }
  return 0;
}

uint64_t ErrorsOf(const FiguresSnapshot& s, ErrorCategory category) {
  for (const auto& [c, n] : s.poll_errors) {
    if (c == category) return n;
  }
  return 0;
}

class EngineFiguresTest : public ::testing::Test {
 protected:
  void Make(EngineOptions o, const std::vector<WatchItem>& watch) {
    o.jitter = 0;
    writer.PublishFiguresTo(figures);
    engine = std::make_unique<Engine>(o, service, writer, clock, logger, 42);
    engine->PublishFiguresTo(figures);
    engine->Start(store.loaded, watch);
  }
  // One poll of the oldest pending fetch, answered with `outcome`, then the next one due.
  void Answer(FetchOutcome outcome) {
    service.Answer(std::move(outcome));
    engine->Step();
  }
  FiguresSnapshot Read() { return figures.Read(clock.Now()); }

  static EngineOptions Options() {
    EngineOptions o;
    o.interval = 10s;
    o.use_list = ListMode::kNever;
    return o;
  }

  Figures figures;
  FakeClock clock;
  FakeService service{clock};
  FakeStore store;
  std::shared_ptr<CaptureSink> sink;
  std::shared_ptr<spdlog::logger> logger = CaptureLogger(sink);
  StoreWriter writer{store, clock, logger};
  std::unique_ptr<Engine> engine;
};

TEST_F(EngineFiguresTest, TransitionsAreTheRowsOfTheTransitionsView) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  engine->Step();
  Answer(FakeService::Body("a", "NotStarted", "\"1\""));  // first seen: a row
  clock.Advance(11s);
  engine->Step();
  Answer(FakeService::NotModified());
  clock.Advance(11s);
  engine->Step();
  Answer(FakeService::Body("a", "NotStarted", "\"2\""));  // new body, same status: no row
  clock.Advance(11s);
  engine->Step();
  Answer(FakeService::Body("a", "Running", "\"3\""));
  const auto s = Read();
  EXPECT_EQ(TransitionsOf(s, OperationKind::kDevice, "NotStarted"), 1u);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kDevice, "Running"), 1u);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kUpdate, "Running"), 0u);
  // Every new snapshot is a detection-delay sample (the 304 is not).
  EXPECT_EQ(s.delay_count, 3u);
}

TEST_F(EngineFiguresTest, DetectionDelayIsObservedAtMinusLastActionClampedAtZero) {
  Make(Options(), {{Dev("a"), std::nullopt}, {Dev("b"), std::nullopt}});
  engine->Step();
  auto late = FakeService::Body("a", "Running", "\"1\"");
  std::get<Changed>(late.result).snapshot.last_action_at = FormatTimestamp(clock.WallNow() - 7s);
  auto skewed = FakeService::Body("b", "Running", "\"1\"");
  std::get<Changed>(skewed.result).snapshot.last_action_at =
      FormatTimestamp(clock.WallNow() + 30s);  // the service's clock ahead of ours
  Answer(late);
  Answer(skewed);
  const auto s = Read();
  EXPECT_EQ(s.delay_count, 2u);
  EXPECT_DOUBLE_EQ(s.delay_sum_seconds, 7.0);
  EXPECT_EQ(s.delay_buckets[0].second, 1u);  // the clamped one, in le=1
}

TEST_F(EngineFiguresTest, LastSuccessfulPollBudgetUseAndPollErrors) {
  Make(Options(), {{Dev("a"), std::nullopt}, {Upd("b"), std::nullopt}});
  engine->Step();
  ASSERT_EQ(service.pending.size(), 2u);
  EXPECT_EQ(Read().budgets[0].used_last_minute, 2u);
  EXPECT_EQ(Read().last_successful_poll_seconds, 0.0);
  Answer(FakeService::Failure(ErrorCategory::kThrottled, "slow down", 429));
  EXPECT_EQ(Read().last_successful_poll_seconds, 0.0);  // a failure is not a success
  const WallTime when = clock.WallNow();
  Answer(FakeService::NotModified());
  const auto s = Read();
  EXPECT_DOUBLE_EQ(
      s.last_successful_poll_seconds,
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count()) /
          1000.0);
  EXPECT_EQ(ErrorsOf(s, ErrorCategory::kThrottled), 1u);
  EXPECT_EQ(ErrorsOf(s, ErrorCategory::kNetwork), 0u);
}

TEST_F(EngineFiguresTest, OperationCountsByKindStateAndStatus) {
  Make(Options(), {{Dev("a"), std::nullopt}, {Dev("b"), std::nullopt}, {Upd("c"), std::nullopt}});
  engine->Step();
  Answer(FakeService::Body("a", "Running", "\"1\""));
  Answer(FakeService::Body("b", "Succeeded", "\"1\""));
  // c: not answered yet, status unknown.
  clock.Advance(2s);  // the counts are published at most once a second
  engine->Step();
  auto ops = Read().operations;
  EXPECT_EQ(ops, (std::vector<OperationCount>{
                     {OperationKind::kDevice, OperationState::kActive, "Running", 1},
                     {OperationKind::kDevice, OperationState::kTerminal, "Succeeded", 1},
                     {OperationKind::kUpdate, OperationState::kActive, "", 1}}));
  // Unwatched operations leave the counts.
  engine->UpdateWatchList({{Dev("a"), std::nullopt}});
  clock.Advance(2s);
  engine->Step();
  ops = Read().operations;
  EXPECT_EQ(ops, (std::vector<OperationCount>{
                     {OperationKind::kDevice, OperationState::kActive, "Running", 1}}));
}

// The last change before the engine goes idle still reaches the counts: a step inside the
// once-a-second window asks to wake when it ends, and that step publishes.
TEST_F(EngineFiguresTest, ALastChangeInsideThePublishWindowIsPublishedWhenItEnds) {
  EngineOptions o = Options();
  o.stop_on_terminal = true;
  Make(o, {{Dev("a"), std::nullopt}});
  engine->Step();  // publishes (window starts) and sends a's GET
  service.Answer(FakeService::Body("a", "Succeeded", "\"1\""));
  const MonoTime before = clock.Now();
  const MonoTime wake = engine->Step();  // a is terminal: nothing left to poll
  ASSERT_LE(wake, before + 1s) << "an idle engine must still wake to publish the change";
  clock.Advance(std::chrono::duration_cast<Duration>(wake - clock.Now()));
  // That step publishes; with nothing left to do it asks for no further wakeup.
  EXPECT_EQ(engine->Step(), MonoTime::max());
  EXPECT_EQ(Read().operations,
            (std::vector<OperationCount>{
                {OperationKind::kDevice, OperationState::kTerminal, "Succeeded", 1}}));
}

TEST_F(EngineFiguresTest, ListPagesCountAsSuccessfulPollsAndUseTheListBudget) {
  EngineOptions o = Options();
  o.use_list = ListMode::kAlways;
  Make(o, {{Dev("op0"), std::nullopt}});
  engine->Step();
  ASSERT_EQ(service.lists.size(), 1u);
  EXPECT_EQ(Read().budgets[1].used_last_minute, 1u);
  ListOutcome page;
  page.result = ListPage{{FakeService::Item("op0", "Running", "\"r\"")}, std::nullopt};
  service.AnswerList(0, page);
  engine->Step();
  const auto s = Read();
  EXPECT_GT(s.last_successful_poll_seconds, 0.0);
  EXPECT_EQ(TransitionsOf(s, OperationKind::kDevice, "Running"), 1u);
}

TEST_F(EngineFiguresTest, TheWriterPublishesItsQueueAndHealth) {
  Make(Options(), {{Dev("a"), std::nullopt}});
  store.fail_writes = true;
  engine->Step();
  Answer(FakeService::Body("a", "Running", "\"1\""));
  engine->Step();  // hands the result to the writer
  EXPECT_GE(Read().store_queue_length, 1u);
  EXPECT_FALSE(Read().store_unavailable);
  EXPECT_FALSE(writer.Pump());
  EXPECT_TRUE(Read().store_unavailable);
  store.fail_writes = false;
  EXPECT_TRUE(writer.Pump());
  EXPECT_FALSE(Read().store_unavailable);
  EXPECT_EQ(Read().store_queue_length, 0u);
}

}  // namespace
}  // namespace adu
