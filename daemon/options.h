// How the configuration maps onto the engine's and the logger's inputs. Pure functions.
#pragma once

#include <spdlog/common.h>

#include <string>
#include <vector>

#include "adu/config/config.h"
#include "adu/core/engine.h"
#include "adu/core/metrics.h"

namespace adu::daemon {

EngineOptions EngineOptionsFrom(const config::Config& config);
std::vector<WatchItem> WatchItemsFrom(const config::Config& config);
// The configured limits, for adu_opwatch_budget_requests_per_minute (at start and on reload).
void PublishBudgets(const config::Config& config, Figures& figures);
// "trace" | "debug" | "info" | "warn" | "error" (config's names) -> spdlog's level.
spdlog::level::level_enum LogLevelOf(const std::string& name);

}  // namespace adu::daemon
