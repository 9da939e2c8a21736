// LoadConfig: the schema, each validation rule, defaults, the examples shipped with the project.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "test_util.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigFixture;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::kMinimal;
using ::testing::Not;
using ::testing::StartsWith;

class LoadConfigTest : public ConfigFixture {};

TEST_F(LoadConfigTest, MinimalConfigGetsEveryDefault) {
  const Config c = Ok(kMinimal);
  const Config d;
  EXPECT_EQ(c.path, dir_.File("config.yaml"));
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(c.instance_id, "blue");
  EXPECT_EQ(c.api_version, "2022-10-01");
  EXPECT_EQ(c.auth.method, AuthMethod::kNone);
  EXPECT_EQ(c.auth.tenant_id, "");
  EXPECT_EQ(c.auth.client_id, "");
  EXPECT_EQ(c.auth.client_secret_file, "");
  EXPECT_EQ(c.auth.authority_host, "https://login.microsoftonline.com");
  EXPECT_EQ(c.auth.token_file, "");
  EXPECT_EQ(c.auth.identity_endpoint, "http://169.254.169.254/metadata/identity/oauth2/token");
  EXPECT_EQ(c.poll.interval, 30s);
  EXPECT_EQ(c.poll.request_timeout, 10s);
  EXPECT_EQ(c.poll.backoff_max, 5min);
  EXPECT_EQ(c.poll.max_concurrency, 4);
  EXPECT_EQ(c.poll.requests_per_minute, 510);
  EXPECT_EQ(c.poll.list_requests_per_minute, 50);
  EXPECT_TRUE(c.poll.stop_on_terminal);
  EXPECT_EQ(c.poll.use_list, UseList::kAuto);
  EXPECT_FALSE(c.storage.retention.has_value());
  EXPECT_EQ(c.storage.max_errors_per_operation, 1000);
  EXPECT_EQ(c.database, "/var/lib/adu-opwatch/operations.db");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.watch_file.has_value());
  EXPECT_TRUE(c.watch.empty());
  // The struct defaults and the loader agree.
  EXPECT_EQ(c.poll.interval, d.poll.interval);
  EXPECT_EQ(c.database, d.database);
}

