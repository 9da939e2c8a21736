// Validated JSON over simdjson's DOM parser, shared by the operation codec and the token
// decoder: one way to check depth, parse and read fields, all with error codes (no throws).
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "adu/core/result.h"

namespace adu::client::internal {

// A body copied into simdjson's padded buffer and parsed (validated) into a DOM. `root` points
// into the calling thread's parser: valid until the next ParseJson on this thread.
struct ParsedJson {
  simdjson::padded_string text;
  simdjson::dom::element root;
};

// Rejects an empty body and nesting deeper than `max_depth` before parsing (the parser is
// recursive), then validates the whole body (UTF-8, numbers, literals).
Status ParseJson(std::string_view body, int max_depth, ParsedJson& out);

// The member `key` (the first one, should a key repeat), or nullopt when absent or null.
std::optional<simdjson::dom::element> JsonField(simdjson::dom::object obj, std::string_view key);

// The member `key` when it is a string; nullopt when absent, null or of another type.
std::optional<std::string_view> JsonStringField(simdjson::dom::object obj, std::string_view key);

}  // namespace adu::client::internal
