// Watch entries written as the Operation-Location (or Location) value the service returned.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigFixture;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kHead =
    "endpoint: https://contoso.api.adu.microsoft.com\n"
    "instance_id: blue\n"
    "auth:\n"
    "  method: none\n";
constexpr const char* kHost = "https://contoso.api.adu.microsoft.com";
constexpr const char* kId = "8f1d2c3e-0000-4000-8000-000000000001";

const WatchListTarget kTarget{"https://contoso.api.adu.microsoft.com", "blue"};

std::string DeviceLocation(const std::string& instance = "blue") {
  return "/deviceUpdate/" + instance + "/management/operations/" + kId;
}
std::string UpdateLocation(const std::string& instance = "blue") {
  return "/deviceUpdate/" + instance + "/updates/operations/" + kId;
}

OperationKey Device(std::string id = kId) { return {OperationKind::kDevice, std::move(id)}; }
OperationKey Update(std::string id = kId) { return {OperationKind::kUpdate, std::move(id)}; }

class OperationLocationTest : public ConfigFixture {
 protected:
  // The watch list `list` follows "watch:\n" at line 5.
  std::vector<WatchEntry> Watch(const std::string& list) {
    return Ok(std::string(kHead) + "watch:\n" + list).watch;
  }
  std::string WatchError(const std::string& list) {
    return Error(std::string(kHead) + "watch:\n" + list);
  }
  static std::string Key(const std::string& text) {
    auto key = ParseOperationLocation(text, kTarget);
    if (!key) return "error: " + key.error();
    return std::string(KindName(key->kind)) + " " + key->id;
  }
};

// ---- The forms the service writes --------------------------------------------------------

TEST_F(OperationLocationTest, AbsoluteWithApiVersion) {
  EXPECT_EQ(ParseOperationLocation(
                std::string(kHost) + DeviceLocation() + "?api-version=2022-10-01", kTarget)
                .value(),
            Device());
  EXPECT_EQ(ParseOperationLocation(
                std::string(kHost) + UpdateLocation() + "?api-version=2022-10-01", kTarget)
                .value(),
            Update());
}

TEST_F(OperationLocationTest, AbsoluteWithoutApiVersion) {
  EXPECT_EQ(Key(std::string(kHost) + DeviceLocation()), std::string("device ") + kId);
  EXPECT_EQ(Key(std::string(kHost) + UpdateLocation()), std::string("update ") + kId);
}

TEST_F(OperationLocationTest, RelativeWithAndWithoutApiVersion) {
  EXPECT_EQ(Key(DeviceLocation() + "?api-version=2022-10-01"), std::string("device ") + kId);
  EXPECT_EQ(Key(UpdateLocation() + "?api-version=2026-06-01"), std::string("update ") + kId);
  EXPECT_EQ(Key(DeviceLocation()), std::string("device ") + kId);
  EXPECT_EQ(Key(UpdateLocation()), std::string("update ") + kId);
}

TEST_F(OperationLocationTest, OlderPathForms) {
  // The recorded service's legacy form (lower-case prefix, "v2"), and the 2021 preview's.
  EXPECT_EQ(Key("/deviceupdate/blue/v2/updates/operations/op-1"), "update op-1");
  EXPECT_EQ(Key("/deviceupdate/blue/v2/management/operations/op-1"), "device op-1");
  EXPECT_EQ(Key("/deviceupdate/blue/updates/operations/op-1?api-version=2021-06-01-preview"),
            "update op-1");
  EXPECT_EQ(Key(std::string(kHost) + "/deviceupdate/blue/v2/updates/operations/op-1"),
            "update op-1");
}

TEST_F(OperationLocationTest, PrefixHostAndSchemeInAnyCaseDefaultPortSpelledOut) {
  EXPECT_EQ(Key("/DEVICEUPDATE/blue/updates/operations/op-1"), "update op-1");
  EXPECT_EQ(Key("HTTPS://Contoso.API.adu.microsoft.com/deviceUpdate/blue/management/operations/a"),
            "device a");
  EXPECT_EQ(Key("https://contoso.api.adu.microsoft.com:443/deviceUpdate/blue/updates/operations/a"),
            "update a");
}

TEST_F(OperationLocationTest, OnlyATargetWithAPortMatchesThatPort) {
  const WatchListTarget emulator{"http://127.0.0.1:8080", "blue"};
  EXPECT_EQ(ParseOperationLocation("http://127.0.0.1:8080" + DeviceLocation(), emulator).value(),
            Device());
  EXPECT_THAT(ParseOperationLocation("http://127.0.0.1:8081" + DeviceLocation(), emulator).error(),
              HasSubstr("is on http://127.0.0.1:8081, not on the endpoint http://127.0.0.1:8080"));
  EXPECT_THAT(ParseOperationLocation("http://127.0.0.1" + DeviceLocation(), emulator).error(),
              HasSubstr("is on http://127.0.0.1, not on the endpoint http://127.0.0.1:8080"));
}