TEST_F(LoadConfigTest, TheContractExampleLoadsWithEveryValue) {
  const Config c = Ok(R"(endpoint: https://contoso.api.adu.microsoft.com
instance_id: blue
api_version: "2022-10-01"
auth:
  method: client_secret
  tenant_id: 00000000-0000-0000-0000-000000000000
  client_id: 11111111-0000-0000-0000-000000000000
  client_secret_file: /etc/adu-opwatch/client-secret
  authority_host: https://login.microsoftonline.us
  token_file: /run/adu-opwatch/token
  identity_endpoint: http://169.254.169.254/metadata/identity/oauth2/token
poll:
  interval: 45s
  request_timeout: 7s
  backoff_max: 10m
  max_concurrency: 8
  requests_per_minute: 300
  list_requests_per_minute: 20
  stop_on_terminal: false
  use_list: always
storage:
  retention: 90d
  max_errors_per_operation: 50
database: /tmp/ops.db
log_level: debug
watch:
  - 8f1d2c3e-0000-4000-8000-000000000001
  - id: 1b2c3d4e-0000-4000-8000-000000000002
    kind: update
    interval: 10s
)");
  EXPECT_EQ(c.endpoint, "https://contoso.api.adu.microsoft.com");
  EXPECT_EQ(c.api_version, "2022-10-01");
  EXPECT_EQ(c.auth.method, AuthMethod::kClientSecret);
  EXPECT_EQ(c.auth.tenant_id, "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(c.auth.client_id, "11111111-0000-0000-0000-000000000000");
  EXPECT_EQ(c.auth.client_secret_file, "/etc/adu-opwatch/client-secret");
  EXPECT_EQ(c.auth.authority_host, "https://login.microsoftonline.us");
  EXPECT_EQ(c.auth.token_file, "/run/adu-opwatch/token");
  EXPECT_EQ(c.poll.interval, 45s);
  EXPECT_EQ(c.poll.request_timeout, 7s);
  EXPECT_EQ(c.poll.backoff_max, 10min);
  EXPECT_EQ(c.poll.max_concurrency, 8);
  EXPECT_EQ(c.poll.requests_per_minute, 300);
  EXPECT_EQ(c.poll.list_requests_per_minute, 20);
  EXPECT_FALSE(c.poll.stop_on_terminal);
  EXPECT_EQ(c.poll.use_list, UseList::kAlways);
  EXPECT_EQ(c.storage.retention, std::chrono::hours(24 * 90));
  EXPECT_EQ(c.storage.max_errors_per_operation, 50);
  EXPECT_EQ(c.database, "/tmp/ops.db");
  EXPECT_EQ(c.log_level, "debug");
  ASSERT_EQ(c.watch.size(), 2u);
  EXPECT_EQ(c.watch[0].key.kind, OperationKind::kDevice);
  EXPECT_EQ(c.watch[0].key.id, "8f1d2c3e-0000-4000-8000-000000000001");
  EXPECT_FALSE(c.watch[0].interval.has_value());
  EXPECT_EQ(c.watch[0].origin, dir_.File("config.yaml") + ":27");
  EXPECT_EQ(c.watch[1].key.kind, OperationKind::kUpdate);
  EXPECT_EQ(c.watch[1].interval, 10s);
  EXPECT_EQ(c.watch[1].origin, dir_.File("config.yaml") + ":28");
}

// ---- The error format --------------------------------------------------------------------

TEST_F(LoadConfigTest, ErrorIsOneLineWithFileLineColumnAndKeyPath) {
  const std::string e = Error(std::string(kMinimal) +
                              "poll:\n"
                              "  max_concurrency: 4\n"
                              "  interval: soon\n");
  EXPECT_EQ(e,
            "config.yaml:7:13: poll.interval: \"soon\" is not a duration (examples: 500ms, "
            "30s, 5m)");
  EXPECT_THAT(e, Not(HasSubstr("\n")));
}

TEST_F(LoadConfigTest, ErrorsAreReportedInDocumentOrder) {
  // Two mistakes: the one higher up in the file is the one reported.
  EXPECT_THAT(Error("endpoint: http://127.0.0.1:8080\n"
                    "instance_id: blue\n"
                    "log_level: loud\n"
                    "auth:\n"
                    "  method: nope\n"),
              StartsWith("config.yaml:3:12: log_level:"));
}

TEST_F(LoadConfigTest, ValuesWithNewlinesStayOnOneLine) {
  EXPECT_EQ(Error(std::string(kMinimal) + "log_level: \"a\\nb\"\n"),
            "config.yaml:5:12: log_level: \"a\\x0ab\" is not one of trace, debug, info, warn or "
            "error");
}

TEST_F(LoadConfigTest, YamlSyntaxErrorKeepsYamlCppPosition) {
  EXPECT_EQ(Error("endpoint: [1\ninstance_id: blue\n"),
            "config.yaml:2:12: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(Error("endpoint: a: b\n"), "config.yaml:1:12: YAML syntax error: illegal map value");
}

TEST_F(LoadConfigTest, EmptyConfigurationIsAnError) {
  EXPECT_THAT(Error(""), StartsWith("config.yaml:1:1: empty configuration"));
  EXPECT_THAT(Error("# nothing but a comment\n\n"),
              StartsWith("config.yaml:1:1: empty configuration"));
  EXPECT_THAT(Error("---\n"), StartsWith("config.yaml:1:1: empty configuration"));
}

TEST_F(LoadConfigTest, TopLevelMustBeOneMap) {
  EXPECT_EQ(Error("- endpoint\n- blue\n"), "config.yaml:1:1: expected a map of keys, found a list");
  EXPECT_EQ(Error("just a string\n"), "config.yaml:1:1: expected a map of keys, found a string");
  EXPECT_THAT(Error(std::string(kMinimal) + "---\nendpoint: x\n"),
              StartsWith("config.yaml:6:1: a second YAML document"));
}

// ---- Unknown and duplicate keys ----------------------------------------------------------

TEST_F(LoadConfigTest, UnknownKeyWithDidYouMean) {
  EXPECT_EQ(Error("endpont: http://127.0.0.1:8080\ninstance_id: blue\nauth:\n  method: none\n"),
            "config.yaml:1:1: endpont: unknown key; did you mean endpoint?");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  intervall: 5s\n"),
            "config.yaml:6:3: poll.intervall: unknown key; did you mean poll.interval?");
  EXPECT_EQ(
      Error(std::string(kMinimal) + "poll:\n  max_concurency: 5\n"),
      "config.yaml:6:3: poll.max_concurency: unknown key; did you mean poll.max_concurrency?");
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue\nauth:\n  methd: none\n"),
            "config.yaml:4:3: auth.methd: unknown key; did you mean auth.method?");
  EXPECT_EQ(Error(std::string(kMinimal) + "Log_Level: info\n"),
            "config.yaml:5:1: Log_Level: unknown key; did you mean log_level?");
}

TEST_F(LoadConfigTest, UnknownKeyAtTheWrongLevelPointsToItsSection) {
  EXPECT_EQ(Error(std::string(kMinimal) + "interval: 5s\n"),
            "config.yaml:5:1: interval: unknown key; did you mean poll.interval? (it belongs "
            "under poll:)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  database: /x\n"),
            "config.yaml:6:3: poll.database: unknown key; did you mean database? (it belongs at "
            "the top level)");
  EXPECT_EQ(Error(std::string(kMinimal) + "retention: 90d\n"),
            "config.yaml:5:1: retention: unknown key; did you mean storage.retention? (it belongs "
            "under storage:)");
}

TEST_F(LoadConfigTest, UnknownKeyWithoutACloseMatchListsTheKnownKeys) {
  EXPECT_EQ(Error(std::string(kMinimal) + "storage:\n  zzz: 1\n"),
            "config.yaml:6:3: storage.zzz: unknown key (known keys here: retention or "
            "max_errors_per_operation)");
}

