// `run --instance NAME`: one of several daemons on a host (the template unit adu-opwatch@.service
// passes its instance name %i).
//
// The instance's name is in every journal entry (SYSLOG_IDENTIFIER=adu-opwatch@NAME) and at the
// start of STATUS=, and its database defaults to /var/lib/adu-opwatch/NAME.db, so instances never
// share the plain unit's operations.db by accident.
#pragma once

#include <optional>
#include <string>

#include "adu/config/config.h"

namespace adu::daemon {

// Replaces the default database (/var/lib/adu-opwatch/operations.db) with NAME.db beside it.
void ApplyInstanceDefaults(const std::optional<std::string>& instance, config::Config& config);

// "adu-opwatch" or "adu-opwatch@NAME".
std::string LogIdentifier(const std::optional<std::string>& instance);

// "" or "NAME: ".
std::string StatusPrefix(const std::optional<std::string>& instance);

}  // namespace adu::daemon
