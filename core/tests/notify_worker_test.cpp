// NotifyWorker with an in-memory outbox, scripted targets and a fake clock.
#include "adu/core/notify_worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <future>
#include <thread>

#include "adu/testing/fake_clock.h"
#include "adu/testing/log_capture.h"

namespace adu {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using ::testing::HasSubstr;

// The outbox as rows in memory (what the storage tests check against SQLite).
class MemoryOutbox final : public NotificationOutbox {
 public:
  struct Row {
    PendingNotification p;
    std::string target;
    std::string state = "pending";
    std::string last_error;
  };
  int64_t Add(const std::string& target, const std::string& op, int64_t snapshot_id,
              WallTime created) {
    std::lock_guard lock(mu_);
    Row r;
    r.target = target;
    r.p.id = static_cast<int64_t>(rows_.size()) + 1;
    r.p.created_at = r.p.next_attempt_at = created;
    r.p.event.event_id = NotificationEventId("blue", snapshot_id);
    r.p.event.key = {OperationKind::kDevice, op};
    r.p.event.snapshot_id = snapshot_id;
    rows_.push_back(r);
    return r.p.id;
  }
  Row Get(int64_t id) {
    std::lock_guard lock(mu_);
    return rows_[id - 1];
  }
  Result<std::vector<PendingNotification>> Pending(const std::string& target, int limit) override {
    std::lock_guard lock(mu_);
    std::vector<PendingNotification> out;
    for (const Row& r : rows_) {
      if (r.target == target && r.state == "pending" && static_cast<int>(out.size()) < limit) {
        out.push_back(r.p);
      }
    }
    return out;
  }
  Status MarkDelivered(int64_t id, int attempts, WallTime) override {
    return Set(id, attempts, "delivered", "");
  }
  Status MarkRetry(int64_t id, int attempts, WallTime next, const std::string& error) override {
    std::lock_guard lock(mu_);
    rows_[id - 1].p.attempts = attempts;
    rows_[id - 1].p.next_attempt_at = next;
    rows_[id - 1].last_error = error;
    return Status::Ok();
  }
  Status MarkAbandoned(int64_t id, int attempts, const std::string& reason) override {
    return Set(id, attempts, "abandoned", reason);
  }
  Status AbandonTarget(const std::string& target, const std::string& reason) override {
    std::lock_guard lock(mu_);
    for (Row& r : rows_) {
      if (r.target == target && r.state == "pending") {
        r.state = "abandoned";
        r.last_error = reason;
      }
    }
    return Status::Ok();
  }
  Result<std::vector<OutboxCount>> Counts() override {
    std::lock_guard lock(mu_);
    std::map<std::pair<std::string, std::string>, int64_t> n;
    for (const Row& r : rows_) ++n[{r.target, r.state}];
    std::vector<OutboxCount> out;
    for (const auto& [k, c] : n) out.push_back({k.first, k.second, c});
    return out;
  }

