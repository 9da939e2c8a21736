// Whether the daemon can write its database where the configuration puts it.
//
// The unit's ProtectSystem=strict makes everything but /var/lib/adu-opwatch (StateDirectory=)
// read-only for the service. A database elsewhere failed deep inside SQLite with exit 1, which
// systemd retried every 5 s forever; this names the unit setting that fixes it instead, as a
// configuration error (exit 78, not restarted).
#pragma once

#include <optional>
#include <string>

#include "adu/core/result.h"

namespace adu::daemon {

// The service's state directory, the one place the packaged unit lets it write.
inline constexpr const char* kStateDirectory = "/var/lib/adu-opwatch";

// An error naming the database, its directory and the fix (ReadWritePaths=, or a path under the
// state directory) when the directory is missing, read-only or not writable by this process.
Status CheckDatabaseDirectory(const std::string& database);

// For check-config, which runs outside the unit's sandbox and cannot see its read-only mounts:
// a note when the database is outside the state directory, naming ReadWritePaths=. nullopt
// when it is inside.
std::optional<std::string> DatabaseLocationNote(const std::string& database);

}  // namespace adu::daemon
