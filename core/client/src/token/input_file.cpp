#include "input_file.h"

namespace adu::client::internal {

Result<FileContent> InputFile::Read(size_t max_bytes) {
  FileStamp stamp;
  auto content = ReadSmallFile(path_, max_bytes, &stamp);
  {
    std::lock_guard lock(mu_);
    seen_ = stamp;
  }
  if (!content) return Status::Error("cannot read " + path_ + ": " + content.error());
  return content;
}

bool InputFile::Changed() {
  std::lock_guard lock(mu_);
  return seen_ && !(StampOf(path_) == *seen_);
}

}  // namespace adu::client::internal
