#include "files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace adu::config::internal {
namespace {

// Far above any sensible configuration or watch list (1,000 IDs take ~45 KiB); keeps a wrong path
// (a disk image, /dev/zero behind a symlink) from eating memory.
constexpr off_t kMaxSize = 16 * 1024 * 1024;

std::string TypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<std::string> ReadRegularFile(const std::string& path, const std::string& what) {
  const std::string prefix = path + ": cannot read the " + what + ": ";
  if (path.empty()) return Status::Error("the " + what + " path is empty");
  // stat first so a FIFO is never opened; O_NONBLOCK and the fstat below close the race where the
  // path is replaced between the two calls.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Error(prefix + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::Error(prefix + "it is " + TypeName(st.st_mode) + ", not a regular file");
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return Status::Error(prefix + std::strerror(errno));
  if (::fstat(fd.get(), &st) != 0) return Status::Error(prefix + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::Error(prefix + "it is " + TypeName(st.st_mode) + ", not a regular file");
  }
  if (st.st_size > kMaxSize) {
    return Status::Error(prefix + "it is larger than " + std::to_string(kMaxSize) + " bytes");
  }
  std::string content;
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(prefix + std::strerror(errno));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > static_cast<size_t>(kMaxSize)) {
      return Status::Error(prefix + "it is larger than " + std::to_string(kMaxSize) + " bytes");
    }
  }
  return content;
}

}  // namespace adu::config::internal
