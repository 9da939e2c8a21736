// The `Retry-After` header (RFC 9110 10.2.3): delta-seconds or an HTTP-date.
//
// Pure function, thread-safe, never throws: it sees untrusted server input (fuzz target).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "adu/core/domain.h"

namespace adu::client {

// The longest wait this parser reports: larger values (and overflowing ones) become this, so a
// hostile or broken server cannot push a poll into the far future; the engine clamps further.
inline constexpr std::chrono::seconds kMaxRetryAfter{86400};

// `value` is the header value. Delta-seconds ("120"; surrounding whitespace allowed) or an
// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), converted to seconds after `now` (a date in the
// past yields 0). Empty, negative, fractional or otherwise malformed values yield nullopt.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, WallTime now);

}  // namespace adu::client
