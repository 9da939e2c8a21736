// Timestamps as the database stores them: ISO-8601 UTC, milliseconds, `Z`
// (`2026-11-27T08:26:56.005Z`), so that string order, SQLite's datetime() and julianday() agree.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adu/core/domain.h"

namespace adu {

std::string FormatTimestamp(WallTime t);

// Parses the service's ISO-8601 forms (`2020-04-22T21:01:43.9401420+00:00`, `...Z`, any offset,
// 0-9 fraction digits) and the daemon's own form. nullopt when `text` is not such a timestamp.
std::optional<WallTime> ParseTimestamp(std::string_view text);

// The service's timestamp in the daemon's form; `text` unchanged when it cannot be parsed.
std::string NormalizeTimestamp(std::string_view text);

}  // namespace adu
