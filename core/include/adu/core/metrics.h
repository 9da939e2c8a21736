// The daemon's figures for monitoring: what the engine, the store writer and the client publish,
// and what an exposer (daemon/metrics/: the Prometheus endpoint, the textfile) reads.
//
// Publishing is cheap and never waits on a reader: counters and gauges are atomics; the few
// figures that are not numbers (operation counts by status, transitions by status) sit behind a
// mutex that is only held to copy or to bump one map entry, never while anything is written out.
// A scrape that is slow or never finishes therefore holds nothing the engine needs.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adu/core/domain.h"

namespace adu {

// Which kind of request a count is about (the `call` label).
enum class RequestCall { kGet, kList, kToken };
std::string_view RequestCallName(RequestCall call);  // "get" | "list" | "token"

// A request that ended without an HTTP status.
enum class RequestFailure { kNetwork, kTimeout };

// One group of the `operations` table: how many watched operations share kind, state and status.
struct OperationCount {
  OperationKind kind = OperationKind::kDevice;
  OperationState state = OperationState::kActive;
  std::string status;  // empty: not known yet
  uint64_t count = 0;
  auto operator<=>(const OperationCount&) const = default;
};

// Everything at one moment, as plain values (what Figures::Read() hands an exposer).
struct FiguresSnapshot {
  struct RequestCount {
    RequestCall call;
    std::string code;  // "200", "304", ..., "network", "timeout"
    uint64_t count;
  };
  struct TransitionCount {
    OperationKind kind;
    std::string to_status;
    uint64_t count;
  };
  struct Budget {
    RequestCall call;
    int per_minute;  // configured; 0: not set
    uint64_t used_last_minute;
  };
  std::vector<OperationCount> operations;
  std::vector<RequestCount> requests;                           // only codes seen at least once
  std::vector<std::pair<ErrorCategory, uint64_t>> poll_errors;  // every category
  std::vector<TransitionCount> transitions;
  double last_successful_poll_seconds = 0;  // Unix time; 0: none yet
  // Histogram of detection delays: cumulative counts per upper bound (seconds), then +Inf.
  std::vector<std::pair<double, uint64_t>> delay_buckets;
  uint64_t delay_count = 0;
  double delay_sum_seconds = 0;
  std::vector<Budget> budgets;  // get and list
  uint64_t store_queue_length = 0;
  bool store_unavailable = false;
  // Outbox rows by (target, state) as last counted, and delivery attempts by (target, result:
  // "delivered" | "retry" | "abandoned"). Both ordered by target.
  struct NotificationCount {
    std::string target;
    std::string label;  // the state or the result
    uint64_t count;
  };
  std::vector<NotificationCount> notifications;
  std::vector<NotificationCount> notification_attempts;
};

class Figures {
 public:
  // Upper bounds (seconds) of the detection-delay histogram's buckets.
  static constexpr std::array<double, 13> kDelayBounds = {1,   2,   5,   10,   15,   30,   60,
                                                          120, 300, 600, 1800, 3600, 21600};

  Figures();
  Figures(const Figures&) = delete;
  Figures& operator=(const Figures&) = delete;

  // The client: one call per answer (each attempt, a 401 retry included; cancelled requests
  // are not counted). Statuses outside 0..999 are counted as 999.
  void CountRequest(RequestCall call, int http_status);
  void CountRequest(RequestCall call, RequestFailure failure);

  // The engine.
  void CountPollError(ErrorCategory category);
  // A new snapshot whose status differs from the previous one (or the first one): a row of
  // the `transitions` view. The four known statuses of both kinds are listed (at 0) from the
  // start.
  void CountTransition(OperationKind kind, std::string_view to_status);
  void SetLastSuccessfulPoll(WallTime at);
  // observed_at minus the service's lastActionDateTime; a negative value (clock skew) counts as 0.
  void ObserveDetectionDelay(Duration delay);
  // A request taken from a budget (get or list) at `now`, for the used-in-the-last-minute gauge.
  void CountBudgetUse(RequestCall call, MonoTime now);
  // Replaces the operation counts (the engine publishes them at most once a second).
  void SetOperations(std::vector<OperationCount> counts);

  // The wiring (configured limits; set at start and on reload).
  void SetBudget(RequestCall call, int per_minute);

  // The store writer.
  void SetStoreQueue(uint64_t length, bool unavailable);

  // The delivery worker: replaces the outbox counts (every target's three states, 0 included),
  // and counts one attempt. A target's attempt series start at 0 when SetNotificationTargets
  // lists it.
  void SetNotificationCounts(std::map<std::pair<std::string, std::string>, uint64_t> counts);
  void SetNotificationTargets(const std::vector<std::string>& targets);
  void CountNotificationAttempt(const std::string& target, std::string_view result);
  // A consistent copy; `now` is for the budget window.
  FiguresSnapshot Read(MonoTime now) const;

 private:
  static constexpr size_t kCodes = 1000;  // HTTP statuses 0..999
  static constexpr size_t kFailureSlots = 2;
  static constexpr size_t kCalls = 3;
  static constexpr size_t kCategories = 6;
  static constexpr size_t kWindowSeconds = 60;

  struct BudgetWindow {
    std::array<int64_t, kWindowSeconds> second{};  // which second each slot holds
    std::array<uint64_t, kWindowSeconds> used{};
  };

  std::array<std::array<std::atomic<uint64_t>, kCodes + kFailureSlots>, kCalls> requests_;
  std::array<std::atomic<uint64_t>, kCategories> poll_errors_;
  std::atomic<int64_t> last_success_ms_{0};
  std::array<std::atomic<uint64_t>, kDelayBounds.size() + 1> delay_buckets_;  // not cumulative
  std::atomic<int64_t> delay_sum_ms_{0};
  std::array<std::atomic<int>, 2> budget_limit_;  // get, list
  std::atomic<uint64_t> store_queue_{0};
  std::atomic<bool> store_unavailable_{false};

  mutable std::mutex mu_;  // guards what follows; held only to copy or bump one entry
  std::vector<OperationCount> operations_;
  std::map<std::pair<OperationKind, std::string>, uint64_t> transitions_;
  std::array<BudgetWindow, 2> budget_windows_;
  std::map<std::pair<std::string, std::string>, uint64_t> notifications_;
  std::map<std::pair<std::string, std::string>, uint64_t> notification_attempts_;
};

}  // namespace adu
