#include "instance.h"

#include <filesystem>

namespace adu::daemon {

void ApplyInstanceDefaults(const std::optional<std::string>& instance, config::Config& config) {
  if (!instance) return;
  const std::filesystem::path shared = config::Config{}.database;
  if (config.database != shared.string()) return;  // the instance's file names its own
  config.database = (shared.parent_path() / (*instance + ".db")).string();
}

std::string LogIdentifier(const std::optional<std::string>& instance) {
  return instance ? "adu-opwatch@" + *instance : "adu-opwatch";
}

std::string StatusPrefix(const std::optional<std::string>& instance) {
  return instance ? *instance + ": " : "";
}

}  // namespace adu::daemon
