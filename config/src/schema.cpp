#include "schema.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "adu/config/config.h"
#include "text.h"

namespace adu::config::internal {
namespace {

constexpr std::string_view kDocHint = "(see /usr/share/doc/adu-opwatch/configuration.md)";
constexpr std::string_view kPlaceholder = "REPLACE-ME";

// What the shipped example asks the administrator to fill in, by key path.
std::string FillInWhat(std::string_view path) {
  if (path == "endpoint") return "your Device Update account endpoint";
  if (path == "instance_id") return "your Device Update instance name";
  if (path == "auth.tenant_id") return "your Microsoft Entra tenant ID";
  if (path == "auth.client_id") return "your application's client ID";
  return "this value";
}

// Keys that are refused for a reason worth more than "unknown key".
std::optional<std::string_view> Explanation(std::string_view path) {
  if (path == "auth.client_secret") {
    return "a secret is never written in the configuration: put it in a file readable only by "
           "the service and give its path as auth.client_secret_file (or pass it as the systemd "
           "credential client-secret)";
  }
  return std::nullopt;
}

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

// The schema path whose last part is (nearly) `key`, for a key written at the wrong level:
// "interval" at the top means poll.interval. Short keys must match exactly.
std::optional<std::string_view> SameKeyElsewhere(std::string_view key,
                                                 std::span<const std::string_view> all_paths) {
  for (std::string_view p : all_paths) {
    const size_t dot = p.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? p : p.substr(dot + 1);
    if (EditDistance(last, key) <= (key.size() <= 4 ? 0u : 1u)) return p;
  }
  return std::nullopt;
}

// "unknown key" and the most useful hint: why the key is refused, the known key it is a typo
// of, the level it belongs at, or the keys known here.
std::string UnknownKeyMessage(std::string_view map_path, const std::string& key,
                              std::span<const std::string_view> known_keys,
                              std::span<const std::string_view> all_paths) {
  std::string message = "unknown key";
  if (auto why = Explanation(Join(map_path, key))) return message + ": " + std::string(*why);
  if (auto near = ClosestMatch(key, known_keys)) {
    return message + "; did you mean " + Join(map_path, *near) + "?";
  }
  const auto elsewhere = SameKeyElsewhere(key, all_paths);
  if (!elsewhere) return message + " (known keys here: " + JoinChoices(known_keys) + ")";
  message += "; did you mean " + std::string(*elsewhere) + "? (it belongs ";
  const size_t dot = elsewhere->rfind('.');
  message += dot == std::string_view::npos
                 ? std::string("at the top level)")
                 : "under " + std::string(elsewhere->substr(0, dot)) + ":)";
  return message;
}

}  // namespace

std::string_view NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    default:
      return "empty";
  }
}

Diagnostics::Diagnostics(std::string file, std::span<const std::string_view> all_paths)
    : file_(std::move(file)), all_paths_(all_paths) {}

void Diagnostics::Add(const YAML::Mark& mark, std::string_view key_path, std::string_view message) {
  // yaml-cpp counts from 0 and uses -1 for "no position" (e.g. a node built in code).
  const int line = mark.line < 0 ? 1 : mark.line + 1;
  const int column = mark.column < 0 ? 1 : mark.column + 1;
  std::string text = file_ + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!key_path.empty()) {
    text += key_path;
    text += ": ";
  }
  text += message;
  // One line whatever the parts hold: yaml-cpp's own messages quote the offending character raw
  // ("unknown escape character: " + a newline; found by the config fuzz target), and a file
  // name may hold control characters too.
  std::string one_line;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      one_line += ch;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      one_line += "\\x";
      one_line += kHex[c >> 4];
      one_line += kHex[c & 0xf];
    }
  }
  errors_.push_back({line, column, errors_.size(), std::move(one_line)});
}

Status Diagnostics::First() const {
  const auto first = std::min_element(errors_.begin(), errors_.end(), [](auto& a, auto& b) {
    return std::tie(a.line, a.column, a.order) < std::tie(b.line, b.column, b.order);
  });
  return Status::Error(first->text);
}

std::string Diagnostics::Origin(const YAML::Mark& mark) const {
  return file_ + ":" + std::to_string(mark.line < 0 ? 1 : mark.line + 1);
}

