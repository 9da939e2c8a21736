// The `notify:` list and `notify_retry_for` (internal): read and validated apart from the rest of
// the schema so the loader only calls in.
#pragma once

#include <filesystem>

#include "adu/config/config.h"
#include "schema.h"

namespace adu::config::internal {

// Reads `notify` and `notify_retry_for` from the top-level map into `cfg`; reports every bad
// entry to the map's Diagnostics. Checks that files exist and are readable or executable, never
// reads a secret.
void ReadNotify(const MapReader& top, Diagnostics& diag, const std::filesystem::path& base_dir,
                Config& cfg);

// check-config's "notify" line: each target's name, kind, scheme://host (never the URL's path,
// a capability) or program, and whether it signs.
std::string NotifySummary(const Config& cfg);

}  // namespace adu::config::internal
