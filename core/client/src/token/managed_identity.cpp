// The managed_identity provider: the Azure instance metadata service (IMDS).
#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "../url.h"
#include "adu/client/token_providers.h"
#include "decoder.h"

namespace adu::client {

Result<std::unique_ptr<ManagedIdentityTokenProvider>> ManagedIdentityTokenProvider::Make(
    ManagedIdentityOptions options, HttpClient& http, const Clock& clock,
    std::shared_ptr<spdlog::logger> log) {
  if (!internal::ParseAbsoluteUrl(options.endpoint)) {
    return Status::Error("auth.identity_endpoint " + options.endpoint + " is not a valid URL");
  }
  std::string url = options.endpoint;
  if (const auto hash = url.find('#'); hash != std::string::npos) url.resize(hash);
  url += url.find('?') == std::string::npos ? "?" : "&";
  url += "api-version=2018-02-01&resource=" + internal::PercentEncode(options.resource);
  if (!options.client_id.empty()) url += "&client_id=" + internal::PercentEncode(options.client_id);

  Hooks hooks;
  if (!log) log = spdlog::default_logger();
  hooks.fetch = [&http, url, timeout = options.request_timeout, log](FetchDone done) {
    HttpRequest req;
    req.url = url;
    req.deadline = timeout;
    req.max_body_bytes = internal::kMaxTokenAnswerBytes;
    req.headers.emplace_back("Metadata", "true");
    req.headers.emplace_back("Accept", "application/json");
    log->trace("GET {} (Metadata: true)", url);
    http.Send(std::move(req), [done = std::move(done), url, log](HttpResult result) {
      internal::TraceTokenAnswer(*log, url, result);
      done(internal::DecodeTokenAnswer(result, url, std::string()));
    });
  };
  const std::string what =
      options.client_id.empty()
          ? "the system-assigned managed identity"
          : "the user-assigned managed identity (client " + options.client_id + ")";
  return std::unique_ptr<ManagedIdentityTokenProvider>(new ManagedIdentityTokenProvider(
      clock, std::move(log), options.backoff, what, std::move(hooks), url));
}

}  // namespace adu::client