 private:
  Status Set(int64_t id, int attempts, const std::string& state, const std::string& error) {
    std::lock_guard lock(mu_);
    Row& r = rows_[id - 1];
    if (r.state != "pending") return Status::Ok();
    r.state = state;
    r.p.attempts = attempts;
    r.last_error = error;
    return Status::Ok();
  }
  std::mutex mu_;
  std::vector<Row> rows_;
};

// Answers from a script (then `otherwise`); records each call's event id and wall time.
class ScriptedTarget final : public NotifyTarget {
 public:
  ScriptedTarget(std::string name, const Clock& clock) : name_(std::move(name)), clock_(clock) {}
  const std::string& name() const override { return name_; }
  DeliveryResult Deliver(const NotificationEvent& event) override {
    if (gate_) gate_();
    std::lock_guard lock(mu_);
    calls_.push_back({event.event_id, clock_.WallNow()});
    if (script_.empty()) return otherwise_;
    DeliveryResult r = script_.front();
    script_.pop_front();
    return r;
  }
  void Script(std::vector<DeliveryResult> results, DeliveryResult otherwise) {
    std::lock_guard lock(mu_);
    script_.assign(results.begin(), results.end());
    otherwise_ = std::move(otherwise);
  }
  void SetGate(std::function<void()> gate) { gate_ = std::move(gate); }
  std::vector<std::pair<std::string, WallTime>> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::string name_;
  const Clock& clock_;
  std::mutex mu_;
  std::deque<DeliveryResult> script_;
  DeliveryResult otherwise_ = DeliveryResult::Delivered();
  std::function<void()> gate_;
  std::vector<std::pair<std::string, WallTime>> calls_;
};

// Polls (in real time) until `done` holds; false after 10 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

class NotifyWorkerTest : public ::testing::Test {
 protected:
  NotifyWorkerTest() : log_(testing::CaptureLogger(sink_)) {}
  std::unique_ptr<NotifyWorker> Worker(NotifyWorkerOptions options = {}) {
    auto w = std::make_unique<NotifyWorker>(outbox_, clock_, log_, options);
    w->PublishFiguresTo(figures_);
    return w;
  }
  std::shared_ptr<ScriptedTarget> Target(const std::string& name) {
    return std::make_shared<ScriptedTarget>(name, clock_);
  }
  uint64_t Attempts(const std::string& target, const std::string& result) {
    for (const auto& c : figures_.Read(clock_.Now()).notification_attempts) {
      if (c.target == target && c.label == result) return c.count;
    }
    return 0;
  }
  FakeClock clock_;
  MemoryOutbox outbox_;
  Figures figures_;
  std::shared_ptr<testing::CaptureSink> sink_;
  std::shared_ptr<spdlog::logger> log_;
};

TEST_F(NotifyWorkerTest, ThreeRetriesThenDeliveredOnceAfterGrowingWaits) {
  const int64_t id = outbox_.Add("hook", "a", 1, clock_.WallNow());
  auto target = Target("hook");
  target->Script({DeliveryResult::Retry("HTTP 503"), DeliveryResult::Retry("HTTP 503"),
                  DeliveryResult::Retry("HTTP 503")},
                 DeliveryResult::Delivered("HTTP 200"));
  auto worker = Worker({.backoff_base = 1s, .backoff_max = 1h, .seed = 7});
  worker->SetTarget(target);
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(id).state == "delivered"; }));
  worker->Stop();
  const auto calls = target->Calls();
  ASSERT_EQ(calls.size(), 4u);  // delivered once, never again
  for (const auto& c : calls) EXPECT_EQ(c.first, "blue:1");
  // Jittered in [base, base * 2^(n-1)]: at least 1 s each, and the ceilings double.
  std::vector<Duration> waits;
  for (size_t i = 1; i < calls.size(); ++i) {
    waits.push_back(std::chrono::duration_cast<Duration>(calls[i].second - calls[i - 1].second));
  }
  EXPECT_GE(waits[0], 1s);
  EXPECT_LE(waits[0], 1s + 100ms);
  EXPECT_GE(waits[1], 1s);
  EXPECT_LE(waits[1], 2s + 100ms);
  EXPECT_GE(waits[2], 1s);
  EXPECT_LE(waits[2], 4s + 100ms);
  EXPECT_GE(waits[1] + waits[2], waits[0]);
  EXPECT_EQ(outbox_.Get(id).p.attempts, 4);
  EXPECT_EQ(Attempts("hook", "retry"), 3u);
  EXPECT_EQ(Attempts("hook", "delivered"), 1u);
  EXPECT_THAT(sink_->Text(), HasSubstr("notify hook: event blue:1 not delivered (attempt 1): "
                                       "HTTP 503; next attempt in"));
}

TEST_F(NotifyWorkerTest, AbandonVerdictIsFinalAndLoggedAsAnError) {
  const int64_t id = outbox_.Add("hook", "a", 1, clock_.WallNow());
  auto target = Target("hook");
  target->Script({}, DeliveryResult::Abandon("HTTP 400 from https://hooks.example"));
  auto worker = Worker();
  worker->SetTarget(target);
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(id).state == "abandoned"; }));
  worker->Stop();
  EXPECT_EQ(target->Calls().size(), 1u);
  EXPECT_EQ(outbox_.Get(id).last_error, "HTTP 400 from https://hooks.example");
  EXPECT_THAT(sink_->AtLevel(spdlog::level::err),
              ::testing::ElementsAre("notify hook: event blue:1 abandoned after 1 attempts: HTTP "
                                     "400 from https://hooks.example"));
  EXPECT_EQ(Attempts("hook", "abandoned"), 1u);
}

TEST_F(NotifyWorkerTest, RetriedUntilRetryForThenAbandoned) {
  const int64_t id = outbox_.Add("hook", "a", 1, clock_.WallNow());
  const WallTime created = clock_.WallNow();
  auto target = Target("hook");
  target->Script({}, DeliveryResult::Retry("timeout"));
  auto worker = Worker({.retry_for = 10min, .backoff_base = 1s, .backoff_max = 2min});
  worker->SetTarget(target);
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(id).state == "abandoned"; }));
  worker->Stop();
  const auto calls = target->Calls();
  ASSERT_GE(calls.size(), 5u);
  // The last attempt is at the deadline, not after it.
  EXPECT_EQ(calls.back().second, created + 10min);
  EXPECT_THAT(outbox_.Get(id).last_error, HasSubstr("not delivered within notify_retry_for"));
}