TEST_F(LoadConfigTest, InlineSecretIsRefusedWithoutEchoingIt) {
  const std::string e = Error(
      "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n  method: client_secret\n"
      "  tenant_id: t\n  client_id: c\n  client_secret: hunter2-very-secret\n");
  EXPECT_THAT(e, StartsWith("config.yaml:7:3: auth.client_secret: unknown key: a secret is never "
                            "written in the configuration"));
  EXPECT_THAT(e, HasSubstr("auth.client_secret_file"));
  EXPECT_THAT(e, Not(HasSubstr("hunter2")));
}

TEST_F(LoadConfigTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(Error(std::string(kMinimal) + "log_level: info\nlog_level: debug\n"),
            "config.yaml:6:1: log_level: duplicate key (already set at line 5)");
}

TEST_F(LoadConfigTest, NonScalarKeyIsAnError) {
  EXPECT_EQ(Error(std::string(kMinimal) + "? [a, b]\n: x\n"),
            "config.yaml:5:3: a key must be a plain name, found a list");
}

// ---- Required keys -----------------------------------------------------------------------

TEST_F(LoadConfigTest, MissingEndpoint) {
  EXPECT_EQ(Error("instance_id: blue\nauth:\n  method: none\n"),
            "config.yaml:1:1: endpoint: required key is missing");
}

TEST_F(LoadConfigTest, MissingInstanceId) {
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\nauth:\n  method: none\n"),
            "config.yaml:1:1: instance_id: required key is missing");
}

TEST_F(LoadConfigTest, MissingAuth) {
  EXPECT_THAT(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue\n"),
              StartsWith("config.yaml:1:1: auth: required key is missing (add auth: with a "
                         "method: none, token_file, client_secret or managed_identity)"));
}

TEST_F(LoadConfigTest, MissingAuthMethod) {
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue\nauth:\n"),
            "config.yaml:3:1: auth.method: required key is missing");
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue\nauth:\n  tenant_id: x\n"),
            "config.yaml:4:3: auth.method: required key is missing");
}

TEST_F(LoadConfigTest, ClientSecretNeedsTenantAndClientButNotTheSecretFile) {
  const std::string head = "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n";
  EXPECT_EQ(Error(head + "  method: client_secret\n  client_id: c\n"),
            "config.yaml:4:3: auth.tenant_id: required key is missing (auth.method client_secret "
            "needs it)");
  EXPECT_EQ(Error(head + "  method: client_secret\n  tenant_id: t\n"),
            "config.yaml:4:3: auth.client_id: required key is missing (auth.method client_secret "
            "needs it)");
  const Config c = Ok(head + "  method: client_secret\n  tenant_id: t\n  client_id: c\n");
  EXPECT_EQ(c.auth.client_secret_file, "");  // the daemon falls back to $CREDENTIALS_DIRECTORY
}

TEST_F(LoadConfigTest, TokenFileNeedsTokenFile) {
  const std::string head = "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n";
  EXPECT_EQ(Error(head + "  method: token_file\n"),
            "config.yaml:4:3: auth.token_file: required key is missing (auth.method token_file "
            "needs it)");
  EXPECT_EQ(Ok(head + "  method: token_file\n  token_file: /run/token\n").auth.token_file,
            "/run/token");
}

TEST_F(LoadConfigTest, ManagedIdentityClientIdIsOptional) {
  const std::string head = "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n";
  EXPECT_EQ(Ok(head + "  method: managed_identity\n").auth.method, AuthMethod::kManagedIdentity);
  EXPECT_EQ(Ok(head + "  method: managed_identity\n  client_id: abc\n").auth.client_id, "abc");
}

TEST_F(LoadConfigTest, UnknownAuthMethod) {
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue\nauth:\n  method: "
                  "client-secret\n"),
            "config.yaml:4:11: auth.method: \"client-secret\" is not one of none, token_file, "
            "client_secret or managed_identity; did you mean client_secret?");
}

// ---- Types -------------------------------------------------------------------------------

TEST_F(LoadConfigTest, MapWhereAStringIsExpected) {
  EXPECT_EQ(Error("endpoint:\n  host: x\ninstance_id: blue\nauth:\n  method: none\n"),
            "config.yaml:2:3: endpoint: expected a string, found a map");
}

TEST_F(LoadConfigTest, ListWhereAStringIsExpected) {
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: [a, b]\nauth:\n  method: none\n"),
            "config.yaml:2:14: instance_id: expected a string, found a list");
}

TEST_F(LoadConfigTest, ScalarWhereAMapIsExpected) {
  EXPECT_EQ(Error(std::string(kMinimal) + "poll: 5s\n"),
            "config.yaml:5:7: poll: expected a map of keys, found a string");
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue\nauth: none\n"),
            "config.yaml:3:7: auth: expected a map of keys, found a string");
}

