// The input file of a provider (the client secret, the token file), read whole and watched for
// changes (internal to the token providers).
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "adu/core/file_util.h"
#include "adu/core/result.h"

namespace adu::client::internal {

// The last stamp a provider read its input file at, shared by its fetch and its change check.
class InputFile {
 public:
  explicit InputFile(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  // The file's content (adu::ReadSmallFile), recording what was seen (also on failure: "missing"
  // is a state too). Errors read "cannot read PATH: REASON".
  Result<FileContent> Read(size_t max_bytes);

  // True when the file changed since the last Read; false before the first Read.
  bool Changed();

 private:
  const std::string path_;
  std::mutex mu_;
  std::optional<FileStamp> seen_;  // nullopt: never read
};

}  // namespace adu::client::internal
