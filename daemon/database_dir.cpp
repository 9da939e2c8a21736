#include "database_dir.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace adu::daemon {
namespace {

std::string DirectoryOf(const std::string& database) {
  std::string dir = std::filesystem::path(database).parent_path().string();
  return dir.empty() ? "." : dir;
}

bool InsideStateDirectory(const std::string& dir) {
  const std::string state = kStateDirectory;
  return dir == state || dir.rfind(state + "/", 0) == 0;
}

std::string HowToAllow(const std::string& dir) {
  return "give the service write access with 'systemctl edit adu-opwatch' and [Service] "
         "ReadWritePaths=" +
         dir + " (ProtectSystem=strict makes everything outside " + kStateDirectory +
         " read-only), or put the database under " + kStateDirectory +
         " (see /usr/share/doc/adu-opwatch/install.md)";
}

}  // namespace

Status CheckDatabaseDirectory(const std::string& database) {
  const std::string dir = DirectoryOf(database);
  // SQLite needs the directory writable too: it creates the -wal and -shm files beside the
  // database.
  if (::access(dir.c_str(), W_OK) == 0) return Status::Ok();
  const int err = errno;
  std::string why = "database " + database + ": directory " + dir + " ";
  if (err == EROFS) {
    why += "is read-only for the service: " + HowToAllow(dir);
  } else if (err == ENOENT) {
    why += "does not exist: create it (owned by adu-opwatch) or put the database under " +
           std::string(kStateDirectory);
  } else {
    why += "is not writable (" + std::string(std::strerror(err)) + "): " + HowToAllow(dir) +
           "; the directory must be writable by user adu-opwatch";
  }
  return Status::Config(why);
}

std::optional<std::string> DatabaseLocationNote(const std::string& database) {
  const std::string dir = DirectoryOf(database);
  if (InsideStateDirectory(dir)) return std::nullopt;
  return "note: database " + database + " is outside " + kStateDirectory +
         ": under the packaged unit the daemon can only write there unless you " +
         "add ReadWritePaths=" + dir + " ('systemctl edit adu-opwatch', [Service] section)";
}

}  // namespace adu::daemon
