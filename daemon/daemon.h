// The subcommands behind main(): the one place that knows every concrete type.
#pragma once

#include <cstddef>

#include "cli.h"

namespace adu::daemon {

int RunDaemon(const CommandLine& cl);
// Sizes the HTTP client's I/O pool; call once, before the first request.
void InitializeIoThreads(size_t threads);
int CheckConfig(const CommandLine& cl);
int ShowStatus(const CommandLine& cl);
int ShowHistory(const CommandLine& cl);

}  // namespace adu::daemon
