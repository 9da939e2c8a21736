// Recognises the shipped example configuration before anyone has filled it in.
//
// The package enables the service on installation with the annotated example in
// /etc/adu-opwatch/config.yaml, whose required values are REPLACE-ME placeholders. Until the
// administrator fills it in, a start (at every boot) must be skipped, not fail: the unit's
// ExecCondition= asks `adu-opwatch check-config --condition`, which uses this.
#pragma once

#include <string>

namespace adu::config {

// True when the file at `path` parses as YAML and every value the example asks to fill in
// (endpoint, instance_id, auth.tenant_id, auth.client_id) still holds a REPLACE-ME placeholder.
// Once any of them is filled in, the file is someone's configuration: false, and LoadConfig()
// reports what is still wrong. Unreadable or unparsable files are false too (LoadConfig says why).
bool IsUnconfiguredExample(const std::string& path);

}  // namespace adu::config
