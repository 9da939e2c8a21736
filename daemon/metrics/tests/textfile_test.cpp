// metrics.textfile: the directory check, atomic writes, the period, the last write at Stop().
#include "textfile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "families.h"

namespace adu::metrics {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TextfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/adu-textfile-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/adu_opwatch.prom";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<TextfileWriter> Writer(Duration period) {
    auto source = std::make_shared<FiguresCollectable>(figures_, SystemClock(), "0.1.0");
    return std::make_unique<TextfileWriter>(
        path_, source, period,
        std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>()));
  }

  std::string dir_;
  std::string path_;
  Figures figures_;
};

TEST_F(TextfileTest, DirectoryCheck) {
  EXPECT_TRUE(TextfileWriter::CheckDirectory(path_).ok());
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));  // the probe leaves nothing behind
  auto st = TextfileWriter::CheckDirectory(dir_ + "/missing/a.prom");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "directory " + dir_ + "/missing does not exist");
  std::ofstream(dir_ + "/file") << "x";
  st = TextfileWriter::CheckDirectory(dir_ + "/file/a.prom");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), dir_ + "/file is not a directory");
}

TEST_F(TextfileTest, ADirectoryThatIsNotWritableIsNamed) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
  std::filesystem::create_directory(dir_ + "/ro");
  ::chmod((dir_ + "/ro").c_str(), 0555);
  auto st = TextfileWriter::CheckDirectory(dir_ + "/ro/a.prom");
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("cannot create files in directory " + dir_ +
                                      "/ro: "
                                      "Permission denied"));
}

TEST_F(TextfileTest, WriteNowIsWorldReadableWhateverTheUmask) {
  const mode_t old = ::umask(077);
  figures_.CountRequest(RequestCall::kGet, 200);
  auto w = Writer(1h);
  const Status st = w->WriteNow();
  ::umask(old);
  ASSERT_TRUE(st.ok()) << st.message();
  struct stat s {};
  ASSERT_EQ(::stat(path_.c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 0777, 0644u);
  EXPECT_THAT(Slurp(path_), HasSubstr("adu_opwatch_requests_total{call=\"get\",code=\"200\"} 1\n"));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

TEST_F(TextfileTest, RewrittenEveryPeriodAndOnceMoreAtStop) {
  auto w = Writer(50ms);
  w->Start();
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 100; ++i) {
      if (Slurp(path_).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  EXPECT_TRUE(wait_for("adu_opwatch_store_queue_length 0\n"));
  figures_.SetStoreQueue(5, false);
  EXPECT_TRUE(wait_for("adu_opwatch_store_queue_length 5\n"));
  figures_.SetStoreQueue(9, false);
  w->Stop();  // whatever the timing, Stop() writes the last figures
  EXPECT_THAT(Slurp(path_), HasSubstr("adu_opwatch_store_queue_length 9\n"));
}

// A reader never sees a partial file: each write replaces the file whole (rename).
TEST_F(TextfileTest, ReadersSeeWholeFilesOnly) {
  for (int i = 0; i < 50; ++i)
    figures_.CountTransition(OperationKind::kDevice, "S" + std::to_string(i));
  auto w = Writer(1ms);
  ASSERT_TRUE(w->WriteNow().ok());
  const std::string whole = Slurp(path_);
  ASSERT_THAT(whole, HasSubstr("adu_opwatch_store_unavailable 0\n"));
  // The figures do not change while it rewrites the file: every read is the whole first file.
  w->Start();
  for (int i = 0; i < 300; ++i) ASSERT_EQ(Slurp(path_), whole);
  w->Stop();
}

TEST_F(TextfileTest, AFailedWriteIsReportedAndLeavesNoTemporaryFile) {
  auto w = Writer(1h);
  std::filesystem::create_directory(path_);  // a directory where the file should go
  const Status st = w->WriteNow();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("cannot write " + path_ + ": "));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

}  // namespace
}  // namespace adu::metrics
