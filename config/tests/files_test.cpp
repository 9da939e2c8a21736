// Missing, unreadable and non-regular configuration and watch files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "test_util.h"

namespace adu::config {
namespace {

using testing::ConfigFixture;
using ::testing::HasSubstr;
using testing::kMinimal;

class FilesTest : public ConfigFixture {
 protected:
  std::string LoadError(const std::string& path) {
    auto r = LoadConfig(path);
    EXPECT_FALSE(r.ok()) << path;
    return r.ok() ? std::string() : Strip(r.error());
  }
};

TEST_F(FilesTest, MissingConfigNamesThePathAndTheReason) {
  EXPECT_EQ(LoadError(dir_.File("absent.yaml")),
            "absent.yaml: cannot read the configuration file: No such file or directory");
  EXPECT_EQ(LoadError(dir_.File("no-dir/config.yaml")),
            "no-dir/config.yaml: cannot read the configuration file: No such file or directory");
  dir_.Write("plain", "x");
  EXPECT_EQ(LoadError(dir_.File("plain/config.yaml")),
            "plain/config.yaml: cannot read the configuration file: Not a directory");
}

TEST_F(FilesTest, EmptyPath) {
  auto r = LoadConfig("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "the configuration file path is empty");
}

TEST_F(FilesTest, DirectoryIsRefused) {
  std::filesystem::create_directory(dir_.File("conf.d"));
  EXPECT_EQ(LoadError(dir_.File("conf.d")),
            "conf.d: cannot read the configuration file: it is a directory, not a regular file");
}

TEST_F(FilesTest, FifoIsRefusedWithoutBlocking) {
  // Nobody ever writes to this FIFO: opening it for reading in blocking mode would hang the test.
  ASSERT_EQ(::mkfifo(dir_.File("fifo.yaml").c_str(), 0600), 0);
  EXPECT_EQ(LoadError(dir_.File("fifo.yaml")),
            "fifo.yaml: cannot read the configuration file: it is a FIFO, not a regular file");
  auto w = LoadWatchFile(dir_.File("fifo.yaml"));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(Strip(w.error()),
            "fifo.yaml: cannot read the watch file: it is a FIFO, not a regular file");
}

TEST_F(FilesTest, WatchFileThatIsAFifoOrDirectoryIsRefusedAtLoad) {
  ASSERT_EQ(::mkfifo(dir_.File("watch.fifo").c_str(), 0600), 0);
  EXPECT_EQ(Error(std::string(kMinimal) + "watch_file: watch.fifo\n"),
            "config.yaml:5:13: watch_file: watch.fifo: cannot read the watch file: it is a FIFO, "
            "not a regular file");
  std::filesystem::create_directory(dir_.File("watch.d"));
  EXPECT_EQ(Error(std::string(kMinimal) + "watch_file: watch.d\n"),
            "config.yaml:5:13: watch_file: watch.d: cannot read the watch file: it is a "
            "directory, not a regular file");
}

TEST_F(FilesTest, CharacterDeviceIsRefused) {
  auto r = LoadConfig("/dev/null");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "/dev/null: cannot read the configuration file: it is a character device, not a "
            "regular file");
}

// Runs `load` as an unprivileged user when the test runs as root (root reads any file whatever its
// mode), in a child process so the test process keeps its identity. Returns what `load` returned.
std::string AsUnprivileged(const std::function<std::string()>& load) {
  if (::geteuid() != 0) return load();
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = "setuid failed";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) out = load();
    const ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

TEST_F(FilesTest, UnreadableFileNamesTheReason) {
  const std::string path = dir_.Write("config.yaml", kMinimal);
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);  // others may look up names, not read the file
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  const std::string error = AsUnprivileged([&] {
    auto r = LoadConfig(path);
    return r.ok() ? std::string("loaded") : r.error();
  });
  EXPECT_EQ(Strip(error), "config.yaml: cannot read the configuration file: Permission denied");
}

TEST_F(FilesTest, UnreadableWatchFileNamesTheReason) {
  const std::string config =
      dir_.Write("config.yaml", std::string(kMinimal) + "watch_file: w.yaml\n");
  const std::string watch = dir_.Write("w.yaml", "- a\n");
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(config.c_str(), 0644), 0);
  ASSERT_EQ(::chmod(watch.c_str(), 0), 0);
  const std::string error = AsUnprivileged([&] {
    auto r = LoadConfig(config);
    return r.ok() ? std::string("loaded") : r.error();
  });
  EXPECT_EQ(Strip(error),
            "config.yaml:5:13: watch_file: w.yaml: cannot read the watch file: Permission denied");
}

TEST_F(FilesTest, SymlinkToARegularFileIsFine) {
  const std::string real = dir_.Write("real.yaml", kMinimal);
  std::filesystem::create_symlink(real, dir_.File("link.yaml"));
  auto r = LoadConfig(dir_.File("link.yaml"));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->path, dir_.File("link.yaml"));
}

}  // namespace
}  // namespace adu::config
