// Validation of the URLs in the configuration, as strings only: nothing here resolves or connects.
#pragma once

#include <string>
#include <string_view>

#include "adu/core/result.h"

namespace adu::config::internal {

// endpoint and auth.authority_host: `[https://]host[:port][/]` or `http://<loopback>[:port][/]`.
// A bare host means https://. No path, query, fragment or user info. Returns the normalised
// `scheme://host[:port]` (scheme and host lower-cased, no trailing slash). The error message
// describes what is wrong with `text` without a key path.
Result<std::string> NormalizeBaseUrl(std::string_view text);

// auth.identity_endpoint: a full URL with an explicit scheme; a path is allowed, a query, fragment
// or user info is not. https:// to any host; http:// only to loopback or exactly 169.254.169.254
// (the instance metadata service, port 80). Returns it with scheme and host lower-cased.
Result<std::string> NormalizeIdentityEndpoint(std::string_view text);

}  // namespace adu::config::internal
