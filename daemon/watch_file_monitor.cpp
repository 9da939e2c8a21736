#include "watch_file_monitor.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace adu::daemon {
namespace {

using namespace std::chrono_literals;

constexpr Duration kDebounce = 300ms;
constexpr Duration kStampInterval = 2s;

}  // namespace

WatchFileMonitor::~WatchFileMonitor() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

void WatchFileMonitor::Watch(const std::optional<std::string>& path, MonoTime now) {
  if (inotify_fd_ >= 0 && watch_descriptor_ >= 0) inotify_rm_watch(inotify_fd_, watch_descriptor_);
  watch_descriptor_ = -1;
  debounced_look_at_.reset();
  path_ = path;
  next_stamp_check_ = now + kStampInterval;
  if (!path_) return;
  stamp_ = StampOf(*path_);
  const std::filesystem::path file(*path_);
  file_name_ = file.filename().string();
  if (inotify_fd_ < 0) inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) return;  // polling() covers it
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  watch_descriptor_ = inotify_add_watch(
      inotify_fd_, dir.c_str(),
      IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_ATTRIB | IN_MODIFY);
}

void WatchFileMonitor::Rebaseline() {
  if (path_) stamp_ = StampOf(*path_);
}

std::optional<MonoTime> WatchFileMonitor::NextWake() const {
  std::optional<MonoTime> wake = debounced_look_at_;
  if (polling() && (!wake || next_stamp_check_ < *wake)) wake = next_stamp_check_;
  return wake;
}

void WatchFileMonitor::OnReadable(MonoTime now) {
  alignas(inotify_event) char buf[4096];
  ssize_t len;
  while ((len = ::read(inotify_fd_, buf, sizeof buf)) > 0) {
    for (char* p = buf; p < buf + len;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      if (path_ && ev->len > 0 && file_name_ == ev->name) debounced_look_at_ = now + kDebounce;
      p += sizeof(inotify_event) + ev->len;
    }
  }
}

bool WatchFileMonitor::TakeChange(MonoTime now) {
  bool look = false;
  if (debounced_look_at_ && now >= *debounced_look_at_) {
    debounced_look_at_.reset();
    look = true;
  }
  if (polling() && now >= next_stamp_check_) {
    next_stamp_check_ = now + kStampInterval;
    look = true;
  }
  if (!look || !path_) return false;
  const FileStamp stamp = StampOf(*path_);
  if (stamp == stamp_) return false;
  stamp_ = stamp;
  return true;
}

}  // namespace adu::daemon