TEST_F(OperationLocationTest, IsOperationLocation) {
  EXPECT_TRUE(IsOperationLocation("/deviceUpdate/blue/updates/operations/a"));
  EXPECT_TRUE(IsOperationLocation("https://h/deviceUpdate"));
  EXPECT_TRUE(IsOperationLocation("ftp://h/x"));
  EXPECT_FALSE(IsOperationLocation(kId));
  // Written as IDs: refused as IDs, as before.
  EXPECT_FALSE(IsOperationLocation("../../admin"));
  EXPECT_FALSE(IsOperationLocation("abc/def"));
}

// ---- Refusals, each naming what is wrong ---------------------------------------------------

TEST_F(OperationLocationTest, AnotherInstanceIsRefused) {
  EXPECT_EQ(Key(DeviceLocation("red")),
            "error: \"/deviceUpdate/red/management/operations/" + std::string(kId) +
                "\" names the instance \"red\", not instance_id \"blue\" (an operation of another "
                "instance cannot be watched here)");
  // Instance names are compared as written: the service's path segment, not a look-alike.
  EXPECT_THAT(Key(UpdateLocation("Blue")), HasSubstr("names the instance \"Blue\""));
  EXPECT_THAT(Key(std::string(kHost) + UpdateLocation("red") + "?api-version=2022-10-01"),
              HasSubstr("names the instance \"red\""));
}

TEST_F(OperationLocationTest, AnotherHostSchemeOrPortIsRefused) {
  EXPECT_EQ(Key("https://fabrikam.api.adu.microsoft.com" + DeviceLocation()),
            "error: \"https://fabrikam.api.adu.microsoft.com" + DeviceLocation() +
                "\" is on https://fabrikam.api.adu.microsoft.com, not on the endpoint "
                "https://contoso.api.adu.microsoft.com (an operation of another account cannot be "
                "watched here)");
  EXPECT_THAT(Key("http://contoso.api.adu.microsoft.com" + DeviceLocation()),
              HasSubstr("is on http://contoso.api.adu.microsoft.com, not on the endpoint"));
  EXPECT_THAT(Key("https://contoso.api.adu.microsoft.com:8443" + DeviceLocation()),
              HasSubstr("is on https://contoso.api.adu.microsoft.com:8443, not on the endpoint"));
}

TEST_F(OperationLocationTest, TheFormIsCheckedBeforeTheHost) {
  // Any URL is not an Operation-Location: the message says what one looks like.
  EXPECT_THAT(Key("http://evil.example/x"),
              HasSubstr("\"http://evil.example/x\" is neither an operation ID nor an "
                        "Operation-Location: expected"));
}

TEST_F(OperationLocationTest, MalformedUrlsAreRefusedWithTheUrlParsersReason) {
  EXPECT_THAT(Key("ftp://contoso.api.adu.microsoft.com" + DeviceLocation()),
              HasSubstr("uses the scheme \"ftp\""));
  EXPECT_THAT(Key("https://user@contoso.api.adu.microsoft.com" + DeviceLocation()),
              StartsWith("error: \"https://user@"));
  EXPECT_EQ(Key(DeviceLocation() + "#frag"), "error: \"" + DeviceLocation() +
                                                 "#frag\" has a fragment (#...): not an "
                                                 "Operation-Location");
}

TEST_F(OperationLocationTest, PathsOfOtherShapesAreRefused) {
  const std::string expected =
      " is neither an operation ID nor an Operation-Location: expected "
      "[https://HOST]/deviceUpdate/INSTANCE/management/operations/ID (a device operation) or "
      "[https://HOST]/deviceUpdate/INSTANCE/updates/operations/ID (an update operation)";
  EXPECT_EQ(Key("/deviceUpdate/blue/updates/op-1"),
            "error: \"/deviceUpdate/blue/updates/op-1\"" + expected);
  for (const char* path : {
           "/deviceUpdate/blue/management/operations/op-1/",             // a trailing slash
           "/deviceUpdate/blue/Management/operations/op-1",              // segment case
           "/deviceUpdate/blue/updates/Operations/op-1",                 // segment case
           "/deviceUpdate/blue/management/operations",                   // a list, not an operation
           "/deviceUpdate/blue/updates/providers/p/names/n/versions/1",  // resourceLocation
           "/deviceUpdate/blue/v3/updates/operations/op-1",              // no such version segment
           "/deviceUpdate/blue/management/deployments/op-1",
           "/iotHub/blue/management/operations/op-1",
           "/deviceUpdate//management/operations/op-1",
           "/",
       }) {
    EXPECT_THAT(Key(path), HasSubstr(expected)) << path;
  }
  EXPECT_THAT(Key(std::string(kHost)), HasSubstr(expected));
  EXPECT_THAT(Key(std::string(kHost) + "?api-version=2022-10-01"), HasSubstr(expected));
}

