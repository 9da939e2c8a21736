// notify: targets, their validation (each error at its file:line:col) and notify_retry_for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "test_util.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigFixture;
using ::testing::HasSubstr;
using testing::kMinimal;

class NotifyConfigTest : public ConfigFixture {
 protected:
  void SetUp() override {
    hook_ = dir_.Write("hook.sh", "#!/bin/sh\nexit 0\n");
    ::chmod(hook_.c_str(), 0755);
    ::unsetenv("CREDENTIALS_DIRECTORY");
  }
  Config WithNotify(const std::string& body) {
    return Ok(std::string(kMinimal) + "notify:\n" + body);
  }
  // Lines 1-4 are kMinimal, line 5 is "notify:", the body starts on line 6.
  std::string ErrorWithNotify(const std::string& body) {
    return Error(std::string(kMinimal) + "notify:\n" + body);
  }
  std::string hook_;
};

TEST_F(NotifyConfigTest, AbsentMeansNoTargetsAndADayOfRetries) {
  const Config c = Ok(kMinimal);
  EXPECT_TRUE(c.notify.empty());
  EXPECT_EQ(c.notify_retry_for, 24h);
  EXPECT_EQ(Ok(std::string(kMinimal) + "notify_retry_for: 90m\n").notify_retry_for, 90min);
}

TEST_F(NotifyConfigTest, WebhookWithDefaultsAndExecWithArgv) {
  const Config c = WithNotify(
      "  - name: ops-channel\n"
      "    on: [Failed, Succeeded]\n"
      "    webhook:\n"
      "      url: https://hooks.example.invalid/abc\n"
      "  - name: local-script\n"
      "    on: [any]\n"
      "    exec: [" +
      hook_ +
      ", --verbose]\n"
      "    timeout: 5s\n");
  ASSERT_EQ(c.notify.size(), 2u);
  const NotifyTargetConfig& w = c.notify[0];
  EXPECT_EQ(w.name, "ops-channel");
  EXPECT_EQ(w.on, (std::vector<std::string>{"Failed", "Succeeded"}));
  EXPECT_FALSE(w.on_any);
  ASSERT_TRUE(w.webhook.has_value());
  EXPECT_EQ(w.webhook->url, "https://hooks.example.invalid/abc");
  EXPECT_EQ(w.webhook->format, NotifyFormat::kJson);
  EXPECT_EQ(w.webhook->secret_file, "");
  EXPECT_EQ(w.webhook->timeout, 10s);
  EXPECT_EQ(w.origin, dir_.File("config.yaml") + ":6");
  const NotifyTargetConfig& e = c.notify[1];
  EXPECT_TRUE(e.on_any);
  EXPECT_TRUE(e.on.empty());
  EXPECT_FALSE(e.webhook.has_value());
  EXPECT_EQ(e.exec, (std::vector<std::string>{hook_, "--verbose"}));
  EXPECT_EQ(e.exec_timeout, 5s);
}

TEST_F(NotifyConfigTest, SummaryShowsNoUrlPath) {
  EXPECT_THAT(Summary(Ok(kMinimal)), HasSubstr("notify         no targets\n"));
  dir_.Write("secret", "k");
  const Config c = WithNotify(
      "  - name: ops\n    on: [Failed, Succeeded]\n    webhook:\n"
      "      url: https://hooks.example.invalid/T000/B000/capability\n"
      "      secret_file: secret\n"
      "  - name: hook\n    on: [any]\n    exec: [" +
      hook_ + "]\n");
  const std::string s = Summary(c);
  EXPECT_THAT(s,
              HasSubstr("notify         ops (webhook https://hooks.example.invalid, json, signed, "
                        "on Failed|Succeeded); hook (exec " +
                        hook_ + ", on any), retried for 1d\n"));
  EXPECT_THAT(s, ::testing::Not(HasSubstr("capability")));
}

TEST_F(NotifyConfigTest, FormatSecretFileAndTimeout) {
  dir_.Write("secret", "s3cret");
  const Config c = WithNotify(
      "  - name: slack\n"
      "    on: [Failed]\n"
      "    webhook:\n"
      "      url: http://127.0.0.1:9000/hook\n"
      "      format: slack\n"
      "      secret_file: secret\n"
      "      timeout: 2s\n");
  ASSERT_EQ(c.notify.size(), 1u);
  EXPECT_EQ(c.notify[0].webhook->format, NotifyFormat::kSlack);
  EXPECT_EQ(c.notify[0].webhook->secret_file, dir_.File("secret"));  // resolved
  EXPECT_EQ(c.notify[0].webhook->timeout, 2s);
}

TEST_F(NotifyConfigTest, SecretDefaultsToTheCredentialsDirectoryWhenThere) {
  const std::string yaml =
      "  - name: ops\n"
      "    on: [any]\n"
      "    webhook: {url: \"https://h.example.invalid/x\"}\n";
  ::setenv("CREDENTIALS_DIRECTORY", dir_.path().c_str(), 1);
  EXPECT_EQ(WithNotify(yaml).notify[0].webhook->secret_file, "");  // not there: unsigned
  dir_.Write("ops-secret", "k");
  EXPECT_EQ(WithNotify(yaml).notify[0].webhook->secret_file, dir_.File("ops-secret"));
  ::unsetenv("CREDENTIALS_DIRECTORY");
}

