// The watch list: items, operation IDs, duplicates, the watch file and the merge.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using testing::ConfigFixture;
using ::testing::HasSubstr;
using testing::kMinimal;
using ::testing::StartsWith;

class WatchTest : public ConfigFixture {
 protected:
  std::vector<WatchEntry> Watch(const std::string& list) {
    return Ok(std::string(kMinimal) + "watch:\n" + list).watch;
  }
  std::string WatchError(const std::string& list) {
    return Error(std::string(kMinimal) + "watch:\n" + list);
  }
};

TEST_F(WatchTest, PlainStringIsADeviceOperation) {
  const auto w = Watch("  - 8f1d2c3e-0000-4000-8000-000000000001\n");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].key.kind, OperationKind::kDevice);
  EXPECT_EQ(w[0].key.id, "8f1d2c3e-0000-4000-8000-000000000001");
  EXPECT_FALSE(w[0].interval.has_value());
  EXPECT_EQ(w[0].origin, dir_.File("config.yaml") + ":6");
}

TEST_F(WatchTest, MapFormWithKindAndInterval) {
  const auto w = Watch(
      "  - id: a\n  - id: b\n    kind: update\n    interval: 10s\n"
      "  - {id: c, kind: device}\n");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].key, (OperationKey{OperationKind::kDevice, "a"}));
  EXPECT_EQ(w[1].key, (OperationKey{OperationKind::kUpdate, "b"}));
  EXPECT_EQ(w[1].interval, 10s);
  EXPECT_EQ(w[2].key, (OperationKey{OperationKind::kDevice, "c"}));
}

TEST_F(WatchTest, MapFormErrors) {
  EXPECT_EQ(WatchError("  - kind: update\n"),
            "config.yaml:6:5: watch[0].id: required key is missing");
  EXPECT_EQ(WatchError("  - id: a\n    kind: updates\n"),
            "config.yaml:7:11: watch[0].kind: \"updates\" is not one of device or update; did you "
            "mean update?");
  EXPECT_EQ(WatchError("  - id: a\n    interval: often\n"),
            "config.yaml:7:15: watch[0].interval: \"often\" is not a duration (examples: 500ms, "
            "30s, 5m)");
  EXPECT_EQ(WatchError("  - id: a\n    intervall: 5s\n"),
            "config.yaml:7:5: watch[0].intervall: unknown key; did you mean watch[0].interval?");
  EXPECT_EQ(WatchError("  - [a, b]\n"),
            "config.yaml:6:5: watch[0]: expected an operation ID or a map with id, kind and "
            "interval, found a list");
  EXPECT_EQ(WatchError("  -\n"),
            "config.yaml:6:3: watch[0]: expected an operation ID or a map with id, kind and "
            "interval, found empty");
}

TEST_F(WatchTest, WatchMustBeAList) {
  EXPECT_EQ(Error(std::string(kMinimal) + "watch: op-1\n"),
            "config.yaml:5:8: watch: expected a list of operation IDs, found a string");
  EXPECT_EQ(Error(std::string(kMinimal) + "watch:\n  op-1: device\n"),
            "config.yaml:6:3: watch: expected a list of operation IDs, found a map");
}

TEST_F(WatchTest, EmptyWatchListIsValid) {
  EXPECT_TRUE(Ok(std::string(kMinimal) + "watch:\n").watch.empty());
  EXPECT_TRUE(Ok(std::string(kMinimal) + "watch: []\n").watch.empty());
}

