#include "start_condition.h"

#include <cstdio>

#include "adu/config/unconfigured.h"

namespace adu::daemon {

int StartConditionExit(const std::string& config_path) {
  if (!config::IsUnconfiguredExample(config_path)) return 0;
  std::fprintf(stderr,
               "adu-opwatch: not starting: %s is the unconfigured example (its REPLACE-ME values "
               "are not filled in; see /usr/share/doc/adu-opwatch/install.md)\n",
               config_path.c_str());
  return 1;
}

}  // namespace adu::daemon
