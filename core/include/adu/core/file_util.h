// Reading small files and noticing that a file changed, shared by the config loader, the token
// providers and the daemon's watch-file monitor (POSIX; no third-party code).
//
// - ReadSmallFile never blocks: a FIFO, socket, device or directory is refused before it is read
//   (stat first, then open with O_NONBLOCK and check again with fstat, closing the race where the
//   path is replaced in between), and a file over `max_bytes` is refused (also when it grows while
//   being read), so a wrong path (/dev/zero behind a symlink) cannot eat memory.
// - Errors are the reason only, without the path, e.g. "No such file or directory",
//   "it is a FIFO, not a regular file", "it is larger than 65536 bytes": each caller words its
//   own message around it.
// - A FileStamp identifies a file's content: a rename over it (new inode, or another file
//   system), a rewrite (size, mtime) or a touch (mtime) changes it; a missing file has a stamp too
//   (exists == false), so "appeared" and "disappeared" are changes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "adu/core/result.h"

namespace adu {

struct FileStamp {
  bool exists = false;
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;  // since the epoch
  bool operator==(const FileStamp&) const = default;
};

// The stamp of what is at `path` now (stat, following links); exists == false when stat fails.
FileStamp StampOf(const std::string& path);

struct FileContent {
  std::string data;
  uint32_t mode = 0;  // st_mode: type and permission bits
  FileStamp stamp;
};

// The whole content of the regular file at `path`, at most `max_bytes`. `seen`, when given, gets
// the stamp of what was found at the path, on failure too (a missing file is a state).
Result<FileContent> ReadSmallFile(const std::string& path, size_t max_bytes,
                                  FileStamp* seen = nullptr);

}  // namespace adu
