// A scratch directory for a test's files (under $TMPDIR, else /tmp), removed with everything in
// it when the object is destroyed, also after the test made parts of it unreadable (chmod 000).
#pragma once

#include <string>

namespace adu::testing {

class TempDir {
 public:
  TempDir();  // fails the test (ADD_FAILURE) when the directory cannot be made
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside the directory (nothing is created).
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to `name` (creating its parent directories) and returns the file's path.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace adu::testing