TEST_F(WatchTest, OperationIdRules) {
  EXPECT_TRUE(ValidateOperationId("8f1d2c3e-0000-4000-8000-000000000001").ok());
  EXPECT_TRUE(ValidateOperationId("a").ok());
  EXPECT_TRUE(ValidateOperationId("A1._-z").ok());
  EXPECT_TRUE(ValidateOperationId(std::string(256, 'x')).ok());

  EXPECT_EQ(ValidateOperationId("").message(), "an empty operation ID is not valid");
  EXPECT_EQ(ValidateOperationId("-abc").message(),
            "\"-abc\" is not a valid operation ID: it must start with a letter or a digit, not "
            "\"-\"");
  EXPECT_EQ(ValidateOperationId(".hidden").message(),
            "\".hidden\" is not a valid operation ID: it must start with a letter or a digit, not "
            "\".\"");
  EXPECT_EQ(ValidateOperationId("abc/def").message(),
            "\"abc/def\" is not a valid operation ID: illegal character \"/\" at position 4 "
            "(allowed: letters, digits, \".\", \"_\", \"-\")");
  EXPECT_THAT(ValidateOperationId("a?b=c").message(), HasSubstr("illegal character \"?\""));
  EXPECT_THAT(ValidateOperationId("a b").message(), HasSubstr("illegal character \" \""));
  EXPECT_THAT(ValidateOperationId("a%2fb").message(), HasSubstr("illegal character \"%\""));
  EXPECT_THAT(ValidateOperationId("a\nb").message(), HasSubstr("illegal character \"\\x0a\""));
  EXPECT_THAT(ValidateOperationId("caf\xc3\xa9").message(), HasSubstr("at position 4"));
  EXPECT_THAT(ValidateOperationId(std::string(257, 'x')).message(),
              HasSubstr("too long (257 characters, at most 256)"));
}

TEST_F(WatchTest, IllegalOperationIdInTheFile) {
  EXPECT_EQ(WatchError("  - ../../admin\n"),
            "config.yaml:6:5: watch[0]: \"../../admin\" is not a valid operation ID: it must start "
            "with a letter or a digit, not \".\"");
  EXPECT_EQ(WatchError("  - ok-1\n  - id: \"x?top=1\"\n"),
            "config.yaml:7:9: watch[1].id: \"x?top=1\" is not a valid operation ID: illegal "
            "character \"?\" at position 2 (allowed: letters, digits, \".\", \"_\", \"-\")");
}

TEST_F(WatchTest, DuplicateWithinWatchNamesTheIdAndBothPlaces) {
  EXPECT_EQ(WatchError("  - op-1\n  - op-2\n  - id: op-1\n"),
            "config.yaml:8:5: watch[2]: operation ID \"op-1\" (device) is listed twice: at "
            "config.yaml:6 and at config.yaml:8");
}

TEST_F(WatchTest, SameIdWithDifferentKindsIsNotADuplicate) {
  const auto w = Watch("  - op-1\n  - id: op-1\n    kind: update\n");
  EXPECT_EQ(w.size(), 2u);
}

// ---- watch_file --------------------------------------------------------------------------

TEST_F(WatchTest, WatchFileIsMergedAfterWatch) {
  dir_.Write("watch.yaml", "- file-op-1\n- id: file-op-2\n  kind: update\n  interval: 2s\n");
  const Config c = Ok(std::string(kMinimal) + "watch_file: watch.yaml\nwatch:\n  - cfg-op\n");
  EXPECT_EQ(c.watch_file, dir_.File("watch.yaml"));
  ASSERT_EQ(c.watch.size(), 3u);
  EXPECT_EQ(c.watch[0].key.id, "cfg-op");
  EXPECT_EQ(c.watch[0].origin, dir_.File("config.yaml") + ":7");
  EXPECT_EQ(c.watch[1].key.id, "file-op-1");
  EXPECT_EQ(c.watch[1].origin, dir_.File("watch.yaml") + ":1");
  EXPECT_EQ(c.watch[2].key, (OperationKey{OperationKind::kUpdate, "file-op-2"}));
  EXPECT_EQ(c.watch[2].interval, 2s);
}

TEST_F(WatchTest, EachEntryKnowsWhichListNamedIt) {
  dir_.Write("watch.yaml", "- file-op\n- id: shared\n  kind: update\n");
  const Config c =
      Ok(std::string(kMinimal) + "watch_file: watch.yaml\nwatch:\n  - cfg-op\n  - id: shared\n");
  ASSERT_EQ(c.watch.size(), 4u);
  EXPECT_EQ(c.watch[0].source, OperationOrigin::kConfig);
  EXPECT_EQ(c.watch[1].source, OperationOrigin::kConfig);
  EXPECT_EQ(c.watch[2].source, OperationOrigin::kWatchFile);
  EXPECT_EQ(c.watch[3].source, OperationOrigin::kWatchFile);
  EXPECT_EQ(c.watch[3].key, (OperationKey{OperationKind::kUpdate, "shared"}));
}