TEST_F(LoadConfigTest, KeyWithoutAValue) {
  EXPECT_EQ(Error("endpoint:\ninstance_id: blue\nauth:\n  method: none\n"),
            "config.yaml:1:1: endpoint: has no value (expected a string)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  interval: ~\n"),
            "config.yaml:6:3: poll.interval: has no value (expected a duration such as 30s)");
}

TEST_F(LoadConfigTest, NotAnInteger) {
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  max_concurrency: abc\n"),
            "config.yaml:6:20: poll.max_concurrency: \"abc\" is not an integer");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  max_concurrency: 4.5\n"),
            "config.yaml:6:20: poll.max_concurrency: \"4.5\" is not an integer");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  max_concurrency: [4]\n"),
            "config.yaml:6:20: poll.max_concurrency: expected an integer, found a list");
}

TEST_F(LoadConfigTest, NotABoolean) {
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  stop_on_terminal: maybe\n"),
            "config.yaml:6:21: poll.stop_on_terminal: \"maybe\" is not a boolean (use true or "
            "false)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  stop_on_terminal: 1\n"),
            "config.yaml:6:21: poll.stop_on_terminal: \"1\" is not a boolean (use true or false)");
  EXPECT_FALSE(Ok(std::string(kMinimal) + "poll:\n  stop_on_terminal: no\n").poll.stop_on_terminal);
  EXPECT_TRUE(
      Ok(std::string(kMinimal) + "poll:\n  stop_on_terminal: True\n").poll.stop_on_terminal);
}

// ---- Integer ranges ----------------------------------------------------------------------

TEST_F(LoadConfigTest, MaxConcurrencyRange) {
  const std::string poll = std::string(kMinimal) + "poll:\n  max_concurrency: ";
  EXPECT_EQ(Error(poll + "0\n"),
            "config.yaml:6:20: poll.max_concurrency: must be between 1 and 256 (got 0)");
  EXPECT_EQ(Error(poll + "257\n"),
            "config.yaml:6:20: poll.max_concurrency: must be between 1 and 256 (got 257)");
  EXPECT_EQ(Error(poll + "-3\n"),
            "config.yaml:6:20: poll.max_concurrency: must be between 1 and 256 (got -3)");
  EXPECT_EQ(Ok(poll + "1\n").poll.max_concurrency, 1);
  EXPECT_EQ(Ok(poll + "256\n").poll.max_concurrency, 256);
}

TEST_F(LoadConfigTest, RequestBudgetsMustBePositive) {
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  requests_per_minute: 0\n"),
            "config.yaml:6:24: poll.requests_per_minute: must be at least 1 (got 0)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  list_requests_per_minute: 0\n"),
            "config.yaml:6:29: poll.list_requests_per_minute: must be at least 1 (got 0)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  requests_per_minute: 99999999999999999999\n"),
            "config.yaml:6:24: poll.requests_per_minute: must be at least 1 (got "
            "99999999999999999999)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  requests_per_minute: 2147483648\n"),
            "config.yaml:6:24: poll.requests_per_minute: must be at least 1 (got 2147483648)");
}

// ---- Durations in the file ---------------------------------------------------------------

TEST_F(LoadConfigTest, DurationKeysAndTheirBounds) {
  const Config c = Ok(std::string(kMinimal) +
                      "poll:\n  interval: 1m30s\n  request_timeout: 1500ms\n  backoff_max: 1h\n");
  EXPECT_EQ(c.poll.interval, 90s);
  EXPECT_EQ(c.poll.request_timeout, 1500ms);
  EXPECT_EQ(c.poll.backoff_max, 1h);
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  interval: 10ms\n"),
            "config.yaml:6:13: poll.interval: 10ms is too short (at least 100ms)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  request_timeout: 1h\n"),
            "config.yaml:6:20: poll.request_timeout: 1h is too long (at most 10m)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  backoff_max: 30\n"),
            "config.yaml:6:16: poll.backoff_max: \"30\" is not a duration: the unit is missing "
            "(ms, s, m, h or d) (examples: 500ms, 30s, 5m)");
  EXPECT_EQ(Error(std::string(kMinimal) + "poll:\n  interval: -5s\n"),
            "config.yaml:6:13: poll.interval: \"-5s\" is not a duration: it is negative");
}

// ---- Enumerations and strings ------------------------------------------------------------

TEST_F(LoadConfigTest, UseList) {
  const std::string poll = std::string(kMinimal) + "poll:\n  use_list: ";
  EXPECT_EQ(Ok(poll + "auto\n").poll.use_list, UseList::kAuto);
  EXPECT_EQ(Ok(poll + "always\n").poll.use_list, UseList::kAlways);
  EXPECT_EQ(Ok(poll + "never\n").poll.use_list, UseList::kNever);
  EXPECT_EQ(Error(poll + "true\n"),
            "config.yaml:6:13: poll.use_list: \"true\" is not one of auto, always or never");
}