TEST_F(NotifyWorkerTest, RetryAfterIsHonoured) {
  const int64_t id = outbox_.Add("hook", "a", 1, clock_.WallNow());
  auto target = Target("hook");
  target->Script({DeliveryResult::Retry("HTTP 429", 90s)}, DeliveryResult::Delivered());
  auto worker = Worker({.backoff_base = 1s});
  worker->SetTarget(target);
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(id).state == "delivered"; }));
  worker->Stop();
  const auto calls = target->Calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].second - calls[0].second, 90s);
}

TEST_F(NotifyWorkerTest, OneOperationsEventsGoOutInOrderOthersDoNotWait) {
  const WallTime t = clock_.WallNow();
  outbox_.Add("hook", "a", 1, t);
  outbox_.Add("hook", "a", 2, t);
  outbox_.Add("hook", "b", 3, t);
  outbox_.Add("hook", "a", 4, t);
  auto target = Target("hook");
  // a's first event fails twice; b goes out meanwhile; a's later events wait for it.
  target->Script(
      {DeliveryResult::Retry("503"), DeliveryResult::Delivered(), DeliveryResult::Retry("503")},
      DeliveryResult::Delivered());
  auto worker = Worker({.backoff_base = 1s});
  worker->SetTarget(target);
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(4).state == "delivered"; }));
  worker->Stop();
  std::vector<std::string> order;
  for (const auto& c : target->Calls()) order.push_back(c.first);
  EXPECT_EQ(order,
            (std::vector<std::string>{"blue:1", "blue:3", "blue:1", "blue:1", "blue:2", "blue:4"}));
}

TEST_F(NotifyWorkerTest, AStuckTargetDoesNotDelayAnother) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  outbox_.Add("stuck", "a", 1, clock_.WallNow());
  for (int i = 0; i < 5; ++i)
    outbox_.Add("fine", "op" + std::to_string(i), 10 + i, clock_.WallNow());
  auto stuck = Target("stuck");
  std::atomic<bool> entered{false};
  stuck->SetGate([&] {
    entered = true;
    released.wait();
  });
  auto fine = Target("fine");
  auto worker = Worker();
  worker->SetTarget(stuck);
  worker->SetTarget(fine);
  ASSERT_TRUE(Eventually([&] { return entered.load(); }));
  ASSERT_TRUE(Eventually([&] { return fine->Calls().size() == 5; }));
  EXPECT_EQ(outbox_.Get(1).state, "pending");  // still in the stuck target's hands
  release.set_value();
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(1).state == "delivered"; }));
  worker->Stop();
}

TEST_F(NotifyWorkerTest, RemovedTargetsPendingEventsAreAbandonedAndCountsPublished) {
  const int64_t id = outbox_.Add("gone", "a", 1, clock_.WallNow());
  outbox_.Add("hook", "a", 1, clock_.WallNow());
  auto hook = Target("hook");
  auto worker = Worker();
  worker->SetTarget(hook);
  worker->AbandonUnknownTargets();  // "gone" has no lane
  EXPECT_EQ(outbox_.Get(id).state, "abandoned");
  EXPECT_EQ(outbox_.Get(id).last_error, "target removed");
  ASSERT_TRUE(Eventually([&] { return outbox_.Get(2).state == "delivered"; }));
  worker->RemoveTarget("hook");
  EXPECT_TRUE(worker->TargetNames().empty());
  const auto counts = figures_.Read(clock_.Now()).notifications;
  std::vector<std::string> seen;
  for (const auto& c : counts)
    seen.push_back(c.target + "/" + c.label + "=" + std::to_string(c.count));
  EXPECT_THAT(seen, ::testing::IsSupersetOf({"gone/abandoned=1", "hook/delivered=1"}));
}

TEST_F(NotifyWorkerTest, StopsPromptlyWhileWaitingForARetry) {
  outbox_.Add("hook", "a", 1, SystemClock().WallNow());
  auto target = std::make_shared<ScriptedTarget>("hook", SystemClock());
  target->Script({}, DeliveryResult::Retry("503", 1h));
  // The real clock: the lane really waits an hour, unless the stop flag wakes it.
  NotifyWorker worker(outbox_, SystemClock(), log_, {.idle_poll = 1h});
  worker.SetTarget(target);
  ASSERT_TRUE(Eventually([&] { return target->Calls().size() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  worker.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(target->Calls().size(), 1u);
}

}  // namespace
}  // namespace adu
