#include "adu/core/posix_process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <string>
#include <system_error>
#include <vector>

namespace adu {
namespace {

constexpr const char* kPath = "PATH=/usr/local/bin:/usr/bin:/bin";
// How often the loop looks whether the hook has exited while it waits on its pipes.
constexpr std::chrono::milliseconds kExitPollInterval{20};

std::string ErrnoText(int error) { return std::system_category().message(error); }

// A descriptor closed on scope exit.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// A pipe with both ends O_CLOEXEC (another thread's spawn never inherits them).
bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

// Blocks SIGPIPE on this thread while it writes to a hook's stdin, so a hook that exits without
// reading yields EPIPE instead of killing the daemon; a SIGPIPE this thread raised is consumed
// before the old mask comes back.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool was_pending_ = false;
};

// The first lines of a stream, the rest counted but not kept.
class HeadCapture {
 public:
  void Append(const char* data, size_t n) {
    for (size_t i = 0; i < n && !full(); ++i) {
      head_ += data[i];
      if (data[i] == '\n') ++lines_;
    }
  }
  bool full() const {
    return lines_ >= PosixProcessRunner::kStderrMaxLines ||
           head_.size() >= PosixProcessRunner::kStderrMaxBytes;
  }
  std::string Take() { return std::move(head_); }

 private:
  std::string head_;
  size_t lines_ = 0;
};

// What posix_spawn needs, built before the spawn: C strings that live as long as this object.
struct SpawnStrings {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  explicit SpawnStrings(const ProcessRequest& request) {
    env_storage.emplace_back(kPath);
    for (const auto& [name, value] : request.extra_env) env_storage.push_back(name + "=" + value);
    for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    for (auto& var : env_storage) envp.push_back(var.data());
    envp.push_back(nullptr);
  }
};

// Starts the hook with `stdin_read` as fd 0, `stderr_write` as fd 2, /dev/null as fd 1, in a new
// process group. 0 or an errno value.
int Spawn(const ProcessRequest& request, const Fd& stdin_read, const Fd& stderr_write, pid_t* pid) {
  SpawnStrings strings(request);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, stdin_read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, stderr_write.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addchdir_np(&actions, "/");
  // Descriptors another library opened without O_CLOEXEC must not reach the hook either.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);  // e.g. the daemon's SIG_IGN of SIGPIPE
  const int error = posix_spawn(pid, request.argv.front().c_str(), &actions, &attr,
                                strings.argv.data(), strings.envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return error;
}

// True once `pid` has exited (it stays a zombie, so its process group id cannot be reused
// before the group is killed). A child someone else reaped counts as exited.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno != EINTR;
  }
  return info.si_pid == pid;
}

// Reads what `fd` has now into `capture`; closes it at end of file or on an error.
void ReadAvailable(Fd& fd, HeadCapture& capture) {
  char buf[4096];
  while (fd.open()) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      capture.Append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.Close();  // EOF or an error
  }
}

// Writes as much of `data` from `*offset` as the pipe takes; closes `fd` when all is written or
// the hook closed its end (EPIPE).
void WriteAvailable(Fd& fd, const std::string& data, size_t* offset) {
  while (fd.open() && *offset < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + *offset, data.size() - *offset);
    if (n > 0) {
      *offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.Close();
  }
  if (*offset >= data.size()) fd.Close();
}

// Feeds stdin and reads stderr until the hook exits or `deadline` passes; true when it exited.
bool Supervise(pid_t pid, const ProcessRequest& request, Fd& stdin_write, Fd& stderr_read,
               HeadCapture& capture, std::chrono::steady_clock::time_point deadline) {
  SigpipeBlock sigpipe;
  size_t written = 0;
  WriteAvailable(stdin_write, request.stdin_data, &written);
  while (!HasExited(pid)) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const auto wait =
        std::min<std::chrono::steady_clock::duration>(deadline - now, kExitPollInterval);
    pollfd fds[2] = {{stderr_read.get(), POLLIN, 0}, {stdin_write.get(), POLLOUT, 0}};
    const int timeout_ms =
        static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return HasExited(pid);
    if (fds[0].revents != 0) ReadAvailable(stderr_read, capture);
    if (fds[1].revents != 0) WriteAvailable(stdin_write, request.stdin_data, &written);
  }
  return true;
}

// Kills what is left of the group, keeps what stderr already holds, and reaps the hook.
void Finish(pid_t pid, Fd& stderr_read, HeadCapture& capture, ProcessResult& result) {
  ::kill(-pid, SIGKILL);
  ReadAvailable(stderr_read, capture);
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  result.stderr_head = capture.Take();
  if (reaped != pid) {
    result.error = "its exit status was lost (reaped elsewhere)";
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
}

ProcessResult RunChecked(const ProcessRequest& request) {
  ProcessResult result;
  if (request.argv.empty() || request.argv.front().empty() || request.argv.front()[0] != '/') {
    result.error = "the program must be an absolute path";
    return result;
  }
  Fd stdin_read, stdin_write, stderr_read, stderr_write;
  if (!MakePipe(stdin_read, stdin_write) || !MakePipe(stderr_read, stderr_write)) {
    result.error = "cannot make a pipe: " + ErrnoText(errno);
    return result;
  }
  pid_t pid = -1;
  if (const int error = Spawn(request, stdin_read, stderr_write, &pid); error != 0) {
    result.error = ErrnoText(error);
    return result;
  }
  result.started = true;
  stdin_read.Close();  // the hook's ends: its exit then closes the pipes
  stderr_write.Close();
  ::fcntl(stdin_write.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(stderr_read.get(), F_SETFL, O_NONBLOCK);
  HeadCapture capture;
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  result.timed_out = !Supervise(pid, request, stdin_write, stderr_read, capture, deadline);
  Finish(pid, stderr_read, capture, result);
  return result;
}

}  // namespace

ProcessResult PosixProcessRunner::Run(const ProcessRequest& request) {
  try {
    return RunChecked(request);
  } catch (const std::exception& e) {  // std::bad_alloc building the argv or environment
    ProcessResult result;
    result.error = e.what();
    return result;
  }
}

}  // namespace adu
