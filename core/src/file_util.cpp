#include "adu/core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace adu {
namespace {

FileStamp StampOfStat(const struct stat& st) {
  FileStamp s;
  s.exists = true;
  s.device = static_cast<uint64_t>(st.st_dev);
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.size = static_cast<int64_t>(st.st_size);
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return s;
}

std::string NotRegular(mode_t mode) {
  if (S_ISDIR(mode)) return "it is a directory, not a regular file";
  if (S_ISFIFO(mode)) return "it is a FIFO, not a regular file";
  if (S_ISSOCK(mode)) return "it is a socket, not a regular file";
  if (S_ISCHR(mode)) return "it is a character device, not a regular file";
  if (S_ISBLK(mode)) return "it is a block device, not a regular file";
  return "it is not a regular file";
}

Status TooLarge(size_t max_bytes) {
  return Status::Error("it is larger than " + std::to_string(max_bytes) + " bytes");
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

// Reads `fd` to its end, failing as soon as more than `max_bytes` arrived.
Result<std::string> ReadAll(int fd, size_t max_bytes) {
  std::string content;
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(std::strerror(errno));
    }
    if (n == 0) return content;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > max_bytes) return TooLarge(max_bytes);
  }
}

// The checks made on the stat before opening and on the fstat after.
Status CheckRegular(const struct stat& st, size_t max_bytes) {
  if (!S_ISREG(st.st_mode)) return Status::Error(NotRegular(st.st_mode));
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return TooLarge(max_bytes);
  return Status::Ok();
}

}  // namespace

FileStamp StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileStamp{};
  return StampOfStat(st);
}

Result<FileContent> ReadSmallFile(const std::string& path, size_t max_bytes, FileStamp* seen) {
  FileStamp ignored;
  FileStamp& stamp = seen != nullptr ? *seen : ignored;
  stamp = FileStamp{};
  // stat first so a FIFO is never opened.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Error(std::strerror(errno));
  stamp = StampOfStat(st);
  if (Status s = CheckRegular(st, max_bytes); !s) return s;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return Status::Error(std::strerror(errno));
  if (::fstat(fd.get(), &st) != 0) return Status::Error(std::strerror(errno));
  stamp = StampOfStat(st);
  if (Status s = CheckRegular(st, max_bytes); !s) return s;
  auto data = ReadAll(fd.get(), max_bytes);
  if (!data) return data.status();
  FileContent out;
  out.data = std::move(*data);
  out.mode = static_cast<uint32_t>(st.st_mode);
  out.stamp = stamp;
  return out;
}

}  // namespace adu
