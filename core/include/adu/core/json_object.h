// A JSON object written key by key into a string: the one JSON writer of the project (the
// daemon's `--json` output, notification bodies). Keys and string values are escaped with
// AppendJsonString, so untrusted text always yields valid JSON; Raw() values must already be JSON.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adu/core/text.h"

namespace adu {

class JsonObject {
 public:
  // Writes into a buffer of its own: Done() returns the object.
  JsonObject() : out_(own_) { out_ += '{'; }
  // Appends to `out` (e.g. one buffer for a whole `status --json` array); Done() returns "".
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  JsonObject(const JsonObject&) = delete;
  JsonObject& operator=(const JsonObject&) = delete;

  // A string, or null when `v` is nullopt.
  JsonObject& Str(std::string_view key, const std::optional<std::string>& v) {
    Key(key);
    if (v) {
      AppendJsonString(out_, *v);
    } else {
      out_ += "null";
    }
    return *this;
  }
  JsonObject& Int(std::string_view key, std::optional<int64_t> v) {
    Key(key);
    if (v) {
      char buf[24];
      out_.append(buf, std::to_chars(buf, buf + sizeof buf, *v).ptr);
    } else {
      out_ += "null";
    }
    return *this;
  }
  JsonObject& Bool(std::string_view key, bool v) { return Raw(key, v ? "true" : "false"); }
  // `json` verbatim: an object, an array or a literal the caller already wrote.
  JsonObject& Raw(std::string_view key, std::string_view json) {
    Key(key);
    out_.append(json);
    return *this;
  }
  // Closes the object; its text when it wrote into its own buffer.
  std::string Done() {
    out_ += '}';
    return std::move(own_);
  }

 private:
  void Key(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    AppendJsonString(out_, key);
    out_ += ':';
  }
  std::string own_;
  std::string& out_;
  bool first_ = true;
};

// `[a,b,...]` of items that are already JSON.
inline std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += items[i];
  }
  return out + "]";
}

}  // namespace adu