TEST_F(OperationLocationTest, TheIdMustBeAValidOperationId) {
  EXPECT_EQ(Key("/deviceUpdate/blue/management/operations/a%20b"),
            "error: \"/deviceUpdate/blue/management/operations/a%20b\": \"a%20b\" is not a valid "
            "operation ID: illegal character \"%\" at position 2 (allowed: letters, digits, \".\", "
            "\"_\", \"-\")");
  EXPECT_THAT(Key("/deviceUpdate/blue/management/operations/?api-version=1"),
              HasSubstr("an empty operation ID is not valid"));
  EXPECT_THAT(Key("/deviceUpdate/blue/updates/operations/-x"),
              HasSubstr("it must start with a letter or a digit"));
}

TEST_F(OperationLocationTest, ErrorsAreConfigErrors) {
  EXPECT_TRUE(ParseOperationLocation(DeviceLocation("red"), kTarget).status().IsConfig());
  EXPECT_TRUE(ParseOperationLocation("/nowhere", kTarget).status().IsConfig());
  EXPECT_TRUE(ParseOperationLocation("https://x.example/a", kTarget).status().IsConfig());
}

TEST_F(OperationLocationTest, WithoutAnInstanceNothingCanBeChecked) {
  EXPECT_THAT(ParseOperationLocation(DeviceLocation(), WatchListTarget{}).error(),
              HasSubstr("can only be checked against the configuration's endpoint and "
                        "instance_id"));
}

// ---- In the configuration's watch list -----------------------------------------------------

TEST_F(OperationLocationTest, PlainStringFormsInWatch) {
  const auto w = Watch("  - " + std::string(kHost) + DeviceLocation() +
                       "?api-version=2022-10-01\n"
                       "  - " +
                       UpdateLocation() +
                       "\n"
                       "  - \"/deviceupdate/blue/v2/updates/operations/op-9\"\n");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].key, Device());
  EXPECT_EQ(w[1].key, Update());
  EXPECT_EQ(w[2].key, Update("op-9"));
  EXPECT_EQ(w[0].origin, dir_.File("config.yaml") + ":6");
  EXPECT_EQ(w[2].origin, dir_.File("config.yaml") + ":8");
  EXPECT_FALSE(w[0].interval.has_value());
  for (const auto& e : w) EXPECT_EQ(e.source, OperationOrigin::kConfig);
}

TEST_F(OperationLocationTest, MapFormInWatch) {
  const auto w = Watch("  - id: " + std::string(kHost) + UpdateLocation() +
                       "?api-version=2022-10-01\n    interval: 5s\n"
                       "  - id: " +
                       DeviceLocation() +
                       "\n    kind: device\n"
                       "  - {id: '/deviceUpdate/blue/updates/operations/op-3', kind: update}\n");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].key, Update());
  EXPECT_EQ(w[0].interval, 5s);
  EXPECT_EQ(w[1].key, Device());
  EXPECT_EQ(w[2].key, Update("op-3"));
}

TEST_F(OperationLocationTest, AForeignInstanceInWatchNamesItsLineAndColumn) {
  EXPECT_EQ(WatchError("  - op-1\n  - " + DeviceLocation("red") + "\n"),
            "config.yaml:7:5: watch[1]: \"" + DeviceLocation("red") +
                "\" names the instance \"red\", not instance_id \"blue\" (an operation of another "
                "instance cannot be watched here)");
  EXPECT_EQ(WatchError("  - op-1\n  - kind: update\n    id: " + UpdateLocation("red") + "\n"),
            "config.yaml:8:9: watch[1].id: \"" + UpdateLocation("red") +
                "\" names the instance \"red\", not instance_id \"blue\" (an operation of another "
                "instance cannot be watched here)");
}

TEST_F(OperationLocationTest, AForeignHostInWatchNamesItsLineAndColumn) {
  EXPECT_THAT(
      WatchError("  - https://fabrikam.example" + DeviceLocation() + "\n"),
      StartsWith("config.yaml:6:5: watch[0]: \"https://fabrikam.example" + DeviceLocation() +
                 "\" is on https://fabrikam.example, not on the "
                 "endpoint https://contoso.api.adu.microsoft.com"));
}

