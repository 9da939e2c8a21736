// Builds the TokenProvider for the configured auth method.
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
