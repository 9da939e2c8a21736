// A recursive JSON parser overflows the stack on a body nested deeply enough, and simdjson's DOM
// limit is far above what any answer needs: every decoder checks the nesting first with this.
#pragma once

#include <string_view>

namespace adu::client::internal {

// False when objects/arrays in `text` nest deeper than `max_depth` (strings are skipped).
inline bool WithinJsonDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

}  // namespace adu::client::internal