MapReader::MapReader(Diagnostics& diag, const YAML::Node& node, const YAML::Mark& where,
                     std::string path, std::initializer_list<std::string_view> known)
    : diag_(diag), where_(where), path_(std::move(path)) {
  if (!node.IsDefined() || node.IsNull()) return;  // empty map: only required keys can fail
  if (!node.IsMap()) {
    valid_ = false;
    diag_.Add(node.Mark(), path_, "expected a map of keys, found " + std::string(NodeKind(node)));
    return;
  }
  where_ = node.Mark();
  const std::vector<std::string_view> known_keys(known);
  for (auto it = node.begin(); it != node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair (a reference would dangle).
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    if (!key_node.IsScalar()) {
      diag_.Add(key_node.Mark(), path_,
                "a key must be a plain name, found " + std::string(NodeKind(key_node)));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string full = Join(path_, key);
    if (std::find(known_keys.begin(), known_keys.end(), key) == known_keys.end()) {
      diag_.Add(key_node.Mark(), full,
                UnknownKeyMessage(path_, key, known_keys, diag_.all_paths()));
      continue;
    }
    if (const Entry* first = Find(key)) {
      diag_.Add(key_node.Mark(), full,
                "duplicate key (already set at line " +
                    std::to_string(first->key_node.Mark().line + 1) + ")");
      continue;
    }
    entries_.push_back({key, key_node, value});
  }
}

const MapReader::Entry* MapReader::Find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

YAML::Node MapReader::Get(std::string_view key) const {
  const Entry* e = Find(key);
  return e ? e->value : YAML::Node(YAML::NodeType::Undefined);
}

YAML::Mark MapReader::MarkOf(std::string_view key) const {
  const Entry* e = Find(key);
  if (!e) return where_;
  return e->value.IsNull() ? e->key_node.Mark() : e->value.Mark();
}

YAML::Mark MapReader::KeyMarkOf(std::string_view key) const {
  const Entry* e = Find(key);
  return e ? e->key_node.Mark() : where_;
}

std::string MapReader::PathOf(std::string_view key) const { return Join(path_, key); }

void MapReader::Error(std::string_view key, std::string_view message) const {
  diag_.Add(MarkOf(key), PathOf(key), message);
}

std::optional<std::string> MapReader::Scalar(std::string_view key, std::string_view expected,
                                             Need need) const {
  if (!valid_) return std::nullopt;
  const Entry* e = Find(key);
  if (!e) {
    if (need == Need::kRequired) Error(key, "required key is missing");
    return std::nullopt;
  }
  if (e->value.IsNull()) {
    Error(key, "has no value (expected " + std::string(expected) + ")");
    return std::nullopt;
  }
  if (!e->value.IsScalar()) {
    Error(key, "expected " + std::string(expected) + ", found " + std::string(NodeKind(e->value)));
    return std::nullopt;
  }
  return e->value.Scalar();
}

std::optional<std::string> MapReader::String(std::string_view key, Need need) const {
  auto text = Scalar(key, "a string", need);
  if (!text) return std::nullopt;
  if (ContainsIgnoreCase(*text, kPlaceholder)) {
    Error(key, "fill in " + FillInWhat(PathOf(key)) + " " + std::string(kDocHint));
    return std::nullopt;
  }
  if (text->empty()) {
    Error(key, "must not be empty");
    return std::nullopt;
  }
  return text;
}

void MapReader::Int(std::string_view key, int& out, int min, int max) const {
  auto text = Scalar(key, "an integer", Need::kOptional);
  if (!text) return;
  int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ptr != end || begin == end || ec == std::errc::invalid_argument) {
    Error(key, Quote(*text) + " is not an integer");
    return;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    const std::string range =
        max == INT32_MAX ? "at least " + std::to_string(min)
                         : "between " + std::to_string(min) + " and " + std::to_string(max);
    Error(key, "must be " + range + " (got " + *text + ")");
    return;
  }
  out = static_cast<int>(value);
}

void MapReader::Bool(std::string_view key, bool& out) const {
  auto text = Scalar(key, "true or false", Need::kOptional);
  if (!text) return;
  const std::string lower = ToLower(*text);
  if (lower == "true" || lower == "yes" || lower == "on") {
    out = true;
  } else if (lower == "false" || lower == "no" || lower == "off") {
    out = false;
  } else {
    Error(key, Quote(*text) + " is not a boolean (use true or false)");
  }
}

std::optional<Duration> MapReader::Dur(std::string_view key, Duration min, Duration max) const {
  auto text = Scalar(key, "a duration such as 30s", Need::kOptional);
  if (!text) return std::nullopt;
  auto d = ParseDuration(*text);
  if (!d) {
    Error(key, d.error());
    return std::nullopt;
  }
  if (*d < min) {
    Error(key, *text + " is too short (at least " + FormatDuration(min) + ")");
    return std::nullopt;
  }
  if (*d > max) {
    Error(key, *text + " is too long (at most " + FormatDuration(max) + ")");
    return std::nullopt;
  }
  return *d;
}

void MapReader::Dur(std::string_view key, Duration& out, Duration min, Duration max) const {
  if (auto d = Dur(key, min, max)) out = *d;
}

std::optional<size_t> MapReader::Choice(std::string_view key,
                                        std::span<const std::string_view> choices,
                                        Need need) const {
  auto text = Scalar(key, "one of " + JoinChoices(choices), need);
  if (!text) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == *text) return i;
  }
  Error(key, NotAChoiceMessage(*text, choices));
  return std::nullopt;
}

std::string NotAChoiceMessage(std::string_view text, std::span<const std::string_view> choices) {
  std::string message = Quote(text) + " is not one of " + JoinChoices(choices);
  if (auto near = ClosestMatch(text, choices)) {
    message += "; did you mean " + std::string(*near) + "?";
  }
  return message;
}

}  // namespace adu::config::internal
