#include "options.h"

#include "test_hooks.h"

namespace adu::daemon {
namespace {

ListMode ListModeOf(config::UseList use_list) {
  switch (use_list) {
    case config::UseList::kAlways:
      return ListMode::kAlways;
    case config::UseList::kNever:
      return ListMode::kNever;
    case config::UseList::kAuto:
      break;
  }
  return ListMode::kAuto;
}

}  // namespace

EngineOptions EngineOptionsFrom(const config::Config& c) {
  EngineOptions o;
  o.interval = c.poll.interval;
  o.backoff_max = c.poll.backoff_max;
  o.max_concurrency = c.poll.max_concurrency;
  o.requests_per_minute = c.poll.requests_per_minute;
  o.list_requests_per_minute = c.poll.list_requests_per_minute;
  o.stop_on_terminal = c.poll.stop_on_terminal;
  o.use_list = ListModeOf(c.poll.use_list);
  o.budget_time_scale = BenchTimeScaleForTest();
  o.discovery.kinds = c.discover.kinds;
  o.discovery.interval = c.discover.interval;
  o.discovery.resync = c.discover.resync;
  o.discovery.max_age = c.discover.max_age;
  return o;
}

std::vector<WatchItem> WatchItemsFrom(const config::Config& c) {
  std::vector<WatchItem> items;
  items.reserve(c.watch.size());
  for (const auto& w : c.watch) items.push_back({w.key, w.interval, w.source});
  return items;
}

void PublishBudgets(const config::Config& c, Figures& figures) {
  figures.SetBudget(RequestCall::kGet, c.poll.requests_per_minute);
  figures.SetBudget(RequestCall::kList, c.poll.list_requests_per_minute);
}

spdlog::level::level_enum LogLevelOf(const std::string& name) {
  if (name == "warn") return spdlog::level::warn;
  return spdlog::level::from_str(name);
}

}  // namespace adu::daemon
