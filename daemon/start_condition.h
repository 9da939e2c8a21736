// `adu-opwatch check-config --condition`: the unit's ExecCondition=.
#pragma once

#include <string>

namespace adu::daemon {

// 1 with one line on stderr (the journal) when `config_path` is still the unconfigured example,
// so systemd skips the start instead of failing it (the system is not left degraded at boot);
// else 0 without further checks: `run` reports a real error itself and exits 78.
int StartConditionExit(const std::string& config_path);

}  // namespace adu::daemon
