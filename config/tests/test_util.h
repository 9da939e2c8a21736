// Shared fixture: write a configuration into a scratch directory and load it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "adu/config/config.h"
#include "adu/testing/temp_dir.h"

namespace adu::config::testing {

using adu::testing::TempDir;  // tests/support

// The smallest valid configuration (4 lines).
inline constexpr const char* kMinimal =
    "endpoint: http://127.0.0.1:8080\n"
    "instance_id: blue\n"
    "auth:\n"
    "  method: none\n";

class ConfigFixture : public ::testing::Test {
 protected:
  Result<Config> Load(const std::string& yaml, const std::string& name = "config.yaml") {
    return LoadConfig(dir_.Write(name, yaml));
  }

  // The error for `yaml`, with the scratch directory stripped so expectations read
  // "config.yaml:7:13: ...". Fails the test when the configuration loads.
  std::string Error(const std::string& yaml, const std::string& name = "config.yaml") {
    auto r = Load(yaml, name);
    EXPECT_FALSE(r.ok()) << "loaded:\n" << yaml;
    if (r.ok()) return std::string();
    // Every way loading fails is the user's configuration to fix: the daemon exits 78 on it.
    EXPECT_TRUE(r.status().IsConfig()) << StatusCodeName(r.status().code()) << ": " << r.error();
    return Strip(r.error());
  }

  Config Ok(const std::string& yaml, const std::string& name = "config.yaml") {
    auto r = Load(yaml, name);
    EXPECT_TRUE(r.ok()) << Strip(r.error()) << "\nin:\n" << yaml;
    return r.ok() ? *r : Config{};
  }

  std::string Strip(std::string text) const {
    const std::string prefix = dir_.path() + "/";
    for (size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
    return text;
  }

  TempDir dir_;
};

}  // namespace adu::config::testing
