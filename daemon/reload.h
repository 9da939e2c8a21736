// Reload as data: what a new configuration changes against the running one.
//
// Diff() is pure (no I/O, no logging): the daemon loads the new file, asks Diff() what to do,
// then logs the refused keys and hands the engine only what changed.
#pragma once

#include <string>
#include <vector>

#include "adu/config/config.h"

namespace adu::daemon {

struct ReloadPlan {
  // The configuration to run with from now on: `next`, except that every setting bound into
  // objects built at start keeps its running value (see `needs_restart`).
  config::Config applied;
  // The keys whose new value only a restart applies, in the order docs/configuration.md lists
  // them: "database", "endpoint", "instance_id", "api_version", "poll.request_timeout", "auth",
  // "storage", "http.transport".
  std::vector<std::string> needs_restart;
  bool watch_list_changed = false;      // operations, kinds or per-operation intervals
  bool engine_options_changed = false;  // any `poll` or `discover` setting (taken at once)
  bool log_level_changed = false;
  bool watch_file_moved = false;  // `watch_file` names another file (or none, or one now)
};

ReloadPlan Diff(const config::Config& running, config::Config next);

}  // namespace adu::daemon
