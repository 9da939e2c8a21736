// libFuzzer target: the configuration loader on arbitrary text, both as a configuration file and
// as a watch file. LoadConfig/LoadWatchFile take a path, so each input is written to a private
// temporary file first (the loader's file handling is part of what is tested).
// Invariants: no crash, no sanitizer report; an error is one line naming the file; a loaded
// configuration only watches IDs that pass ValidateOperationId.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "adu/config/config.h"

namespace {

const std::string& InputPath() {
  static const std::string path = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "adu-config-fuzz-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    return tmpl + "/config.yaml";
  }();
  return path;
}

void WriteInput(const uint8_t* data, size_t size) {
  std::FILE* f = std::fopen(InputPath().c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

void CheckError(const std::string& error) {
  if (error.find('\n') != std::string::npos) __builtin_trap();           // one line, always
  if (error.find("config.yaml") == std::string::npos) __builtin_trap();  // names the file
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  WriteInput(data, size);
  if (auto config = adu::config::LoadConfig(InputPath()); config.ok()) {
    for (const auto& entry : config->watch) {
      if (!adu::config::ValidateOperationId(entry.key.id).ok()) __builtin_trap();
    }
    (void)adu::config::Summary(*config);
  } else {
    CheckError(config.error());
  }
  if (auto watch = adu::config::LoadWatchFile(InputPath()); watch.ok()) {
    for (const auto& entry : *watch) {
      if (!adu::config::ValidateOperationId(entry.key.id).ok()) __builtin_trap();
    }
  } else {
    CheckError(watch.error());
  }
  (void)adu::config::ParseDuration(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