TEST_F(WatchTest, ReloadingAfterAnEntryMovedToTheWatchFileChangesItsSource) {
  // What the daemon does on SIGHUP and when the watch file changes: load the whole file again.
  const std::string config = std::string(kMinimal) + "watch_file: watch.yaml\nwatch:\n  - op-1\n";
  dir_.Write("watch.yaml", "");
  EXPECT_EQ(Ok(config).watch.at(0).source, OperationOrigin::kConfig);
  dir_.Write("watch.yaml", "- op-1\n");
  const Config moved = Ok(std::string(kMinimal) + "watch_file: watch.yaml\n");
  ASSERT_EQ(moved.watch.size(), 1u);
  EXPECT_EQ(moved.watch[0].key.id, "op-1");
  EXPECT_EQ(moved.watch[0].source, OperationOrigin::kWatchFile);
}

TEST_F(WatchTest, WatchFileRelativePathIsResolvedAgainstTheConfigDirectory) {
  dir_.Write("etc/lists/watch.yaml", "- op-1\n");
  const Config c = Ok(std::string(kMinimal) + "watch_file: lists/watch.yaml\n", "etc/config.yaml");
  EXPECT_EQ(c.watch_file, dir_.File("etc/lists/watch.yaml"));
  ASSERT_EQ(c.watch.size(), 1u);
  // An absolute path stays as it is.
  const Config abs =
      Ok(std::string(kMinimal) + "watch_file: " + dir_.File("etc/lists/watch.yaml") + "\n");
  EXPECT_EQ(abs.watch_file, dir_.File("etc/lists/watch.yaml"));
}

TEST_F(WatchTest, RelativeConfigPathKeepsResolvedPathsRelativeToTheSameDirectory) {
  dir_.Write("sub/config.yaml", std::string(kMinimal) + "watch_file: w.yaml\ndatabase: ops.db\n");
  dir_.Write("sub/w.yaml", "- op-1\n");
  const std::string old_cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(dir_.path());
  auto r = LoadConfig("sub/config.yaml");
  std::filesystem::current_path(old_cwd);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->path, "sub/config.yaml");
  EXPECT_EQ(r->watch_file, "sub/w.yaml");
  EXPECT_EQ(r->database, "sub/ops.db");
  EXPECT_EQ(r->watch.size(), 1u);
}

TEST_F(WatchTest, MissingWatchFileIsAnErrorAtLoad) {
  EXPECT_EQ(Error(std::string(kMinimal) + "watch_file: nowhere.yaml\n"),
            "config.yaml:5:13: watch_file: nowhere.yaml: cannot read the watch file: No such file "
            "or directory");
}

TEST_F(WatchTest, DuplicateAcrossWatchAndWatchFileNamesTheIdAndBothPlaces) {
  dir_.Write("watch.yaml", "- other\n- id: op-1\n");
  EXPECT_EQ(Error(std::string(kMinimal) + "watch:\n  - op-1\nwatch_file: watch.yaml\n"),
            "watch.yaml:2:3: watch[1]: operation ID \"op-1\" (device) is listed twice: at "
            "config.yaml:6 and at watch.yaml:2");
}

TEST_F(WatchTest, ErrorsInsideTheWatchFileNameTheWatchFile) {
  dir_.Write("watch.yaml", "- ok\n- bad/id\n");
  EXPECT_THAT(Error(std::string(kMinimal) + "watch_file: watch.yaml\n"),
              StartsWith("watch.yaml:2:3: watch[1]: \"bad/id\" is not a valid operation ID"));
}

TEST_F(WatchTest, EmptyWatchFileIsAnEmptyList) {
  dir_.Write("watch.yaml", "# nothing watched yet\n");
  const Config c = Ok(std::string(kMinimal) + "watch_file: watch.yaml\n");
  EXPECT_TRUE(c.watch.empty());
  EXPECT_THAT(Summary(c), HasSubstr("empty watch list"));
}

