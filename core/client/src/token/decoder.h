// The token endpoint's answer, decoded (internal to the token providers). Nothing here ever puts
// a secret or a token into a message or a log line: answers are reduced to the HTTP status and
// the `error`, `error_description` and `error_codes` fields (any occurrence of the secret
// masked); bodies that are not JSON are described, never quoted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "adu/client/http_client.h"
#include "adu/client/token_providers.h"
#include "adu/core/result.h"

namespace spdlog {
class logger;
}

namespace adu::client::internal {

// The largest token answer read (Entra's are a few KiB).
inline constexpr size_t kMaxTokenAnswerBytes = 256 * 1024;

// Bearer tokens (RFC 6750 b64token and what Entra issues) are visible ASCII without spaces;
// anything else would be refused by the HTTP layer or split the header.
bool IsTokenText(std::string_view s);

// The answer of the token endpoint at `where` (Entra or IMDS) as a token with its lifetime, or an
// error made only of the status and the service's error fields, with `secret` masked should the
// service echo it (empty: nothing to mask).
Result<CachingTokenProvider::Fetched> DecodeTokenAnswer(const HttpResult& result,
                                                        const std::string& where,
                                                        const std::string& secret);

// The answer's shape at trace level: status, content type and size, never its body (which holds
// the token on success).
void TraceTokenAnswer(spdlog::logger& log, const std::string& url, const HttpResult& result);

}  // namespace adu::client::internal
