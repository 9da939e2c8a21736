#include "cli.h"

#include <algorithm>
#include <map>
#include <vector>

namespace adu::daemon {
namespace {

constexpr std::string_view kGeneralHelp =
    R"(adu-opwatch - watch Azure Device Update operations and keep their history in SQLite

Usage:
  adu-opwatch run [--config FILE] [--once] [--log-level LEVEL] [--log-target stderr|journal]
                  [--instance NAME]
  adu-opwatch check-config [--config FILE] [--quiet] [--condition]
  adu-opwatch status [--config FILE | --db FILE] [--json]
  adu-opwatch history OPERATION_ID [--kind device|update] [--config FILE | --db FILE] [--json]
  adu-opwatch notify test NAME [--config FILE]
  adu-opwatch help [SUBCOMMAND]
  adu-opwatch --version

Subcommands:
  run           poll the watched operations and record every change (the daemon; runs in the
                foreground, systemd supervises it)
  check-config  validate the configuration and print a summary
  status        show every watched operation from the database
  history       show one operation's snapshots and status transitions
  notify test   send a synthetic event to one notification target and say what happened

The configuration file is --config FILE, else $ADU_OPWATCH_CONFIG, else
/etc/adu-opwatch/config.yaml.

Exit codes: 0 success, 1 failure, 64 usage error, 78 configuration error.
Documentation: /usr/share/doc/adu-opwatch/ (configuration.md, database.md, notifications.md)
)";

const std::map<std::string, std::string, std::less<>> kCommandHelp = {
    {"run",
     R"(Usage: adu-opwatch run [--config FILE] [--once] [--log-level LEVEL] [--log-target TARGET]
                       [--instance NAME]

Polls every watched operation with conditional requests within the instance's rate budget,
stores each distinct snapshot in the database and logs status transitions.

  --config FILE         configuration file (default: $ADU_OPWATCH_CONFIG or /etc/adu-opwatch/config.yaml)
  --once                poll every active operation once, store the results and exit
  --log-level LEVEL     trace | debug | info | warn | error (overrides log_level in the file)
  --log-target TARGET   stderr | journal (default: journal when started by systemd, else stderr)
  --instance NAME       one of several daemons on the host (adu-opwatch@NAME.service): NAME is in
                        the journal (SYSLOG_IDENTIFIER=adu-opwatch@NAME) and the status line, and
                        the default database is /var/lib/adu-opwatch/NAME.db

Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads the configuration and the watch file.
Exit codes: 0 stopped cleanly, 1 failure, 64 usage error, 78 configuration error.
)"},
    {"check-config", R"(Usage: adu-opwatch check-config [--config FILE] [--quiet] [--condition]

Validates the configuration (and the watch file it names) and prints a summary: endpoint,
instance, auth method, number of watched operations, database path. Every error names the
file, line, column and key.

  --config FILE   configuration file (default: $ADU_OPWATCH_CONFIG or /etc/adu-opwatch/config.yaml)
  --quiet         print nothing when the configuration is valid
  --condition     for the unit's ExecCondition=: exit 1 with one line when FILE is still the
                  unconfigured example (every REPLACE-ME in place), so systemd skips the start;
                  else exit 0 without further checks (the daemon reports real errors, exit 78)

Exit codes: 0 valid, 78 invalid, 64 usage error (--condition: 0 start, 1 skip).
)"},
    {"status", R"(Usage: adu-opwatch status [--config FILE | --db FILE] [--json]

Shows every operation in the database: ID, kind, status, state, last change, last poll and
error count. Opens the database read-only; works while the daemon runs.

  --config FILE   take the database path from this configuration
  --db FILE       the database file itself
  --json          print JSON instead of a table
)"},
    {"history",
     R"(Usage: adu-opwatch history OPERATION_ID [--kind device|update] [--config FILE | --db FILE] [--json]

Shows one operation's snapshots and status transitions, oldest first. Opens the database
read-only; works while the daemon runs.

  --kind KIND     device or update (default: whichever the database has)
  --config FILE   take the database path from this configuration
  --db FILE       the database file itself
  --json          print JSON instead of text
)"},
    {"notify", R"(Usage: adu-opwatch notify test NAME [--config FILE]

Sends one synthetic event (event id INSTANCE:test-UNIXTIME, operation adu-opwatch-test, from
Running to Succeeded) to the `notify:` target NAME, once, without retries, and prints what
happened. Nothing is written to the database. The target's secret is read as the daemon reads it.

  --config FILE   configuration file (default: $ADU_OPWATCH_CONFIG or /etc/adu-opwatch/config.yaml)

Exit codes: 0 delivered, 1 not delivered, 64 usage error, 78 configuration error (or no target
NAME).
)"},
};

struct Args {
  std::vector<std::string> items;
  size_t pos = 0;
  bool done() const { return pos >= items.size(); }
  const std::string& next() { return items[pos++]; }
};

Status Usage(const std::string& message) { return Status::Error(message); }

// It becomes part of a file name (NAME.db) and of the journal's SYSLOG_IDENTIFIER.
bool IsInstanceName(std::string_view name) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  if (name.empty() || name.size() > 64 || !ok(name[0]) || name[0] == '.' || name[0] == '_' ||
      name[0] == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), ok);
}

