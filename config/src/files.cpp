#include "files.h"

#include "adu/core/file_util.h"

namespace adu::config::internal {
namespace {

// Far above any sensible configuration or watch list (1,000 IDs take ~45 KiB); keeps a wrong path
// (a disk image, /dev/zero behind a symlink) from eating memory.
constexpr size_t kMaxSize = 16 * 1024 * 1024;

}  // namespace

Result<std::string> ReadRegularFile(const std::string& path, const std::string& what) {
  if (path.empty()) return Status::Error("the " + what + " path is empty");
  auto content = ReadSmallFile(path, kMaxSize);
  if (!content) return Status::Error(path + ": cannot read the " + what + ": " + content.error());
  return std::move(content->data);
}

std::string Resolve(const std::filesystem::path& base_dir, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return path;
  return (base_dir / p).string();
}

}  // namespace adu::config::internal
