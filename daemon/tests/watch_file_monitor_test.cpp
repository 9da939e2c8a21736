// When the watch file counts as changed: inotify events debounced, the stamp compared.
#include "../watch_file_monitor.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

class WatchFileMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "adu-wfm-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/watch.yaml";
    Write(path_, "- a\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  }
  // Waits (at most 2 s) for the monitor's descriptor to be readable and hands it the events.
  void Drain(WatchFileMonitor& m, MonoTime now) {
    pollfd fd{m.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&fd, 1, 2000), 1) << "no inotify event";
    m.OnReadable(now);
  }

  std::string dir_;
  std::string path_;
  const MonoTime t0_ = MonoTime() + 1h;
};

TEST_F(WatchFileMonitorTest, AnEventIsDebouncedThenReportedOnce) {
  WatchFileMonitor m;
  m.Watch(path_, t0_);
  ASSERT_GE(m.fd(), 0);
  EXPECT_EQ(m.NextWake(), std::nullopt);  // inotify works: no timer needed
  Write(path_, "- a\n- b\n");
  Drain(m, t0_);
  ASSERT_EQ(m.NextWake(), t0_ + 300ms);
  EXPECT_FALSE(m.TakeChange(t0_ + 299ms));
  EXPECT_TRUE(m.TakeChange(t0_ + 300ms));
  EXPECT_FALSE(m.TakeChange(t0_ + 301ms));
  EXPECT_EQ(m.NextWake(), std::nullopt);
}

TEST_F(WatchFileMonitorTest, AReplacementByRenameCounts) {
  WatchFileMonitor m;
  m.Watch(path_, t0_);
  Write(dir_ + "/watch.yaml.tmp", "- c\n");
  std::filesystem::rename(dir_ + "/watch.yaml.tmp", path_);
  Drain(m, t0_);
  EXPECT_TRUE(m.TakeChange(t0_ + 1s));
}

TEST_F(WatchFileMonitorTest, OtherFilesInTheDirectoryAndUnchangedContentDoNotCount) {
  WatchFileMonitor m;
  m.Watch(path_, t0_);
  Write(dir_ + "/other.yaml", "x\n");
  Drain(m, t0_);
  EXPECT_EQ(m.NextWake(), std::nullopt);
  EXPECT_FALSE(m.TakeChange(t0_ + 1s));
  // A touch that leaves the stamp as it was (the same content, the caller re-read it).
  Write(path_, "- a\n- b\n");
  Drain(m, t0_);
  m.Rebaseline();
  EXPECT_FALSE(m.TakeChange(t0_ + 1s));
}

TEST_F(WatchFileMonitorTest, NothingWatchedNothingReported) {
  WatchFileMonitor m;
  m.Watch(std::nullopt, t0_);
  EXPECT_EQ(m.NextWake(), std::nullopt);
  EXPECT_FALSE(m.TakeChange(t0_ + 1h));
}

TEST_F(WatchFileMonitorTest, WithoutADirectoryToWatchTheStampIsPolled) {
  // The directory does not exist: inotify cannot watch it, so the monitor looks every 2 s.
  const std::string missing = dir_ + "/not-yet/watch.yaml";
  WatchFileMonitor m;
  m.Watch(missing, t0_);
  ASSERT_EQ(m.NextWake(), t0_ + 2s);
  EXPECT_FALSE(m.TakeChange(t0_ + 2s));  // still absent: no change
  std::filesystem::create_directory(dir_ + "/not-yet");
  Write(missing, "- a\n");
  EXPECT_FALSE(m.TakeChange(t0_ + 3s));  // not due yet
  EXPECT_TRUE(m.TakeChange(t0_ + 4s));
  EXPECT_EQ(m.NextWake(), t0_ + 6s);
}

}  // namespace
}  // namespace adu::daemon
