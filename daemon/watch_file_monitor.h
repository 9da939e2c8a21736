// Notices changes to the watch file, so the watch list follows it without a signal.
//
// inotify on the file's directory, not the file: editors and config tools replace files by
// renaming. Events are debounced (a reload 300 ms after the last one, so a file written in
// several steps is read once). Where inotify is unavailable the file's stamp (inode, size,
// mtime) is compared every 2 s instead. It decides only *when* the file changed; reading it is
// the caller's.
//
// Thread-safety: one thread (the supervisor's).
#pragma once

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>

#include "adu/core/clock.h"
#include "adu/core/file_util.h"

namespace adu::daemon {

class WatchFileMonitor {
 public:
  WatchFileMonitor() = default;
  ~WatchFileMonitor();
  WatchFileMonitor(const WatchFileMonitor&) = delete;
  WatchFileMonitor& operator=(const WatchFileMonitor&) = delete;

  // Watches `path` from now on (nullopt: nothing), replacing the previous file; its current
  // content is the baseline.
  void Watch(const std::optional<std::string>& path, MonoTime now);
  // The current content is the baseline (after the caller read the file for another reason).
  void Rebaseline();

  // The inotify descriptor to poll for POLLIN; -1 when there is none.
  int fd() const { return inotify_fd_; }
  // When TakeChange() next has something to look at; nullopt: only when fd() is readable.
  std::optional<MonoTime> NextWake() const;
  // fd() was readable: reads its events and schedules a debounced look.
  void OnReadable(MonoTime now);
  // True once per change of the file's content, when a look is due at `now`.
  bool TakeChange(MonoTime now);

 private:
  bool polling() const { return path_ && watch_descriptor_ < 0; }

  std::optional<std::string> path_;
  std::string file_name_;  // the name inotify events carry
  int inotify_fd_ = -1;
  int watch_descriptor_ = -1;
  FileStamp stamp_;
  std::optional<MonoTime> debounced_look_at_;
  MonoTime next_stamp_check_{};
};

}  // namespace adu::daemon
