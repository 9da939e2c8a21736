// The schema walker behind the loader (internal).
//
// A MapReader wraps one YAML map together with the keys it may contain. Constructing it reports
// unknown keys (with a "did you mean" hint), duplicate keys and non-scalar keys; its typed getters
// read one key each and report a wrong type or value. Every report goes to a Diagnostics as
// `FILE:LINE:COL: key.path: message` with 1-based line and column; the loader returns the first one
// in document order, so errors read top to bottom like a compiler's.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/result.h"

namespace adu::config::internal {

class Diagnostics {
 public:
  // `all_paths`: every key path of the schema ("poll.interval", ...), for hints about a key written
  // at the wrong level. Must outlive the Diagnostics.
  explicit Diagnostics(std::string file, std::span<const std::string_view> all_paths = {});

  const std::string& file() const { return file_; }
  std::span<const std::string_view> all_paths() const { return all_paths_; }

  // `key_path` may be empty (the message then follows the position directly).
  void Add(const YAML::Mark& mark, std::string_view key_path, std::string_view message);
  bool ok() const { return errors_.empty(); }
  // The first error in document order; only valid when !ok().
  Status First() const;

  std::string Origin(const YAML::Mark& mark) const;  // "file:line"

 private:
  struct Entry {
    int line;
    int column;
    size_t order;
    std::string text;
  };
  std::string file_;
  std::span<const std::string_view> all_paths_;
  std::vector<Entry> errors_;
};

enum class Need { kOptional, kRequired };

class MapReader {
 public:
  // `node` is the map; null or undefined counts as an empty map. `where` is reported for a wrong
  // type and for missing required keys when the map has no position of its own. `path` is the
  // key path of the map itself ("" at the top level, "poll", "watch[3]").
  MapReader(Diagnostics& diag, const YAML::Node& node, const YAML::Mark& where, std::string path,
            std::initializer_list<std::string_view> known);

  // False when the node was not a map (already reported); getters then read nothing.
  bool valid() const { return valid_; }

  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // The value node; an undefined node when the key is absent.
  YAML::Node Get(std::string_view key) const;
  // Where to point for `key`: its value, or the key itself when the value is null, or the map when
  // the key is absent.
  YAML::Mark MarkOf(std::string_view key) const;
  // Where `key` itself is written, or the map when the key is absent.
  YAML::Mark KeyMarkOf(std::string_view key) const;
  std::string PathOf(std::string_view key) const;
  void Error(std::string_view key, std::string_view message) const;

  // Each getter returns nullopt (and leaves its output alone) when the key is absent or invalid;
  // an invalid value has been reported.
  std::optional<std::string> String(std::string_view key, Need need = Need::kOptional) const;
  void Int(std::string_view key, int& out, int min, int max) const;
  void Bool(std::string_view key, bool& out) const;
  std::optional<Duration> Dur(std::string_view key, Duration min, Duration max) const;
  void Dur(std::string_view key, Duration& out, Duration min, Duration max) const;
  // The index of the value in `choices`.
  std::optional<size_t> Choice(std::string_view key, std::span<const std::string_view> choices,
                               Need need = Need::kOptional) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const Entry* Find(std::string_view key) const;
  // The scalar text of `key`, or nullopt (reported when present but not a scalar).
  std::optional<std::string> Scalar(std::string_view key, std::string_view expected,
                                    Need need) const;

  Diagnostics& diag_;
  YAML::Mark where_;
  std::string path_;
  bool valid_ = true;
  std::vector<Entry> entries_;
};

// `"text" is not one of a, b or c`, with a "did you mean" hint when one is close.
std::string NotAChoiceMessage(std::string_view text, std::span<const std::string_view> choices);

// What a YAML node is, for messages: "a map", "a list", "a string", "empty".
std::string_view NodeKind(const YAML::Node& node);

}  // namespace adu::config::internal
