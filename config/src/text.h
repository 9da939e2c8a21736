// Small string helpers shared by the loader's parts (internal).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace adu::config::internal {

// `text` in double quotes with `"`, `\` and non-printable bytes escaped, so an error line stays one
// line whatever the user wrote.
std::string Quote(std::string_view text);

std::string ToLower(std::string_view text);
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);
std::string_view Trim(std::string_view text);

// Optimal string alignment distance (a swap of two neighbours counts as one edit),
// case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo, else nullopt.
std::optional<std::string_view> ClosestMatch(std::string_view word,
                                             std::span<const std::string_view> candidates);

// "a, b or c"
std::string JoinChoices(std::span<const std::string_view> choices);

}  // namespace adu::config::internal
