// The STATUS= line systemd shows in `systemctl status` while the daemon runs.
#pragma once

#include <string>

#include "adu/core/engine.h"

namespace adu::daemon {

// "watching N operations: A in flight, B done[, C not found]; last poll Ss ago|no poll yet;
// E errors in the last hour[; list-based refresh]"
std::string StatusLine(const EngineStats& stats, MonoTime now);

}  // namespace adu::daemon