TEST_F(LoadConfigTest, LogLevel) {
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_EQ(Ok(std::string(kMinimal) + "log_level: " + level + "\n").log_level, level);
  }
  EXPECT_EQ(Error(std::string(kMinimal) + "log_level: warning\n"),
            "config.yaml:5:12: log_level: \"warning\" is not one of trace, debug, info, warn or "
            "error; did you mean warn?");
}

TEST_F(LoadConfigTest, ApiVersion) {
  EXPECT_EQ(Ok(std::string(kMinimal) + "api_version: 2026-06-01\n").api_version, "2026-06-01");
  EXPECT_EQ(Error(std::string(kMinimal) + "api_version: \"\"\n"),
            "config.yaml:5:14: api_version: must not be empty");
  EXPECT_THAT(Error(std::string(kMinimal) + "api_version: 2022-10-01&x=1\n"),
              StartsWith("config.yaml:5:14: api_version: \"2022-10-01&x=1\" is not a valid API "
                         "version: illegal character \"&\" at position 11"));
}

TEST_F(LoadConfigTest, Database) {
  EXPECT_EQ(Ok(std::string(kMinimal) + "database: /srv/ops.db\n").database, "/srv/ops.db");
  EXPECT_EQ(Error(std::string(kMinimal) + "database: ''\n"),
            "config.yaml:5:11: database: must not be empty");
  // Relative to the configuration file, not to the daemon's working directory.
  EXPECT_EQ(Ok(std::string(kMinimal) + "database: data/ops.db\n").database,
            dir_.File("data/ops.db"));
}

TEST_F(LoadConfigTest, InstanceIdMustBeAnIdentifier) {
  EXPECT_EQ(Error("endpoint: http://127.0.0.1:8080\ninstance_id: blue/../x\nauth:\n  method: "
                  "none\n"),
            "config.yaml:2:14: instance_id: \"blue/../x\" is not a valid instance name: illegal "
            "character \"/\" at position 5 (allowed: letters, digits, \".\", \"_\", \"-\")");
}

TEST_F(LoadConfigTest, TenantAndClientIdsMustBeIdentifiers) {
  const std::string head =
      "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n"
      "  method: client_secret\n";
  EXPECT_THAT(Error(head + "  tenant_id: a/b\n  client_id: c\n"),
              StartsWith("config.yaml:5:14: auth.tenant_id: \"a/b\" is not a valid tenant ID: "
                         "illegal character \"/\""));
  EXPECT_THAT(Error(head + "  tenant_id: t\n  client_id: \"c?x\"\n"),
              StartsWith("config.yaml:6:14: auth.client_id: \"c?x\" is not a valid client ID"));
}

// ---- Endpoint and the other URLs ---------------------------------------------------------

std::string WithEndpoint(const std::string& endpoint) {
  return "endpoint: " + endpoint + "\ninstance_id: blue\nauth:\n  method: none\n";
}

TEST_F(LoadConfigTest, EndpointBareHostMeansHttps) {
  EXPECT_EQ(Ok(WithEndpoint("contoso.api.adu.microsoft.com")).endpoint,
            "https://contoso.api.adu.microsoft.com");
}

TEST_F(LoadConfigTest, EndpointIsNormalised) {
  EXPECT_EQ(Ok(WithEndpoint("HTTPS://Contoso.Example/")).endpoint, "https://contoso.example");
  EXPECT_EQ(Ok(WithEndpoint("http://[::1]:8080")).endpoint, "http://[::1]:8080");
  EXPECT_EQ(Ok(WithEndpoint("http://localhost:8080/")).endpoint, "http://localhost:8080");
}

TEST_F(LoadConfigTest, EndpointHttpOnlyToLoopback) {
  EXPECT_EQ(Error(WithEndpoint("http://contoso.example")),
            "config.yaml:1:11: endpoint: \"http://contoso.example\": http:// is only allowed to a "
            "loopback host (127.0.0.0/8, ::1, localhost); use https://");
  EXPECT_EQ(Ok(WithEndpoint("http://127.0.0.2:9000")).endpoint, "http://127.0.0.2:9000");
}

TEST_F(LoadConfigTest, EndpointRefusesPathQueryUserInfoAndOtherSchemes) {
  EXPECT_EQ(Error(WithEndpoint("https://contoso.example/deviceupdate/blue")),
            "config.yaml:1:11: endpoint: \"https://contoso.example/deviceupdate/blue\" has a "
            "path: give only scheme://host[:port]");
  EXPECT_EQ(Error(WithEndpoint("\"https://contoso.example?api-version=1\"")),
            "config.yaml:1:11: endpoint: \"https://contoso.example?api-version=1\" has a query "
            "(?...): not allowed");
  EXPECT_EQ(Error(WithEndpoint("https://me@contoso.example")),
            "config.yaml:1:11: endpoint: \"https://me@contoso.example\" contains user info "
            "(user@): not allowed");
  EXPECT_THAT(Error(WithEndpoint("\"https://contoso.example#x\"")), HasSubstr("has a fragment"));
  EXPECT_THAT(Error(WithEndpoint("wss://contoso.example")),
              HasSubstr("uses the scheme \"wss\": only https://"));
}

