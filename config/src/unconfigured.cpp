#include "adu/config/unconfigured.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <string_view>

#include "files.h"
#include "text.h"

namespace adu::config {
namespace {

// The placeholder schema.cpp refuses, and the keys packaging/config.yaml ships it in.
constexpr std::string_view kPlaceholder = "REPLACE-ME";
constexpr std::array<std::array<const char*, 2>, 4> kFillInKeys = {{
    {"endpoint", nullptr},
    {"instance_id", nullptr},
    {"auth", "tenant_id"},
    {"auth", "client_id"},
}};

bool HoldsPlaceholder(const YAML::Node& root, const std::array<const char*, 2>& key) {
  // Copies, never assignments: assigning to a YAML::Node writes into the document it refers to.
  const YAML::Node first = root[key[0]];
  const YAML::Node node =
      key[1] == nullptr ? first : (first.IsMap() ? first[key[1]] : YAML::Node());
  return node.IsScalar() && internal::ContainsIgnoreCase(node.Scalar(), kPlaceholder);
}

}  // namespace

bool IsUnconfiguredExample(const std::string& path) {
  auto text = internal::ReadRegularFile(path, "configuration file");  // never blocks on a FIFO
  if (!text.ok()) return false;
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception&) {
    return false;
  }
  if (!root.IsMap()) return false;
  for (const auto& key : kFillInKeys) {
    if (!HoldsPlaceholder(root, key)) return false;
  }
  return true;
}

}  // namespace adu::config
