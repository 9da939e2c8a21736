// Small string helpers shared by the loader's parts (internal).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "adu/core/text.h"

namespace adu::config::internal {

// Quote and ToLower are the core's (adu/core/text.h), named here so the loader's parts say
// Quote(...) as before.
using adu::Quote;
using adu::ToLower;

bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);

// Optimal string alignment distance (a swap of two neighbours counts as one edit),
// case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo, else nullopt.
std::optional<std::string_view> ClosestMatch(std::string_view word,
                                             std::span<const std::string_view> candidates);

// "a, b or c"
std::string JoinChoices(std::span<const std::string_view> choices);

}  // namespace adu::config::internal
