// The command line: subcommands, options, help texts and exit codes.
//
// Parsing is pure (no I/O) so every usage error is unit-tested; main() only dispatches.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adu/core/result.h"

namespace adu::daemon {

// sysexits.h values, so systemd's RestartPreventExitStatus=78 can refuse to loop on bad config.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitConfig = 78;

// The exit code for a failure, from its code: kConfig -> 78 (a restart cannot help, so systemd
// must not loop), any other error -> 1, OK -> 0. Usage errors (64) come from ParseCommandLine.
int ExitCodeFor(const Status& status);

inline constexpr const char* kDefaultConfigPath = "/etc/adu-opwatch/config.yaml";

enum class Command { kRun, kCheckConfig, kStatus, kHistory, kNotifyTest, kHelp, kVersion };

struct CommandLine {
  Command command = Command::kHelp;
  std::string config_path = kDefaultConfigPath;  // --config, else $ADU_OPWATCH_CONFIG, else default
  bool once = false;                             // run --once
  std::optional<std::string> log_level;          // run --log-level
  std::optional<std::string> log_target;         // run --log-target stderr|journal
  std::optional<std::string> db;                 // status/history --db
  bool json = false;                             // status/history --json
  bool quiet = false;                            // check-config --quiet
  bool condition = false;                        // check-config --condition (ExecCondition=)
  std::optional<std::string> instance;           // run --instance NAME (adu-opwatch@NAME)
  std::string operation_id;                      // history OPERATION_ID
  std::string notify_action;                     // notify ACTION ("test")
  std::string notify_target;                     // notify test NAME
  std::optional<std::string> kind;               // history --kind
  std::string help_topic;                        // help SUBCOMMAND / SUBCOMMAND --help
};

// `env_config` is the value of ADU_OPWATCH_CONFIG (nullptr when unset). Errors are usage errors
// (exit 64), worded for the user.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv, const char* env_config);

// The general help ("") or one subcommand's.
std::string HelpText(std::string_view topic);

}  // namespace adu::daemon
