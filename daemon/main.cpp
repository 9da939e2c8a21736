#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli.h"
#include "daemon.h"

int main(int argc, char** argv) {
  using namespace adu::daemon;
  auto cl = ParseCommandLine(argc, argv, std::getenv("ADU_OPWATCH_CONFIG"));
  if (!cl.ok()) {
    std::fprintf(stderr, "adu-opwatch: %s\n", cl.error().c_str());
    return kExitUsage;
  }
  switch (cl->command) {
    case Command::kHelp:
      std::cout << HelpText(cl->help_topic);
      return kExitOk;
    case Command::kVersion:
      std::cout << "adu-opwatch " << ADU_OPWATCH_VERSION << "\n";
      return kExitOk;
    case Command::kCheckConfig:
      return CheckConfig(*cl);
    case Command::kStatus:
      return ShowStatus(*cl);
    case Command::kHistory:
      return ShowHistory(*cl);
    case Command::kNotifyTest:
      return NotifyTest(*cl);
    case Command::kRun:
      return RunDaemon(*cl);
  }
  return kExitFailure;
}
