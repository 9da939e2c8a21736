#include "../cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace adu::daemon {
namespace {

using ::testing::HasSubstr;

Result<CommandLine> Parse(std::vector<const char*> args, const char* env = nullptr) {
  args.insert(args.begin(), "adu-opwatch");
  return ParseCommandLine(static_cast<int>(args.size()), args.data(), env);
}

TEST(CliTest, RunWithDefaults) {
  auto cl = Parse({"run"});
  ASSERT_TRUE(cl.ok()) << cl.error();
  EXPECT_EQ(cl->command, Command::kRun);
  EXPECT_EQ(cl->config_path, "/etc/adu-opwatch/config.yaml");
  EXPECT_FALSE(cl->once);
}

TEST(CliTest, ConfigFromEnvironmentThenFlag) {
  EXPECT_EQ(Parse({"run"}, "/tmp/env.yaml")->config_path, "/tmp/env.yaml");
  EXPECT_EQ(Parse({"run", "--config", "/tmp/x.yaml"}, "/tmp/env.yaml")->config_path, "/tmp/x.yaml");
  EXPECT_EQ(Parse({"check-config", "--config=/tmp/y.yaml"})->config_path, "/tmp/y.yaml");
}

TEST(CliTest, RunOptions) {
  auto cl = Parse({"run", "--once", "--log-level", "debug", "--log-target=journal"});
  ASSERT_TRUE(cl.ok()) << cl.error();
  EXPECT_TRUE(cl->once);
  EXPECT_EQ(cl->log_level, "debug");
  EXPECT_EQ(cl->log_target, "journal");
}

TEST(CliTest, HistoryNeedsAnId) {
  auto cl = Parse({"history", "abc", "--kind", "update", "--db", "/tmp/o.db", "--json"});
  ASSERT_TRUE(cl.ok()) << cl.error();
  EXPECT_EQ(cl->operation_id, "abc");
  EXPECT_EQ(cl->kind, "update");
  EXPECT_EQ(cl->db, "/tmp/o.db");
  EXPECT_TRUE(cl->json);
  EXPECT_EQ(Parse({"history"}).error(),
            "history: which operation? (usage: adu-opwatch history OPERATION_ID)");
}

TEST(CliTest, RunAsAnInstanceOfTheTemplateUnit) {
  auto cl = Parse({"run", "--config", "/etc/adu-opwatch/blue.yaml", "--instance", "blue"});
  ASSERT_TRUE(cl.ok()) << cl.error();
  EXPECT_EQ(cl->instance, "blue");
  EXPECT_FALSE(Parse({"run"})->instance.has_value());
  EXPECT_EQ(Parse({"run", "--instance=eu-west.2_b"})->instance, "eu-west.2_b");
  const std::string why =
      "run: --instance must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
      "or digit";
  for (const char* bad : {"../x", "a/b", "-x", ".hidden", "a b", "x\\x2d"}) {
    EXPECT_EQ(Parse({"run", "--instance", bad}).error(), why) << bad;
  }
  EXPECT_EQ(Parse({"run", "--instance", std::string(65, 'a').c_str()}).error(), why);
  EXPECT_FALSE(Parse({"check-config", "--instance", "blue"}).ok());
}

TEST(CliTest, CheckConfigAsTheUnitsStartCondition) {
  auto cl = Parse({"check-config", "--condition", "--config", "/etc/adu-opwatch/config.yaml"});
  ASSERT_TRUE(cl.ok()) << cl.error();
  EXPECT_TRUE(cl->condition);
  EXPECT_FALSE(Parse({"check-config"})->condition);
  EXPECT_EQ(Parse({"check-config", "--condition=yes"}).error(),
            "check-config: --condition takes no value");
  EXPECT_FALSE(Parse({"run", "--condition"}).ok());
}

TEST(CliTest, UsageErrorsSayWhatIsWrong) {
  EXPECT_EQ(Parse({}).error(), "no subcommand given (try: adu-opwatch --help)");
  EXPECT_EQ(Parse({"start"}).error(), "unknown subcommand \"start\" (try: adu-opwatch --help)");
  EXPECT_EQ(Parse({"run", "--db", "x"}).error(),
            "run: unknown option --db (try: adu-opwatch run --help)");
  EXPECT_EQ(Parse({"run", "--config"}).error(), "run: --config needs a value");
  EXPECT_EQ(Parse({"run", "--once=yes"}).error(), "run: --once takes no value");
  EXPECT_EQ(Parse({"run", "--log-level", "loud"}).error(),
            "run: --log-level must be one of trace, debug, info, warn, error");
  EXPECT_EQ(Parse({"status", "--config", "a", "--db", "b"}).error(),
            "status: give either --config or --db, not both");
  EXPECT_EQ(Parse({"history", "x", "--kind", "other"}).error(),
            "history: --kind must be device or update, not \"other\"");
  EXPECT_EQ(Parse({"status", "extra"}).error(),
            "status: unexpected argument \"extra\" (try: adu-opwatch status --help)");
}

TEST(CliTest, HelpForEverySubcommand) {
  EXPECT_EQ(Parse({"--help"})->command, Command::kHelp);
  for (const char* sub : {"run", "check-config", "status", "history"}) {
    auto cl = Parse({sub, "--help"});
    ASSERT_TRUE(cl.ok());
    EXPECT_EQ(cl->command, Command::kHelp);
    EXPECT_EQ(cl->help_topic, sub);
    EXPECT_NE(HelpText(sub).find(std::string("adu-opwatch ") + sub), std::string::npos);
  }
  const std::string general = HelpText("");
  for (const char* sub : {"run", "check-config", "status", "history"}) {
    EXPECT_NE(general.find(std::string("  ") + sub), std::string::npos) << sub;
  }
  EXPECT_EQ(Parse({"--version"})->command, Command::kVersion);
  EXPECT_FALSE(Parse({"help", "nope"}).ok());
}

TEST(CliTest, ExitCodesComeFromTheStatusCode) {
  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(ExitCodeFor(Status::Config("config.yaml:1:1: bad")), kExitConfig);
  EXPECT_EQ(kExitConfig, 78);  // systemd's RestartPreventExitStatus=78 relies on it
  for (const Status& st :
       {Status::Error("x"), Status::NotFound("x"), Status::Busy("x"), Status::Corrupt("x"),
        Status::Incompatible("x"), Status::Io("x"), Status::ReadOnly("x"), Status::Internal("x")}) {
    EXPECT_EQ(ExitCodeFor(st), kExitFailure) << StatusCodeName(st.code());
  }
}

TEST(CliTest, NotifyTest) {
  auto cl = Parse({"notify", "test", "ops-channel", "--config", "/etc/x.yaml"});
  ASSERT_TRUE(cl.ok()) << cl.error();
  EXPECT_EQ(cl->command, Command::kNotifyTest);
  EXPECT_EQ(cl->notify_target, "ops-channel");
  EXPECT_EQ(cl->config_path, "/etc/x.yaml");
  EXPECT_EQ(Parse({"notify"}).error(),
            "notify: which action? (usage: adu-opwatch notify test NAME)");
  EXPECT_EQ(Parse({"notify", "test"}).error(),
            "notify: which target? (usage: adu-opwatch notify test NAME)");
  EXPECT_EQ(Parse({"notify", "send", "x"}).error(),
            "notify: unknown action \"send\" (the one action is test)");
  EXPECT_THAT(Parse({"notify", "test", "a", "b"}).error(), HasSubstr("unexpected argument \"b\""));
  EXPECT_THAT(Parse({"notify", "test", "a", "--json"}).error(), HasSubstr("unknown option --json"));
  auto help = Parse({"notify", "--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->command, Command::kHelp);
  EXPECT_THAT(HelpText(help->help_topic), HasSubstr("Usage: adu-opwatch notify test NAME"));
  EXPECT_THAT(HelpText(""), HasSubstr("adu-opwatch notify test NAME [--config FILE]"));
}

}  // namespace
}  // namespace adu::daemon
