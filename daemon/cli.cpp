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
  adu-opwatch help [SUBCOMMAND]
  adu-opwatch --version

Subcommands:
  run           poll the watched operations and record every change (the daemon; runs in the
                foreground, systemd supervises it)
  check-config  validate the configuration and print a summary
  status        show every watched operation from the database
  history       show one operation's snapshots and status transitions

The configuration file is --config FILE, else $ADU_OPWATCH_CONFIG, else
/etc/adu-opwatch/config.yaml.

Exit codes: 0 success, 1 failure, 64 usage error, 78 configuration error.
Documentation: /usr/share/doc/adu-opwatch/ (configuration.md, database.md)
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

}  // namespace

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
  static const std::map<std::string, Command, std::less<>> kCommands = {
      {"run", Command::kRun},
      {"check-config", Command::kCheckConfig},
      {"status", Command::kStatus},
      {"history", Command::kHistory}};
  auto cmd = kCommands.find(first);
  if (cmd == kCommands.end()) {
    return Usage("unknown subcommand \"" + first + "\" (try: adu-opwatch --help)");
  }
  cl.command = cmd->second;
  const std::string sub = first;

  auto takes = [&](std::string_view option) {
    static const std::map<std::string, std::vector<std::string>, std::less<>> kAllowed = {
        {"run", {"--config", "--once", "--log-level", "--log-target", "--instance"}},
        {"check-config", {"--config", "--quiet", "--condition"}},
        {"status", {"--config", "--db", "--json"}},
        {"history", {"--config", "--db", "--json", "--kind"}}};
    for (const auto& o : kAllowed.at(sub)) {
      if (o == option) return true;
    }
    return false;
  };

  bool config_given = false;
  while (!args.done()) {
    std::string arg = args.next();
    if (arg == "--help" || arg == "-h") {
      cl.command = Command::kHelp;
      cl.help_topic = sub;
      return cl;
    }
    if (arg.rfind("--", 0) != 0) {
      if (cl.command == Command::kHistory && cl.operation_id.empty()) {
        cl.operation_id = arg;
        continue;
      }
      return Usage(sub + ": unexpected argument \"" + arg + "\" (try: adu-opwatch " + sub +
                   " --help)");
    }
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (!takes(arg)) {
      return Usage(sub + ": unknown option " + arg + " (try: adu-opwatch " + sub + " --help)");
    }
    const bool is_flag =
        arg == "--once" || arg == "--json" || arg == "--quiet" || arg == "--condition";
    if (is_flag) {
      if (inline_value) return Usage(sub + ": " + arg + " takes no value");
      if (arg == "--once") cl.once = true;
      if (arg == "--json") cl.json = true;
      if (arg == "--quiet") cl.quiet = true;
      if (arg == "--condition") cl.condition = true;
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (!args.done()) {
      value = args.next();
    } else {
      return Usage(sub + ": " + arg + " needs a value");
    }
    if (value.empty()) return Usage(sub + ": " + arg + " needs a non-empty value");
    if (arg == "--config") {
      cl.config_path = value;
      config_given = true;
    } else if (arg == "--db") {
      cl.db = value;
    } else if (arg == "--kind") {
      if (value != "device" && value != "update") {
        return Usage(sub + ": --kind must be device or update, not \"" + value + "\"");
      }
      cl.kind = value;
    } else if (arg == "--log-level") {
      static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
      if (std::find(kLevels.begin(), kLevels.end(), value) == kLevels.end()) {
        return Usage(sub + ": --log-level must be one of trace, debug, info, warn, error");
      }
      cl.log_level = value;
    } else if (arg == "--log-target") {
      if (value != "stderr" && value != "journal") {
        return Usage(sub + ": --log-target must be stderr or journal");
      }
      cl.log_target = value;
    } else if (arg == "--instance") {
      if (!IsInstanceName(value)) {
        return Usage(sub + ": --instance must be 1 to 64 letters, digits, '.', '_' or '-', " +
                     "starting with a letter or digit");
      }
      cl.instance = value;
    }
  }
  if (cl.command == Command::kHistory && cl.operation_id.empty()) {
    return Usage("history: which operation? (usage: adu-opwatch history OPERATION_ID)");
  }
  if (config_given && cl.db) return Usage(sub + ": give either --config or --db, not both");
  return cl;
}

}  // namespace adu::daemon
