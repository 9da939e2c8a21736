#include "adu/core/metrics.h"

#include <algorithm>

namespace adu {
namespace {

constexpr std::array<ErrorCategory, 6> kCategoryOrder = {
    ErrorCategory::kHttp,  ErrorCategory::kNetwork, ErrorCategory::kTimeout,
    ErrorCategory::kParse, ErrorCategory::kAuth,    ErrorCategory::kThrottled};

// The budget gauges exist for the two budgeted calls only.
int BudgetIndex(RequestCall call) { return call == RequestCall::kList ? 1 : 0; }

int64_t SecondOf(MonoTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string_view RequestCallName(RequestCall call) {
  switch (call) {
    case RequestCall::kGet:
      return "get";
    case RequestCall::kList:
      return "list";
    case RequestCall::kToken:
      return "token";
  }
  return "get";
}

Figures::Figures() {
  for (auto& per_call : requests_) {
    for (auto& c : per_call) c.store(0, std::memory_order_relaxed);
  }
  for (auto& c : poll_errors_) c.store(0, std::memory_order_relaxed);
  for (auto& c : delay_buckets_) c.store(0, std::memory_order_relaxed);
  for (auto& c : budget_limit_) c.store(0, std::memory_order_relaxed);
  for (auto& w : budget_windows_) w.second.fill(-1);
  // The known statuses are listed from the start at 0: a series that appears at 1 hides its
  // first increase from Prometheus' increase() and rate(), and the Failed alert rests on it.
  for (OperationKind kind : {OperationKind::kDevice, OperationKind::kUpdate}) {
    for (const char* status : {"NotStarted", "Running", "Succeeded", "Failed"}) {
      transitions_.emplace(std::make_pair(kind, std::string(status)), 0);
    }
  }
}

void Figures::CountRequest(RequestCall call, int http_status) {
  const auto code = static_cast<size_t>(std::clamp(http_status, 0, static_cast<int>(kCodes) - 1));
  requests_[static_cast<size_t>(call)][code].fetch_add(1, std::memory_order_relaxed);
}

void Figures::CountRequest(RequestCall call, RequestFailure failure) {
  requests_[static_cast<size_t>(call)][kCodes + static_cast<size_t>(failure)].fetch_add(
      1, std::memory_order_relaxed);
}

void Figures::CountPollError(ErrorCategory category) {
  poll_errors_[static_cast<size_t>(category)].fetch_add(1, std::memory_order_relaxed);
}

void Figures::CountTransition(OperationKind kind, std::string_view to_status) {
  std::lock_guard lock(mu_);
  ++transitions_[{kind, std::string(to_status)}];
}

void Figures::SetLastSuccessfulPoll(WallTime at) {
  last_success_ms_.store(
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count(),
      std::memory_order_relaxed);
}

void Figures::ObserveDetectionDelay(Duration delay) {
  const Duration d = std::max(delay, Duration(0));
  const double seconds = static_cast<double>(d.count()) / 1000.0;
  const auto bound = std::lower_bound(kDelayBounds.begin(), kDelayBounds.end(), seconds);
  delay_buckets_[static_cast<size_t>(bound - kDelayBounds.begin())].fetch_add(
      1, std::memory_order_relaxed);
  delay_sum_ms_.fetch_add(d.count(), std::memory_order_relaxed);
}

void Figures::CountBudgetUse(RequestCall call, MonoTime now) {
  const int64_t second = SecondOf(now);
  const auto slot = static_cast<size_t>(second % static_cast<int64_t>(kWindowSeconds));
  std::lock_guard lock(mu_);
  BudgetWindow& w = budget_windows_[BudgetIndex(call)];
  if (w.second[slot] != second) {
    w.second[slot] = second;
    w.used[slot] = 0;
  }
  ++w.used[slot];
}

void Figures::SetOperations(std::vector<OperationCount> counts) {
  std::sort(counts.begin(), counts.end());
  std::lock_guard lock(mu_);
  operations_.swap(counts);
}

void Figures::SetBudget(RequestCall call, int per_minute) {
  budget_limit_[BudgetIndex(call)].store(per_minute, std::memory_order_relaxed);
}

void Figures::SetStoreQueue(uint64_t length, bool unavailable) {
  store_queue_.store(length, std::memory_order_relaxed);
  store_unavailable_.store(unavailable, std::memory_order_relaxed);
}

void Figures::SetNotificationCounts(
    std::map<std::pair<std::string, std::string>, uint64_t> counts) {
  std::lock_guard lock(mu_);
  notifications_ = std::move(counts);
}

void Figures::SetNotificationTargets(const std::vector<std::string>& targets) {
  std::lock_guard lock(mu_);
  for (const std::string& t : targets) {
    for (const char* result : {"delivered", "retry", "abandoned"}) {
      notification_attempts_.emplace(std::make_pair(t, std::string(result)), 0);
    }
  }
}

void Figures::CountNotificationAttempt(const std::string& target, std::string_view result) {
  std::lock_guard lock(mu_);
  ++notification_attempts_[std::make_pair(target, std::string(result))];
}

FiguresSnapshot Figures::Read(MonoTime now) const {
  FiguresSnapshot s;
  for (RequestCall call : {RequestCall::kGet, RequestCall::kList, RequestCall::kToken}) {
    const auto& per_call = requests_[static_cast<size_t>(call)];
    for (size_t code = 0; code < per_call.size(); ++code) {
      const uint64_t n = per_call[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      std::string label = code < kCodes ? std::to_string(code)
                          : code == kCodes + static_cast<size_t>(RequestFailure::kNetwork)
                              ? "network"
                              : "timeout";
      s.requests.push_back({call, std::move(label), n});
    }
  }
  for (ErrorCategory c : kCategoryOrder) {
    s.poll_errors.emplace_back(c, poll_errors_[static_cast<size_t>(c)].load());
  }
  s.last_successful_poll_seconds = static_cast<double>(last_success_ms_.load()) / 1000.0;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kDelayBounds.size(); ++i) {
    cumulative += delay_buckets_[i].load(std::memory_order_relaxed);
    s.delay_buckets.emplace_back(kDelayBounds[i], cumulative);
  }
  // Count and +Inf agree by construction: both are the sum of the buckets read here.
  cumulative += delay_buckets_.back().load(std::memory_order_relaxed);
  s.delay_count = cumulative;
  s.delay_sum_seconds = static_cast<double>(delay_sum_ms_.load()) / 1000.0;
  s.store_queue_length = store_queue_.load();
  s.store_unavailable = store_unavailable_.load();

  const int64_t oldest = SecondOf(now) - static_cast<int64_t>(kWindowSeconds);
  std::lock_guard lock(mu_);
  s.operations = operations_;
  for (const auto& [key, n] : transitions_) s.transitions.push_back({key.first, key.second, n});
  for (const auto& [key, n] : notifications_) s.notifications.push_back({key.first, key.second, n});
  for (const auto& [key, n] : notification_attempts_) {
    s.notification_attempts.push_back({key.first, key.second, n});
  }
  for (RequestCall call : {RequestCall::kGet, RequestCall::kList}) {
    const BudgetWindow& w = budget_windows_[BudgetIndex(call)];
    uint64_t used = 0;
    for (size_t i = 0; i < kWindowSeconds; ++i) {
      if (w.second[i] > oldest) used += w.used[i];
    }
    s.budgets.push_back({call, budget_limit_[BudgetIndex(call)].load(), used});
  }
  return s;
}

}  // namespace adu
