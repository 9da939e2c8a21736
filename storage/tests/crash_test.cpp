// kill -9 at random moments: the database stays intact and every reported commit is present.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "adu/storage/sqlite_store.h"
#include "test_util.h"

namespace adu::storage {
namespace {

using namespace adu::storage::testing;
using Clock = std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  int out = -1;  // the read end of its stdout
};

Child Spawn(const std::string& db, long first_id) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  const std::string first = std::to_string(first_id);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::execl(ADU_CRASH_WRITER, ADU_CRASH_WRITER, db.c_str(), first.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads until `deadline` (or, with `until_one`, until `ids` is non-empty); appends complete
// lines' ids to `ids`.
void ReadIds(int fd, std::string& buffer, std::vector<long>& ids, Clock::time_point deadline,
             bool until_one = false) {
  for (;;) {
    if (until_one && !ids.empty()) return;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return;
    struct pollfd p {
      fd, POLLIN, 0
    };
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return;
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      ids.push_back(std::stol(buffer.substr(0, nl)));
      buffer.erase(0, nl + 1);
    }
  }
}

TEST(CrashTest, KilledWriterNeverLosesAReportedCommitNorCorruptsTheFile) {
  TempDir dir;
  const auto path = dir.File("crash.db");
  std::mt19937 rng(std::random_device{}());
  constexpr int kKills = 25;
  std::set<long> reported;
  int runs_with_commits = 0;
  const auto started = Clock::now();

  for (int run = 0; run < kKills; ++run) {
    const long first_id = static_cast<long>(run) * 1000000;
    Child child = Spawn(path, first_id);
    ASSERT_GT(child.pid, 0);
    std::string buffer;
    std::vector<long> ids;
    // Wait for the first commit (the process is up and writing), then let it run a random while
    // (0 to 40 ms) so the kill lands anywhere: mid-transaction, mid-commit, mid-checkpoint.
    while (ids.empty()) {
      int status = 0;
      ASSERT_EQ(::waitpid(child.pid, &status, WNOHANG), 0) << "the writer exited early";
      ReadIds(child.out, buffer, ids, Clock::now() + std::chrono::milliseconds(100), true);
      ASSERT_LT(Clock::now() - started, std::chrono::seconds(60)) << "the writer never commits";
    }
    const auto run_for =
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 40000)(rng));
    ReadIds(child.out, buffer, ids, Clock::now() + run_for);
    ASSERT_EQ(::kill(child.pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child.pid, &status, 0), child.pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    // Whatever was printed before the kill counts as reported.
    ReadIds(child.out, buffer, ids, Clock::now() + std::chrono::milliseconds(50));
    ::close(child.out);
    reported.insert(ids.begin(), ids.end());
    if (!ids.empty()) ++runs_with_commits;

    RawDb db(path);
    ASSERT_EQ(db.Text("PRAGMA integrity_check"), "ok") << "after kill " << run;
    // Each batch wrote 3 snapshots whose bodies start with "batch ID record K".
    std::set<long> present;
    for (const auto& row : db.Rows("SELECT DISTINCT CAST(substr(body, 7, instr(substr(body, 7), "
                                   "' ') - 1) AS INTEGER) FROM snapshots")) {
      present.insert(std::stol(row));
    }
    for (long id : reported) ASSERT_TRUE(present.count(id)) << "batch " << id << " lost";
    // All-or-nothing: every batch in the file has all three snapshots.
    EXPECT_EQ(
        db.Int("SELECT count(*) FROM (SELECT substr(body, 1, instr(substr(body, 7), ' ') + 5) "
               "AS b, count(*) AS n FROM snapshots GROUP BY b HAVING n != 3)"),
        0);
  }
  EXPECT_EQ(runs_with_commits, kKills);
  EXPECT_GT(reported.size(), static_cast<size_t>(kKills));

  // The killed writers' file is still a good database for the store.
  auto store = SqliteStore::Open(path, {});
  ASSERT_TRUE(store.ok()) << store.error();
  EXPECT_TRUE((*store)->LoadOperations().ok());
}

}  // namespace
}  // namespace adu::storage
