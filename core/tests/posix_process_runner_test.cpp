// PosixProcessRunner with real shell scripts in a TempDir: the environment and stdin a hook sees,
// its process group killed past the timeout (children included), exit codes and signals, the
// bounded stderr head, a missing program, a hook that ignores stdin, no descriptor leaked either
// way, and several runs at once.
#include "adu/core/posix_process_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "adu/core/exec_target.h"
#include "adu/core/notify_body.h"
#include "adu/testing/temp_dir.h"

namespace adu {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes an executable /bin/sh script.
std::string Script(const testing::TempDir& dir, const std::string& name, const std::string& body) {
  const std::string path = dir.Write(name, "#!/bin/sh\n" + body);
  ::chmod(path.c_str(), 0755);
  return path;
}

int OpenDescriptors() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

// True once `pid` is gone or a zombie (nobody may reap the orphan in a container), within 5 s.
bool ProcessEnds(pid_t pid) {
  for (int i = 0; i < 250; ++i) {
    const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return true;
    const size_t paren = stat.rfind(')');
    if (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z") return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

ProcessRequest Request(std::vector<std::string> argv, Duration timeout = 10s) {
  ProcessRequest r;
  r.argv = std::move(argv);
  r.timeout = timeout;
  return r;
}

TEST(PosixProcessRunner, AHookSeesOnlyTheMinimalEnvironmentAndTheJsonOnStdin) {
  testing::TempDir dir;
  const std::string hook = Script(dir, "hook", "env > \"$1/env\"\ncat > \"$1/stdin\"\n");
  ::setenv("ADU_TEST_DAEMON_SECRET", "must-not-leak", 1);
  NotificationEvent e;
  e.event_id = "blue:3";
  e.instance_id = "blue";
  e.key = {OperationKind::kUpdate, "op-3"};
  e.from_status = "NotStarted";
  e.to_status = "Running";
  e.observed_at = "2026-12-02T01:00:00.000Z";
  e.snapshot_id = 3;
  e.error_message = "it's \"quoted\"";
  e.snapshot_body = R"({"status":"Running"})";
  PosixProcessRunner runner;
  ExecTarget target("local", {{hook, dir.path()}, 10s}, runner);
  const auto r = target.Deliver(e);
  ::unsetenv("ADU_TEST_DAEMON_SECRET");
  EXPECT_EQ(r.verdict, DeliveryVerdict::kDelivered) << r.detail;
  EXPECT_EQ(ReadFile(dir.File("stdin")), RenderEventJson(e));
  std::set<std::string> lines;
  std::istringstream env(ReadFile(dir.File("env")));
  for (std::string line; std::getline(env, line);) lines.insert(line);
  for (const char* expected :
       {"PATH=/usr/local/bin:/usr/bin:/bin", "ADU_EVENT_ID=blue:3", "ADU_INSTANCE_ID=blue",
        "ADU_KIND=update", "ADU_OPERATION_ID=op-3", "ADU_FROM_STATUS=NotStarted",
        "ADU_TO_STATUS=Running", "ADU_OBSERVED_AT=2026-12-02T01:00:00.000Z", "ADU_SNAPSHOT_ID=3",
        "ADU_ERROR_CODE=", "ADU_ERROR_MESSAGE=it's \"quoted\"", "ADU_TRACE_ID="}) {
    EXPECT_EQ(lines.count(expected), 1u) << expected;
  }
  // Nothing of the daemon's own environment: only what the shell itself sets may be added.
  for (const auto& line : lines) {
    const std::string name = line.substr(0, line.find('='));
    EXPECT_TRUE(name == "PATH" || name.starts_with("ADU_") || name == "PWD" || name == "OLDPWD" ||
                name == "SHLVL" || name == "_")
        << line;
  }
}

TEST(PosixProcessRunner, PastItsTimeoutTheWholeProcessGroupIsKilled) {
  testing::TempDir dir;
  const std::string hook =
      Script(dir, "hook", "sleep 300 &\necho $! > \"$1/child\"\necho started >&2\nsleep 300\n");
  PosixProcessRunner runner;
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r = runner.Run(Request({hook, dir.path()}, 500ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.started) << r.error;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_GE(elapsed, 500ms);
  EXPECT_LT(elapsed, 500ms + 3s);
  EXPECT_EQ(r.stderr_head, "started\n");
  const std::string child = ReadFile(dir.File("child"));
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(ProcessEnds(std::stoi(child))) << "the hook's background child survived";
}

TEST(PosixProcessRunner, NothingAHookStartsInTheBackgroundOutlivesIt) {
  testing::TempDir dir;
  const std::string hook = Script(dir, "hook", "sleep 300 &\necho $! > \"$1/child\"\nexit 0\n");
  PosixProcessRunner runner;
  const ProcessResult r = runner.Run(Request({hook, dir.path()}));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(ProcessEnds(std::stoi(ReadFile(dir.File("child")))));
}

TEST(PosixProcessRunner, ExitCodeSignalAndABoundedStderrHead) {
  testing::TempDir dir;
  PosixProcessRunner runner;
  ProcessResult r = runner.Run(Request({Script(dir, "fail", "echo oops >&2\nexit 3\n")}));
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.stderr_head, "oops\n");

  r = runner.Run(Request({Script(dir, "term", "kill -TERM $$\nsleep 5\n")}));
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_FALSE(r.timed_out);

  // 100 lines, then a megabyte: the first 20 lines are kept, the rest drained (no hang).
  r = runner.Run(Request({Script(dir, "noisy",
                                 "i=0; while [ $i -lt 100 ]; do echo line$i >&2; i=$((i+1)); done\n"
                                 "head -c 1000000 /dev/zero >&2\nexit 0\n")}));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.stderr_head.starts_with("line0\nline1\n")) << r.stderr_head;
  EXPECT_TRUE(r.stderr_head.ends_with("line19\n")) << r.stderr_head;
  EXPECT_LE(r.stderr_head.size(), PosixProcessRunner::kStderrMaxBytes);

  r = runner.Run(Request({Script(dir, "long", "head -c 100000 /dev/zero | tr '\\0' x >&2\n")}));
  EXPECT_EQ(r.stderr_head, std::string(PosixProcessRunner::kStderrMaxBytes, 'x'));
}

TEST(PosixProcessRunner, ThroughExecTargetAFailingOrMissingHookIsRetried) {
  testing::TempDir dir;
  PosixProcessRunner runner;
  NotificationEvent e;
  e.event_id = "blue:1";
  ExecTarget failing("local", {{Script(dir, "fail", "echo oops >&2\nexit 3\n")}, 10s}, runner);
  auto r = failing.Deliver(e);
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_NE(r.detail.find("exited with code 3; stderr: \"oops\""), std::string::npos) << r.detail;
  ExecTarget missing("local", {{dir.File("not-there")}, 10s}, runner);
  r = missing.Deliver(e);
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry);
  EXPECT_NE(r.detail.find("cannot run"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("No such file or directory"), std::string::npos) << r.detail;
}

TEST(PosixProcessRunner, AMissingOrRelativeProgramIsNotStarted) {
  PosixProcessRunner runner;
  ProcessResult r = runner.Run(Request({"/nonexistent/adu-hook", "x"}));
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("No such file or directory"), std::string::npos) << r.error;
  r = runner.Run(Request({"adu-hook"}));
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("absolute path"), std::string::npos) << r.error;
  r = runner.Run(Request({}));
  EXPECT_FALSE(r.started);
}

TEST(PosixProcessRunner, AHookThatIgnoresALargeStdinIsFineAndNoDescriptorLeaks) {
  testing::TempDir dir;
  PosixProcessRunner runner;
  // Not O_CLOEXEC, as a careless library might open it: the hook must not get it.
  const int stray = ::open("/dev/null", O_RDONLY);
  ASSERT_EQ(::dup2(stray, 57), 57);
  ::close(stray);
  const std::string hook =
      Script(dir, "hook", "if [ -e /proc/$$/fd/57 ]; then echo leaked >&2; exit 9; fi\nexit 0\n");
  const int before = OpenDescriptors();
  ProcessRequest request = Request({hook});
  request.stdin_data = std::string(4 << 20, 'j');  // far more than a pipe holds
  for (int i = 0; i < 3; ++i) {
    const ProcessResult r = runner.Run(request);  // EPIPE, not SIGPIPE: this process lives on
    EXPECT_EQ(r.exit_code, 0) << r.stderr_head;
  }
  EXPECT_EQ(OpenDescriptors(), before);
  ::close(57);
}

TEST(PosixProcessRunner, SeveralThreadsMayRunHooksAtOnce) {
  testing::TempDir dir;
  PosixProcessRunner runner;
  const std::string hook = Script(dir, "hook", "cat > /dev/null\necho \"$1\" >&2\nexit \"$1\"\n");
  std::vector<std::thread> threads;
  std::vector<ProcessResult> results(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      ProcessRequest request = Request({hook, std::to_string(i)});
      request.stdin_data = std::string(100000, 'a');
      results[i] = runner.Run(request);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(results[i].exit_code, i);
    EXPECT_EQ(results[i].stderr_head, std::to_string(i) + "\n");
  }
}

}  // namespace
}  // namespace adu
