#include "textfile.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "families.h"

namespace adu::metrics {
namespace {

// Next to the target, so the rename stays on one filesystem; not *.prom, so node_exporter never
// reads a half-written file.
std::string TempPathOf(const std::string& path) { return path + ".tmp"; }

std::string DirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

Status WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error(std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status TextfileWriter::CheckDirectory(const std::string& path) {
  const std::string dir = DirectoryOf(path);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Status::Error("directory " + dir + " " +
                         (errno == ENOENT
                              ? std::string("does not exist")
                              : std::string("cannot be read: ") + std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) return Status::Error(dir + " is not a directory");
  const std::string probe = TempPathOf(path);
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return Status::Error("cannot create files in directory " + dir + ": " + std::strerror(errno) +
                         " (uid " + std::to_string(::geteuid()) + ")");
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

TextfileWriter::TextfileWriter(std::string path, std::shared_ptr<prometheus::Collectable> source,
                               Duration period, std::shared_ptr<spdlog::logger> logger)
    : path_(std::move(path)),
      source_(std::move(source)),
      period_(period),
      log_(std::move(logger)) {}

TextfileWriter::~TextfileWriter() { Stop(); }

void TextfileWriter::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void TextfileWriter::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (Status st = WriteNow(); !st.ok()) log_->warn("metrics.textfile: {}", st.message());
}

void TextfileWriter::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const Status st = WriteNow();
    lock.lock();
    if (!st.ok() && !failing_) {
      log_->warn("metrics.textfile: {} (retrying every {} s)", st.message(),
                 std::chrono::duration_cast<std::chrono::seconds>(period_).count());
    } else if (st.ok() && failing_) {
      log_->info("metrics.textfile: {} written again", path_);
    }
    failing_ = !st.ok();
    cv_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

Status TextfileWriter::WriteNow() {
  const std::string text = ExpositionText(source_->Collect());
  const std::string tmp = TempPathOf(path_);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Status::Error("cannot write " + tmp + ": " + std::strerror(errno));
  Status st = WriteAll(fd, text);
  if (st.ok() && ::fchmod(fd, 0644) != 0) st = Status::Error(std::strerror(errno));
  if (::close(fd) != 0 && st.ok()) st = Status::Error(std::strerror(errno));
  if (st.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0)
    st = Status::Error(std::strerror(errno));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return Status::Error("cannot write " + path_ + ": " + st.message());
  }
  return Status::Ok();
}

}  // namespace adu::metrics
