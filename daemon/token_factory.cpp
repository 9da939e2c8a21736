#include "token_factory.h"

#include "adu/client/none_token_provider.h"

namespace adu::daemon {

Result<std::unique_ptr<TokenProvider>> MakeTokenProvider(const config::Config& config,
                                                         client::HttpClient& /*http*/,
                                                         std::shared_ptr<spdlog::logger> /*log*/) {
  switch (config.auth.method) {
    case config::AuthMethod::kNone:
      return std::unique_ptr<TokenProvider>(std::make_unique<client::NoneTokenProvider>());
    default:
      return Status::Error("auth.method " +
                           std::string(config::AuthMethodName(config.auth.method)) +
                           " is not available in this build");
  }
}

}  // namespace adu::daemon