TEST_F(LoadConfigTest, AuthorityHostFollowsTheEndpointRules) {
  const std::string head =
      "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n"
      "  method: client_secret\n  tenant_id: t\n  client_id: c\n";
  EXPECT_EQ(Ok(head + "  authority_host: login.microsoftonline.us\n").auth.authority_host,
            "https://login.microsoftonline.us");
  EXPECT_EQ(Ok(head + "  authority_host: http://127.0.0.1:9999/\n").auth.authority_host,
            "http://127.0.0.1:9999");
  EXPECT_THAT(Error(head + "  authority_host: http://login.example\n"),
              StartsWith("config.yaml:7:19: auth.authority_host: \"http://login.example\": "
                         "http:// is only allowed to a loopback host"));
  EXPECT_THAT(Error(head + "  authority_host: https://login.example/tenant\n"),
              HasSubstr("has a path"));
}

TEST_F(LoadConfigTest, IdentityEndpoint) {
  const std::string head =
      "endpoint: https://contoso.example\ninstance_id: blue\nauth:\n"
      "  method: managed_identity\n";
  EXPECT_EQ(Ok(head + "  identity_endpoint: http://127.0.0.1:40342/metadata/identity/oauth2/"
                      "token\n")
                .auth.identity_endpoint,
            "http://127.0.0.1:40342/metadata/identity/oauth2/token");
  EXPECT_EQ(Ok(head + "  identity_endpoint: http://169.254.169.254/metadata/identity/oauth2/"
                      "token\n")
                .auth.identity_endpoint,
            "http://169.254.169.254/metadata/identity/oauth2/token");
  EXPECT_THAT(Error(head + "  identity_endpoint: http://10.1.2.3/token\n"),
              StartsWith("config.yaml:5:22: auth.identity_endpoint: \"http://10.1.2.3/token\": "
                         "http:// is only allowed to a loopback host or to the instance metadata "
                         "service"));
}

// ---- Placeholders of the shipped example -------------------------------------------------

TEST_F(LoadConfigTest, PlaceholderEndpointAsksToFillItIn) {
  EXPECT_EQ(Error(WithEndpoint("https://REPLACE-ME.api.adu.microsoft.com")),
            "config.yaml:1:11: endpoint: fill in your Device Update account endpoint (see "
            "/usr/share/doc/adu-opwatch/configuration.md)");
}

TEST_F(LoadConfigTest, PlaceholderInstanceAsksToFillItIn) {
  EXPECT_EQ(Error("endpoint: https://contoso.example\ninstance_id: REPLACE-ME\nauth:\n  method: "
                  "none\n"),
            "config.yaml:2:14: instance_id: fill in your Device Update instance name (see "
            "/usr/share/doc/adu-opwatch/configuration.md)");
}

// ---- storage -----------------------------------------------------------------------------

TEST_F(LoadConfigTest, StorageRetention) {
  EXPECT_EQ(Ok(std::string(kMinimal) + "storage:\n  retention: 90d\n").storage.retention,
            std::chrono::hours(24 * 90));
  EXPECT_FALSE(
      Ok(std::string(kMinimal) + "storage:\n  retention: forever\n").storage.retention.has_value());
  EXPECT_FALSE(Ok(std::string(kMinimal) + "storage:\n").storage.retention.has_value());
  EXPECT_EQ(Error(std::string(kMinimal) + "storage:\n  retention: never\n"),
            "config.yaml:6:14: storage.retention: \"never\" is not a duration (examples: 500ms, "
            "30s, 5m)");
  EXPECT_EQ(Error(std::string(kMinimal) + "storage:\n  retention: 0s\n"),
            "config.yaml:6:14: storage.retention: 0s is too short (at least 1s)");
}

TEST_F(LoadConfigTest, StorageMaxErrorsPerOperation) {
  EXPECT_EQ(Ok(std::string(kMinimal) + "storage:\n  max_errors_per_operation: 5\n")
                .storage.max_errors_per_operation,
            5);
  EXPECT_EQ(Error(std::string(kMinimal) + "storage:\n  max_errors_per_operation: 0\n"),
            "config.yaml:6:29: storage.max_errors_per_operation: must be at least 1 (got 0)");
}

// ---- Summary -----------------------------------------------------------------------------