TEST_F(WatchTest, LoadWatchFile) {
  const std::string path = dir_.Write("w.yaml", "- a\n- id: b\n  kind: update\n");
  auto w = LoadWatchFile(path);
  ASSERT_TRUE(w.ok()) << w.error();
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ((*w)[1].key, (OperationKey{OperationKind::kUpdate, "b"}));
  EXPECT_EQ((*w)[1].origin, path + ":2");
  EXPECT_EQ((*w)[0].source, OperationOrigin::kWatchFile);
  EXPECT_EQ((*w)[1].source, OperationOrigin::kWatchFile);
}

TEST_F(WatchTest, LoadWatchFileErrors) {
  const auto err = [&](const std::string& content) {
    auto w = LoadWatchFile(dir_.Write("w.yaml", content));
    EXPECT_FALSE(w.ok()) << content;
    if (w.ok()) return std::string();
    EXPECT_TRUE(w.status().IsConfig()) << w.error();
    return Strip(w.error());
  };
  EXPECT_EQ(err("- a\n- a\n"),
            "w.yaml:2:3: watch[1]: operation ID \"a\" (device) is listed twice: at w.yaml:1 and at "
            "w.yaml:2");
  EXPECT_THAT(err("watch:\n  - a\n"),
              StartsWith("w.yaml:1:1: a watch file is a YAML list of operation IDs"));
  EXPECT_EQ(err("- [a\n"), "w.yaml:2:1: YAML syntax error: end of sequence flow not found");
  EXPECT_TRUE(LoadWatchFile(dir_.File("absent.yaml")).status().IsConfig());
  EXPECT_EQ(Strip(LoadWatchFile(dir_.File("absent.yaml")).error()),
            "absent.yaml: cannot read the watch file: No such file or directory");
}

// ---- MergeWatchLists ---------------------------------------------------------------------

WatchEntry Entry(OperationKind kind, std::string id, std::string origin) {
  return WatchEntry{OperationKey{kind, std::move(id)}, std::nullopt, std::move(origin)};
}

TEST(MergeWatchLists, KeepsOrderAThenB) {
  auto merged = MergeWatchLists({Entry(OperationKind::kDevice, "a", "c.yaml:1")},
                                {Entry(OperationKind::kDevice, "b", "w.yaml:1"),
                                 Entry(OperationKind::kUpdate, "a", "w.yaml:2")});
  ASSERT_TRUE(merged.ok()) << merged.error();
  ASSERT_EQ(merged->size(), 3u);
  EXPECT_EQ((*merged)[0].key.id, "a");
  EXPECT_EQ((*merged)[1].key.id, "b");
  EXPECT_EQ((*merged)[2].key, (OperationKey{OperationKind::kUpdate, "a"}));
}

TEST(MergeWatchLists, KeepsEachEntrysSource) {
  WatchEntry from_file = Entry(OperationKind::kDevice, "b", "w.yaml:1");
  from_file.source = OperationOrigin::kWatchFile;
  auto merged = MergeWatchLists({Entry(OperationKind::kDevice, "a", "c.yaml:1")}, {from_file});
  ASSERT_TRUE(merged.ok()) << merged.error();
  ASSERT_EQ(merged->size(), 2u);
  EXPECT_EQ((*merged)[0].source, OperationOrigin::kConfig);
  EXPECT_EQ((*merged)[1].source, OperationOrigin::kWatchFile);
  EXPECT_EQ((*merged)[1], from_file);
}

TEST(MergeWatchLists, EmptyListsMerge) {
  auto merged = MergeWatchLists({}, {});
  ASSERT_TRUE(merged.ok());
  EXPECT_TRUE(merged->empty());
}

TEST(MergeWatchLists, DuplicateNamesTheIdAndBothOrigins) {
  auto merged = MergeWatchLists({Entry(OperationKind::kUpdate, "op-7", "config.yaml:12")},
                                {Entry(OperationKind::kDevice, "op-7", "watch.yaml:2"),
                                 Entry(OperationKind::kUpdate, "op-7", "watch.yaml:5")});
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.error(),
            "watch.yaml:5: watch: operation ID \"op-7\" (update) is listed twice: at "
            "config.yaml:12 and at watch.yaml:5");
}

}  // namespace
}  // namespace adu::config