const std::map<std::string, Command, std::less<>> kCommands = {
    {"run", Command::kRun},
    {"check-config", Command::kCheckConfig},
    {"status", Command::kStatus},
    {"history", Command::kHistory},
    {"notify", Command::kNotifyTest}};

bool Takes(std::string_view sub, std::string_view option) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> kAllowed = {
      {"run", {"--config", "--once", "--log-level", "--log-target", "--instance"}},
      {"check-config", {"--config", "--quiet", "--condition"}},
      {"status", {"--config", "--db", "--json"}},
      {"history", {"--config", "--db", "--json", "--kind"}},
      {"notify", {"--config"}}};
  const auto& allowed = kAllowed.at(std::string(sub));
  return std::find(allowed.begin(), allowed.end(), option) != allowed.end();
}

// --once, --json, --quiet, --condition (the options without a value).
bool IsFlag(std::string_view option) {
  return option == "--once" || option == "--json" || option == "--quiet" || option == "--condition";
}

void SetFlag(std::string_view option, CommandLine& cl) {
  if (option == "--once") cl.once = true;
  if (option == "--json") cl.json = true;
  if (option == "--quiet") cl.quiet = true;
  if (option == "--condition") cl.condition = true;
}

// An option that takes a value, already checked to be one `sub` takes.
Status SetValue(const std::string& sub, const std::string& option, const std::string& value,
                CommandLine& cl) {
  if (value.empty()) return Usage(sub + ": " + option + " needs a non-empty value");
  if (option == "--config") {
    cl.config_path = value;
  } else if (option == "--db") {
    cl.db = value;
  } else if (option == "--kind") {
    if (value != "device" && value != "update") {
      return Usage(sub + ": --kind must be device or update, not \"" + value + "\"");
    }
    cl.kind = value;
  } else if (option == "--log-level") {
    static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
    if (std::find(kLevels.begin(), kLevels.end(), value) == kLevels.end()) {
      return Usage(sub + ": --log-level must be one of trace, debug, info, warn, error");
    }
    cl.log_level = value;
  } else if (option == "--log-target") {
    if (value != "stderr" && value != "journal") {
      return Usage(sub + ": --log-target must be stderr or journal");
    }
    cl.log_target = value;
  } else if (option == "--instance") {
    if (!IsInstanceName(value)) {
      return Usage(sub + ": --instance must be 1 to 64 letters, digits, '.', '_' or '-', " +
                   "starting with a letter or digit");
    }
    cl.instance = value;
  }
  return Status::Ok();
}