TEST_F(NotifyConfigTest, NoOrTwoKindsOfTarget) {
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n"),
            "config.yaml:6:5: notify[0]: needs a target: webhook (a map with url) or exec (an "
            "argv list)");
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    exec: [" + hook_ +
                            "]\n    webhook: {url: \"https://h.example.invalid\"}\n"),
            "config.yaml:6:5: notify[0]: has both webhook and exec: give exactly one kind of "
            "target");
}

TEST_F(NotifyConfigTest, UnknownFormat) {
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    webhook:\n"
                            "      url: https://h.example.invalid\n      format: xml\n"),
            "config.yaml:10:15: notify[0].webhook.format: \"xml\" is not one of json, slack or "
            "teams");
}

TEST_F(NotifyConfigTest, HttpOnlyToLoopback) {
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    webhook:\n"
                            "      url: http://hooks.example.invalid/x\n"),
            "config.yaml:9:12: notify[0].webhook.url: http:// is only allowed to a loopback host "
            "(127.0.0.0/8, ::1, localhost); use https://");
  EXPECT_THAT(ErrorWithNotify("  - name: a\n    on: [any]\n    webhook:\n"
                              "      url: ftp://h.example.invalid/x\n"),
              HasSubstr("config.yaml:9:12: notify[0].webhook.url:"));
  WithNotify("  - name: a\n    on: [any]\n    webhook:\n      url: http://[::1]:8080/x\n");
}

TEST_F(NotifyConfigTest, ExecMustBeAnAbsoluteExecutableFile) {
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    exec: [hook.sh]\n"),
            "config.yaml:8:11: notify[0].exec: \"hook.sh\" is not an absolute path (no shell, no "
            "$PATH search)");
  const std::string plain = dir_.Write("plain.txt", "x");
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    exec: [" + plain + "]\n"),
            "config.yaml:8:11: notify[0].exec: \"plain.txt\" is not an executable file");
  EXPECT_THAT(ErrorWithNotify("  - name: a\n    on: [any]\n    exec: [" + dir_.path() + "]\n"),
              HasSubstr("is not an executable file"));
  EXPECT_THAT(ErrorWithNotify("  - name: a\n    on: [any]\n    exec: []\n"),
              HasSubstr("config.yaml:8:11: notify[0].exec: expected a non-empty list"));
}

TEST_F(NotifyConfigTest, UnreadableSecretFile) {
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    webhook:\n"
                            "      url: https://h.example.invalid\n"
                            "      secret_file: /nonexistent/secret\n"),
            "config.yaml:10:20: notify[0].webhook.secret_file: \"/nonexistent/secret\": cannot "
            "read it: No such file or directory");
}

TEST_F(NotifyConfigTest, BadAndDuplicateNames) {
  EXPECT_EQ(ErrorWithNotify("  - name: Ops_Channel\n    on: [any]\n    exec: [" + hook_ + "]\n"),
            "config.yaml:6:11: notify[0].name: \"Ops_Channel\": illegal character \"O\" at "
            "position 1 (allowed: a-z, 0-9 and \"-\")");
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: [any]\n    exec: [" + hook_ +
                            "]\n  - name: a\n    on: [any]\n    exec: [" + hook_ + "]\n"),
            "config.yaml:9:11: notify[1].name: target \"a\" is defined twice: at "
            "config.yaml:6 and at config.yaml:9");
  EXPECT_THAT(ErrorWithNotify("  - on: [any]\n    exec: [" + hook_ + "]\n"),
              HasSubstr("notify[0].name: required key is missing"));
}

TEST_F(NotifyConfigTest, EmptyOrMissingOn) {
  EXPECT_EQ(ErrorWithNotify("  - name: a\n    on: []\n    exec: [" + hook_ + "]\n"),
            "config.yaml:7:9: notify[0].on: expected a non-empty list, found an empty list");
  EXPECT_THAT(ErrorWithNotify("  - name: a\n    exec: [" + hook_ + "]\n"),
              HasSubstr("config.yaml:6:5: notify[0].on: required key is missing"));
  EXPECT_THAT(ErrorWithNotify("  - name: a\n    on: [any, Failed]\n    exec: [" + hook_ + "]\n"),
              HasSubstr("list it alone"));
}

TEST_F(NotifyConfigTest, MisplacedTimeoutAndUnknownKeys) {
  EXPECT_THAT(ErrorWithNotify("  - name: a\n    on: [any]\n    timeout: 5s\n"
                              "    webhook: {url: \"https://h.example.invalid\"}\n"),
              HasSubstr("notify[0].timeout: a webhook's timeout goes under webhook:"));
  EXPECT_THAT(
      ErrorWithNotify("  - name: a\n    on: [any]\n    exec: [" + hook_ + "]\n    shell: true\n"),
      HasSubstr("notify[0].shell: unknown key"));
  EXPECT_THAT(Error(std::string(kMinimal) + "notify: {}\n"),
              HasSubstr("notify: expected a list of targets"));
  EXPECT_THAT(Error(std::string(kMinimal) + "notify_retry_for: forever\n"),
              HasSubstr("notify_retry_for:"));
}

}  // namespace
}  // namespace adu::config
