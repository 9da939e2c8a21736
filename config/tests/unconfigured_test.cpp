// IsUnconfiguredExample: the shipped example is recognised until someone starts filling it in.
#include "adu/config/unconfigured.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "adu/config/config.h"
#include "adu/testing/temp_dir.h"

namespace adu::config {
namespace {

std::string ShippedExample() {
  std::ifstream in(std::string(ADU_SOURCE_DIR) + "/packaging/config.yaml");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(UnconfiguredExampleTest, TheShippedExampleAsInstalled) {
  testing::TempDir dir;
  const std::string example = ShippedExample();
  ASSERT_NE(example.find("REPLACE-ME"), std::string::npos);
  EXPECT_TRUE(IsUnconfiguredExample(dir.Write("config.yaml", example)));
  // ...with comments or unrelated settings changed it is still unconfigured.
  EXPECT_TRUE(IsUnconfiguredExample(dir.Write("edited.yaml", example + "\nlog_level: debug\n")));
}

TEST(UnconfiguredExampleTest, OneFilledInValueMakesItAConfiguration) {
  testing::TempDir dir;
  const std::string partly =
      Replace(ShippedExample(), "instance_id: REPLACE-ME", "instance_id: blue");
  const std::string path = dir.Write("config.yaml", partly);
  EXPECT_FALSE(IsUnconfiguredExample(path));
  // ...and LoadConfig still refuses it: a real error, reported with exit 78.
  EXPECT_FALSE(LoadConfig(path).ok());
}

TEST(UnconfiguredExampleTest, OtherFilesAreNotTheExample) {
  testing::TempDir dir;
  EXPECT_FALSE(IsUnconfiguredExample(dir.File("missing.yaml")));
  EXPECT_FALSE(IsUnconfiguredExample(dir.Write("broken.yaml", "endpoint: [REPLACE-ME\n")));
  EXPECT_FALSE(IsUnconfiguredExample(dir.Write("list.yaml", "- REPLACE-ME\n")));
  EXPECT_FALSE(IsUnconfiguredExample(
      dir.Write("valid.yaml", "endpoint: http://127.0.0.1:8080\ninstance_id: blue\n")));
  // Placeholders somewhere else than the values the example asks for do not count.
  EXPECT_FALSE(IsUnconfiguredExample(dir.Write(
      "other.yaml", "endpoint: REPLACE-ME\ninstance_id: REPLACE-ME\nauth: {method: none}\n")));
}

}  // namespace
}  // namespace adu::config