TEST_F(LoadConfigTest, SummaryShowsTheEssentials) {
  dir_.Write("client-secret", "hunter2-very-secret\n");
  const Config c =
      Ok("endpoint: https://contoso.example\ninstance_id: blue\nauth:\n  method: client_secret\n"
         "  tenant_id: tenant-1\n  client_id: client-1\n  client_secret_file: client-secret\n"
         "database: /srv/ops.db\nwatch:\n  - op-1\n  - id: op-2\n    kind: update\n");
  const std::string s = Summary(c);
  EXPECT_THAT(s, HasSubstr("https://contoso.example"));
  EXPECT_THAT(s, HasSubstr("instance       blue"));
  EXPECT_THAT(s, HasSubstr("api-version    2022-10-01"));
  EXPECT_THAT(s, HasSubstr("auth           client_secret (tenant tenant-1, client client-1"));
  EXPECT_THAT(s, HasSubstr("secret from " + dir_.File("client-secret")));
  EXPECT_THAT(s, HasSubstr("watching       2 operations (1 device, 1 update)\n"));
  EXPECT_THAT(s, HasSubstr("database       /srv/ops.db"));
  EXPECT_THAT(s, HasSubstr("interval       30s per operation"));
  EXPECT_THAT(s, HasSubstr("510 requests/minute"));
  EXPECT_THAT(s, Not(HasSubstr("hunter2")));
  EXPECT_THAT(s, EndsWith("\n"));
}

TEST_F(LoadConfigTest, SummaryCountsPerOperationIntervals) {
  const std::string head = std::string(kMinimal) + "watch:\n  - id: a\n    interval: 5s\n";
  EXPECT_THAT(Summary(Ok(head)), HasSubstr("1 operation (1 device, 0 update), 1 with its own "
                                           "interval\n"));
  EXPECT_THAT(Summary(Ok(head + "  - id: b\n    interval: 6s\n")),
              HasSubstr("2 with their own interval\n"));
}

TEST_F(LoadConfigTest, SummarySaysWhenTheWatchListIsEmpty) {
  EXPECT_THAT(Summary(Ok(kMinimal)),
              HasSubstr("empty watch list: the daemon idles until the watch file lists something"));
}

TEST_F(LoadConfigTest, SummaryNamesTheCredentialFallback) {
  const Config c =
      Ok("endpoint: https://contoso.example\ninstance_id: blue\nauth:\n"
         "  method: client_secret\n  tenant_id: t\n  client_id: c\n");
  EXPECT_THAT(Summary(c), HasSubstr("secret from $CREDENTIALS_DIRECTORY/client-secret"));
}

TEST(Names, AuthMethodAndUseList) {
  EXPECT_EQ(AuthMethodName(AuthMethod::kNone), "none");
  EXPECT_EQ(AuthMethodName(AuthMethod::kTokenFile), "token_file");
  EXPECT_EQ(AuthMethodName(AuthMethod::kClientSecret), "client_secret");
  EXPECT_EQ(AuthMethodName(AuthMethod::kManagedIdentity), "managed_identity");
  EXPECT_EQ(UseListName(UseList::kAuto), "auto");
  EXPECT_EQ(UseListName(UseList::kAlways), "always");
  EXPECT_EQ(UseListName(UseList::kNever), "never");
}

// ---- The examples that ship with the project ---------------------------------------------

TEST(ShippedExamples, PackagingConfigAsksToFillInTheEndpoint) {
  const std::string path = std::string(ADU_SOURCE_DIR) + "/packaging/config.yaml";
  auto r = LoadConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), StartsWith(path + ":"));
  EXPECT_THAT(r.error(), EndsWith(": endpoint: fill in your Device Update account endpoint (see "
                                  "/usr/share/doc/adu-opwatch/configuration.md)"));
}

TEST(ShippedExamples, PackagingConfigLoadsOnceFilledIn) {
  // Every key in the template is valid: replacing the placeholders is all an administrator does.
  std::ifstream in(std::string(ADU_SOURCE_DIR) + "/packaging/config.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  ASSERT_NE(yaml.find("REPLACE-ME"), std::string::npos);
  for (size_t at; (at = yaml.find("REPLACE-ME")) != std::string::npos;) {
    yaml.replace(at, 10, "contoso");
  }
  testing::TempDir dir;
  auto r = LoadConfig(dir.Write("config.yaml", yaml));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->endpoint, "https://contoso.api.adu.microsoft.com");
  EXPECT_EQ(r->instance_id, "contoso");
  EXPECT_EQ(r->auth.method, AuthMethod::kClientSecret);
  EXPECT_TRUE(r->watch.empty());
  // Discovery is on for both kinds, with the contract's defaults.
  EXPECT_EQ(r->discover.kinds,
            (std::vector<OperationKind>{OperationKind::kDevice, OperationKind::kUpdate}));
  EXPECT_EQ(r->discover.interval, 1min);
  EXPECT_EQ(r->discover.resync, std::optional<Duration>(1h));
  EXPECT_EQ(r->discover.max_age, std::chrono::hours(24 * 7));
}

TEST(ShippedExamples, PackagingConfigAsksForTheInstanceOnceTheEndpointIsSet) {
  std::ifstream in(std::string(ADU_SOURCE_DIR) + "/packaging/config.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  yaml.replace(yaml.find("REPLACE-ME.api"), 10, "contoso");
  testing::TempDir dir;
  auto r = LoadConfig(dir.Write("config.yaml", yaml));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error(), EndsWith(": instance_id: fill in your Device Update instance name (see "
                                  "/usr/share/doc/adu-opwatch/configuration.md)"));
}

