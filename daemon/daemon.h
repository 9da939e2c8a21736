// The subcommands behind main(): the one place that knows every concrete type.
#pragma once

#include <cstddef>

#include "cli.h"

namespace adu::daemon {

int RunDaemon(const CommandLine& cl);
int CheckConfig(const CommandLine& cl);
int ShowStatus(const CommandLine& cl);
int ShowHistory(const CommandLine& cl);
int NotifyTest(const CommandLine& cl);

}  // namespace adu::daemon
