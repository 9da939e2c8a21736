// Reading the configuration's files without ever blocking (internal).
#pragma once

#include <filesystem>
#include <string>

#include "adu/core/result.h"

namespace adu::config::internal {

// The whole content of the regular file at `path`. Errors name the path and the reason, e.g.
// `/etc/x.yaml: cannot read the configuration file: No such file or directory`; a directory, FIFO,
// socket or device is refused without blocking. `what` is "configuration file" or "watch file".
Result<std::string> ReadRegularFile(const std::string& path, const std::string& what);

// `path` as written in a file of `base_dir`: a relative path is taken from that directory, as
// a reader of the file would; an absolute one (or no directory) as is.
std::string Resolve(const std::filesystem::path& base_dir, const std::string& path);

}  // namespace adu::config::internal