std::string DocText() {
  std::ifstream in(std::string(ADU_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The YAML block that follows `heading` in docs/configuration.md.
std::string DocBlock(const std::string& heading, size_t nth = 0) {
  const std::string doc = DocText();
  size_t at = doc.find(heading);
  for (size_t i = 0; i <= nth && at != std::string::npos; ++i) {
    at = doc.find("```yaml\n", at + 1);
  }
  if (at == std::string::npos) return "";
  at += 8;
  return doc.substr(at, doc.find("```", at) - at);
}

TEST(ShippedExamples, ConfigurationDocExamplesLoad) {
  std::string complete = DocBlock("## A complete example");
  ASSERT_THAT(complete, HasSubstr("watch_file: /etc/adu-opwatch/watch.yaml"));
  testing::TempDir dir;
  dir.Write("watch.yaml", DocBlock("A watch file holds only the list"));
  complete.replace(complete.find("/etc/adu-opwatch/watch.yaml"), 27, "watch.yaml");
  auto r = LoadConfig(dir.Write("config.yaml", complete));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->watch.size(), 5u);
  EXPECT_EQ(r->watch[2].key,
            (OperationKey{OperationKind::kUpdate, "1b2c3d4e-0000-4000-8000-000000000006"}));
  EXPECT_EQ(r->storage.retention, std::chrono::hours(24 * 90));
  EXPECT_EQ(r->discover.kinds,
            (std::vector<OperationKind>{OperationKind::kDevice, OperationKind::kUpdate}));
  // The summary shown at the top of the page is the one check-config prints for it.
  const std::string summary = Summary(*r);
  for (const char* label : {"discover       ", "discover cost  ", "discover gap   "}) {
    const size_t at = summary.find(label);
    ASSERT_NE(at, std::string::npos) << label;
    const std::string line = summary.substr(at, summary.find('\n', at) - at);
    EXPECT_THAT(DocText(), HasSubstr(line + "\n"));
  }

  auto smallest = LoadConfig(dir.Write("small.yaml", DocBlock("The smallest valid file")));
  ASSERT_TRUE(smallest.ok()) << smallest.error();
  EXPECT_EQ(smallest->auth.method, AuthMethod::kManagedIdentity);

  auto watch = LoadConfig(
      dir.Write("w.yaml", std::string(testing::kMinimal) + DocBlock("## The watch list")));
  ASSERT_TRUE(watch.ok()) << watch.error();
  EXPECT_EQ(watch->watch.size(), 3u);

  auto locations = LoadConfig(
      dir.Write("l.yaml",
                "endpoint: https://contoso.api.adu.microsoft.com\ninstance_id: blue\nauth:\n"
                "  method: none\n" +
                    DocBlock("### Operation-Location entries")));
  ASSERT_TRUE(locations.ok()) << locations.error();
  ASSERT_EQ(locations->watch.size(), 4u);
  EXPECT_EQ(locations->watch[0].key.kind, OperationKind::kDevice);
  EXPECT_EQ(locations->watch[1].key.kind, OperationKind::kUpdate);
  EXPECT_EQ(locations->watch[2].key.id, "1b2c3d4e-0000-4000-8000-000000000009");
  EXPECT_EQ(locations->watch[3].interval, 10s);

  testing::TempDir discover_dir;
  auto discover = LoadConfig(
      discover_dir.Write("d.yaml", std::string(testing::kMinimal) + DocBlock("### `discover`")));
  ASSERT_TRUE(discover.ok()) << discover.error();
  EXPECT_EQ(discover->discover.kinds.size(), 2u);
}

TEST(ShippedExamples, DocsExampleLoads) {
  const std::string path = std::string(ADU_SOURCE_DIR) + "/docs/examples/config.yaml";
  auto r = LoadConfig(path);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(r->auth.method, AuthMethod::kNone);
  EXPECT_FALSE(r->watch.empty());
  EXPECT_EQ(r->discover.kinds,
            (std::vector<OperationKind>{OperationKind::kDevice, OperationKind::kUpdate}));
  EXPECT_THAT(Summary(*r), HasSubstr("discover       device and update lists"));
}

TEST_F(LoadConfigTest, HttpTransportDefaultsToCpprestAndAcceptsCurl) {
  EXPECT_EQ(Ok(kMinimal).http.transport, HttpTransport::kCpprest);
  EXPECT_EQ(Ok(std::string(kMinimal) + "http:\n  transport: curl\n").http.transport,
            HttpTransport::kCurl);
  EXPECT_EQ(Ok(std::string(kMinimal) + "http:\n  transport: cpprest\n").http.transport,
            HttpTransport::kCpprest);
  EXPECT_THAT(Error(std::string(kMinimal) + "http:\n  transport: wget\n"),
              HasSubstr("http.transport"));
  EXPECT_THAT(Error(std::string(kMinimal) + "transport: curl\n"),
              HasSubstr("did you mean http.transport?"));
  EXPECT_EQ(HttpTransportName(HttpTransport::kCurl), "curl");
}

}  // namespace
}  // namespace adu::config
