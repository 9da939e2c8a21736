// Builds the TokenProvider for the configured auth method.
//
// Errors (a missing, unreadable or empty client secret file, no secret file and no
// $CREDENTIALS_DIRECTORY) are configuration errors (StatusCode::kConfig): the daemon exits 78
// (EX_CONFIG) with the message, which names the path and never the secret. A token_file that does
// not exist yet is not an error here: polls fail with an `auth` error until it appears.
#pragma once

#include <memory>

#include "adu/client/http_client.h"
#include "adu/config/config.h"
#include "adu/core/token_provider.h"

namespace spdlog {
class logger;
}

namespace adu::daemon {

Result<std::unique_ptr<TokenProvider>> MakeTokenProvider(const config::Config& config,
                                                         client::HttpClient& http,
                                                         std::shared_ptr<spdlog::logger> log);

}  // namespace adu::daemon
