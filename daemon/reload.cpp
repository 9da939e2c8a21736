#include "reload.h"

#include <algorithm>
#include <utility>

namespace adu::daemon {
namespace {

// Keeps `running`'s value in `wanted` when they differ, and says so in `refused`.
template <typename T>
void KeepRunning(const char* key, const T& running, T& wanted, std::vector<std::string>& refused) {
  if (running == wanted) return;
  wanted = running;
  refused.emplace_back(key);
}

// What the engine sees of the watch list: the operations, their intervals and which list names
// each (an operation's stored origin follows it), in order (not the line they are declared on).
bool SameWatchList(const std::vector<config::WatchEntry>& a,
                   const std::vector<config::WatchEntry>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.key == y.key && x.interval == y.interval && x.source == y.source;
  });
}

// What the engine takes of `discover` (not where it was written).
bool SameDiscovery(config::DiscoverConfig a, const config::DiscoverConfig& b) {
  a.origin = b.origin;
  return a == b;
}

}  // namespace

ReloadPlan Diff(const config::Config& running, config::Config next) {
  ReloadPlan plan;
  auto& refused = plan.needs_restart;
  KeepRunning("database", running.database, next.database, refused);
  KeepRunning("endpoint", running.endpoint, next.endpoint, refused);
  KeepRunning("instance_id", running.instance_id, next.instance_id, refused);
  KeepRunning("api_version", running.api_version, next.api_version, refused);
  KeepRunning("poll.request_timeout", running.poll.request_timeout, next.poll.request_timeout,
              refused);
  KeepRunning("auth", running.auth, next.auth, refused);
  KeepRunning("storage", running.storage, next.storage, refused);
  KeepRunning("http.transport", running.http, next.http, refused);

  plan.watch_list_changed = !SameWatchList(running.watch, next.watch);
  plan.engine_options_changed =
      !(running.poll == next.poll) || !SameDiscovery(running.discover, next.discover);
  plan.log_level_changed = running.log_level != next.log_level;
  plan.watch_file_moved = running.watch_file != next.watch_file;
  plan.applied = std::move(next);
  return plan;
}

}  // namespace adu::daemon
