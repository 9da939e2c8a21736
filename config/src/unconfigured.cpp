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

bool IsPlaceholder(const YAML::Node& node) {
  // IsDefined() first: a missing key yields an invalid node, on which anything else throws.
  return node.IsDefined() && node.IsScalar() &&
         internal::ContainsIgnoreCase(node.Scalar(), kPlaceholder);
}

// Copies, never assignments: assigning to a YAML::Node writes into the document it refers to.
bool HoldsPlaceholder(const YAML::Node& root, const std::array<const char*, 2>& key) {
  const YAML::Node first = root[key[0]];
  if (key[1] == nullptr) return IsPlaceholder(first);
  if (!first.IsDefined() || !first.IsMap()) return false;
  const YAML::Node second = first[key[1]];
  return IsPlaceholder(second);
}

}  // namespace

bool IsUnconfiguredExample(const std::string& path) {
  auto text = internal::ReadRegularFile(path, "configuration file");  // never blocks on a FIFO
  if (!text.ok()) return false;
  try {
    const YAML::Node root = YAML::Load(*text);
    if (!root.IsMap()) return false;
    for (const auto& key : kFillInKeys) {
      if (!HoldsPlaceholder(root, key)) return false;
    }
  } catch (const YAML::Exception&) {
    return false;  // unparsable: LoadConfig says why
  }
  return true;
}

}  // namespace adu::config