TEST_F(OperationLocationTest, AKindThatContradictsTheLocationIsRefused) {
  EXPECT_EQ(WatchError("  - id: " + UpdateLocation() + "\n    kind: device\n"),
            "config.yaml:7:11: watch[0].kind: device, but the Operation-Location in id names an "
            "update operation");
  EXPECT_EQ(WatchError("  - {kind: update, id: '" + DeviceLocation() + "'}\n"),
            "config.yaml:6:12: watch[0].kind: update, but the Operation-Location in id names a "
            "device operation");
}

TEST_F(OperationLocationTest, TheSameOperationAsIdAndAsLocationIsADuplicate) {
  EXPECT_EQ(WatchError("  - id: " + std::string(kId) + "\n    kind: update\n  - " +
                       UpdateLocation() + "\n"),
            "config.yaml:8:5: watch[1]: operation ID \"" + std::string(kId) +
                "\" (update) is listed twice: at config.yaml:6 and at config.yaml:8");
}

TEST_F(OperationLocationTest, TheInstanceIsCheckedWhereverItIsWrittenInTheFile) {
  // instance_id after watch: the check uses it all the same.
  const std::string yaml =
      "endpoint: https://contoso.api.adu.microsoft.com\nauth:\n  method: none\n"
      "watch:\n  - " +
      DeviceLocation("red") + "\ninstance_id: blue\n";
  EXPECT_THAT(Error(yaml), StartsWith("config.yaml:5:5: watch[0]: "));
}

// ---- In the watch file --------------------------------------------------------------------

TEST_F(OperationLocationTest, WatchFileFormsCarryTheirKindAndSource) {
  dir_.Write("watch.yaml", std::string("- ") + kHost + DeviceLocation() +
                               "?api-version=2022-10-01\n- id: " + UpdateLocation() +
                               "\n  interval: 3s\n");
  const Config c = Ok(std::string(kHead) + "watch_file: watch.yaml\n");
  ASSERT_EQ(c.watch.size(), 2u);
  EXPECT_EQ(c.watch[0].key, Device());
  EXPECT_EQ(c.watch[1].key, Update());
  EXPECT_EQ(c.watch[1].interval, 3s);
  EXPECT_EQ(c.watch[0].origin, dir_.File("watch.yaml") + ":1");
  EXPECT_EQ(c.watch[0].source, OperationOrigin::kWatchFile);
  EXPECT_EQ(c.watch[1].source, OperationOrigin::kWatchFile);
}

TEST_F(OperationLocationTest, AForeignInstanceInTheWatchFileNamesItsLineAndColumn) {
  dir_.Write("watch.yaml", "- op-1\n- " + UpdateLocation("red") + "?api-version=2022-10-01\n");
  EXPECT_EQ(Error(std::string(kHead) + "watch_file: watch.yaml\n"),
            "watch.yaml:2:3: watch[1]: \"" + UpdateLocation("red") +
                "?api-version=2022-10-01\" names the instance \"red\", not instance_id \"blue\" "
                "(an operation of another instance cannot be watched here)");
}

TEST_F(OperationLocationTest, AWatchFileEntryAlsoInWatchAsAnIdIsADuplicate) {
  dir_.Write("watch.yaml", "- " + DeviceLocation() + "\n");
  EXPECT_EQ(Error(std::string(kHead) + "watch:\n  - " + kId + "\nwatch_file: watch.yaml\n"),
            "watch.yaml:1:3: watch[0]: operation ID \"" + std::string(kId) +
                "\" (device) is listed twice: at config.yaml:6 and at watch.yaml:1");
}

TEST_F(OperationLocationTest, LoadWatchFileChecksLocationsOnlyAgainstATarget) {
  const std::string path = dir_.Write("w.yaml", "- " + DeviceLocation() + "\n- plain-id\n");
  auto checked = LoadWatchFile(path, kTarget);
  ASSERT_TRUE(checked.ok()) << checked.error();
  ASSERT_EQ(checked->size(), 2u);
  EXPECT_EQ((*checked)[0].key, Device());
  EXPECT_EQ((*checked)[0].source, OperationOrigin::kWatchFile);

  auto foreign = LoadWatchFile(path, WatchListTarget{kHost, "red"});
  ASSERT_FALSE(foreign.ok());
  EXPECT_TRUE(foreign.status().IsConfig());
  EXPECT_THAT(Strip(foreign.error()), StartsWith("w.yaml:1:3: watch[0]: "));

  auto unchecked = LoadWatchFile(path);
  ASSERT_FALSE(unchecked.ok());
  EXPECT_TRUE(unchecked.status().IsConfig());
  EXPECT_THAT(unchecked.error(), HasSubstr("can only be checked against the configuration's"));
}

}  // namespace
}  // namespace adu::config
