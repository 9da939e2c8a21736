#include "token_factory.h"

#include <cstdlib>

#include "adu/client/none_token_provider.h"
#include "adu/client/token_providers.h"
#include "adu/core/clock.h"

namespace adu::daemon {

namespace {

// Every way a provider's construction fails is something the configuration must fix (the
// providers check their options and read the secret file only here), so the code is kConfig
// whatever the provider said.
template <typename P>
Result<std::unique_ptr<TokenProvider>> Erase(Result<std::unique_ptr<P>> made) {
  if (!made.ok()) return made.status().WithCodeOf(StatusCode::kConfig);
  return std::unique_ptr<TokenProvider>(std::move(made).value());
}

}  // namespace

Result<std::unique_ptr<TokenProvider>> MakeTokenProvider(const config::Config& config,
                                                         client::HttpClient& http,
                                                         std::shared_ptr<spdlog::logger> log) {
  const config::AuthConfig& auth = config.auth;
  switch (auth.method) {
    case config::AuthMethod::kNone:
      return std::unique_ptr<TokenProvider>(std::make_unique<client::NoneTokenProvider>());
    case config::AuthMethod::kClientSecret: {
      client::ClientSecretOptions o;
      o.tenant_id = auth.tenant_id;
      o.client_id = auth.client_id;
      o.client_secret_file = auth.client_secret_file;
      // systemd's LoadCredential=client-secret:PATH puts the secret there.
      if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY")) o.credentials_directory = dir;
      o.authority_host = auth.authority_host;
      o.request_timeout = config.poll.request_timeout;
      return Erase(client::ClientSecretTokenProvider::Make(std::move(o), http, SystemClock(),
                                                           std::move(log)));
    }
    case config::AuthMethod::kManagedIdentity: {
      client::ManagedIdentityOptions o;
      o.endpoint = auth.identity_endpoint;
      o.client_id = auth.client_id;
      o.request_timeout = config.poll.request_timeout;
      return Erase(client::ManagedIdentityTokenProvider::Make(std::move(o), http, SystemClock(),
                                                              std::move(log)));
    }
    case config::AuthMethod::kTokenFile:
      return Erase(
          client::TokenFileProvider::Make({auth.token_file}, SystemClock(), std::move(log)));
  }
  return Status::Config("unknown auth.method");
}

}  // namespace adu::daemon