// One option of `sub` (`arg` is "--name" or "--name=value"), taking its value from `args` when
// it needs one and has none inline.
Status ParseOption(const std::string& sub, std::string arg, Args& args, CommandLine& cl,
                   bool& config_given) {
  std::optional<std::string> inline_value;
  if (auto eq = arg.find('='); eq != std::string::npos) {
    inline_value = arg.substr(eq + 1);
    arg = arg.substr(0, eq);
  }
  if (!Takes(sub, arg)) {
    return Usage(sub + ": unknown option " + arg + " (try: adu-opwatch " + sub + " --help)");
  }
  if (IsFlag(arg)) {
    if (inline_value) return Usage(sub + ": " + arg + " takes no value");
    SetFlag(arg, cl);
    return Status::Ok();
  }
  if (!inline_value && args.done()) return Usage(sub + ": " + arg + " needs a value");
  const std::string value = inline_value ? *inline_value : args.next();
  if (arg == "--config") config_given = !value.empty();
  return SetValue(sub, arg, value, cl);
}

// history's OPERATION_ID; notify's "test" and NAME.
Status TakePositional(const std::string& sub, const std::string& arg, CommandLine& cl) {
  const auto unexpected = [&] {
    return Usage(sub + ": unexpected argument \"" + arg + "\" (try: adu-opwatch " + sub +
                 " --help)");
  };
  if (cl.command == Command::kHistory && cl.operation_id.empty()) {
    cl.operation_id = arg;
    return Status::Ok();
  }
  if (cl.command != Command::kNotifyTest || !cl.notify_target.empty()) return unexpected();
  if (cl.notify_action.empty()) {
    if (arg != "test") {
      return Usage("notify: unknown action \"" + arg + "\" (the one action is test)");
    }
    cl.notify_action = arg;
    return Status::Ok();
  }
  cl.notify_target = arg;
  return Status::Ok();
}

// Everything after the subcommand `sub`.
Status ParseArguments(const std::string& sub, Args& args, CommandLine& cl) {
  bool config_given = false;
  while (!args.done()) {
    std::string arg = args.next();
    if (arg == "--help" || arg == "-h") {
      cl.command = Command::kHelp;
      cl.help_topic = sub;
      return Status::Ok();
    }
    if (arg.rfind("--", 0) == 0) {
      if (Status st = ParseOption(sub, std::move(arg), args, cl, config_given); !st.ok()) return st;
      continue;
    }
    if (Status st = TakePositional(sub, arg, cl); !st.ok()) return st;
  }
  if (cl.command == Command::kNotifyTest && cl.notify_target.empty()) {
    if (cl.notify_action.empty())
      return Usage("notify: which action? (usage: adu-opwatch notify test NAME)");
    return Usage("notify: which target? (usage: adu-opwatch notify test NAME)");
  }
  if (cl.command == Command::kHistory && cl.operation_id.empty()) {
    return Usage("history: which operation? (usage: adu-opwatch history OPERATION_ID)");
  }
  if (config_given && cl.db) return Usage(sub + ": give either --config or --db, not both");
  return Status::Ok();
}

}  // namespace

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  return status.IsConfig() ? kExitConfig : kExitFailure;
}

std::string HelpText(std::string_view topic) {
  if (auto it = kCommandHelp.find(topic); it != kCommandHelp.end()) return it->second;
  return std::string(kGeneralHelp);
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv, const char* env_config) {
  CommandLine cl;
  if (env_config != nullptr && *env_config != '\0') cl.config_path = env_config;
  Args args;
  for (int i = 1; i < argc; ++i) args.items.emplace_back(argv[i]);
  if (args.done()) return Usage("no subcommand given (try: adu-opwatch --help)");

  const std::string& first = args.next();
  if (first == "--help" || first == "-h" || first == "help") {
    cl.command = Command::kHelp;
    if (!args.done()) {
      cl.help_topic = args.next();
      if (!kCommandHelp.count(cl.help_topic)) {
        return Usage("unknown subcommand \"" + cl.help_topic + "\" (try: adu-opwatch --help)");
      }
    }
    return cl;
  }
  if (first == "--version" || first == "-V") {
    cl.command = Command::kVersion;
    return cl;
  }
  auto cmd = kCommands.find(first);
  if (cmd == kCommands.end()) {
    return Usage("unknown subcommand \"" + first + "\" (try: adu-opwatch --help)");
  }
  cl.command = cmd->second;
  if (Status st = ParseArguments(first, args, cl); !st.ok()) return st;
  return cl;
}

}  // namespace adu::daemon
