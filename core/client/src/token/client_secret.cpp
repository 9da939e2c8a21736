// The client_secret provider: OAuth2 client credentials against Entra ID.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <memory>
#include <utility>

#include "../url.h"
#include "adu/client/token_providers.h"
#include "adu/core/text.h"
#include "decoder.h"
#include "input_file.h"

namespace adu::client {
namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;

struct SecretRead {
  std::string secret;
  bool other_readable = false;
};

Result<SecretRead> ReadSecret(internal::InputFile& file) {
  auto content = file.Read(kMaxSecretBytes);
  if (!content) return Status::Error("client secret file: " + content.error());
  SecretRead out;
  out.secret = std::move(content->data);
  while (!out.secret.empty() && IsAsciiSpace(out.secret.back())) out.secret.pop_back();
  out.other_readable = (content->mode & S_IROTH) != 0;
  if (out.secret.empty()) return Status::Error("client secret file " + file.path() + " is empty");
  return out;
}

// The secret file's path: the configured one, else systemd's credential.
Result<std::string> SecretPath(const ClientSecretOptions& options) {
  if (!options.client_secret_file.empty()) return options.client_secret_file;
  if (options.credentials_directory.empty()) {
    return Status::Error(
        "auth.client_secret_file is not set and $CREDENTIALS_DIRECTORY is not set: give the "
        "secret file's path, or pass the secret with systemd LoadCredential=client-secret:PATH");
  }
  return options.credentials_directory + "/client-secret";
}

Result<std::string> TokenUrl(const ClientSecretOptions& options) {
  std::string authority = options.authority_host;
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  std::string url =
      authority + "/" + internal::PercentEncode(options.tenant_id) + "/oauth2/v2.0/token";
  if (!internal::ParseAbsoluteUrl(url)) {
    return Status::Error("auth.authority_host " + options.authority_host + " is not a valid URL");
  }
  return url;
}

struct SecretFetch {
  HttpClient& http;
  std::shared_ptr<internal::InputFile> input;
  std::string url;
  std::string client_id;
  std::string scope;
  std::chrono::milliseconds timeout;
  std::shared_ptr<spdlog::logger> log;

  void operator()(CachingTokenProvider::FetchDone done) const {
    // Read again on every attempt: a fixed or rotated secret is picked up without a restart.
    auto secret = ReadSecret(*input);
    if (!secret) {
      done(secret.status());
      return;
    }
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.deadline = timeout;
    req.max_body_bytes = internal::kMaxTokenAnswerBytes;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("Accept", "application/json");
    req.body = "grant_type=client_credentials&client_id=" + internal::FormEncode(client_id) +
               "&client_secret=" + internal::FormEncode(secret->secret) +
               "&scope=" + internal::FormEncode(scope);
    log->trace(
        "POST {} (form: grant_type=client_credentials, client_id={}, client_secret=<{} "
        "bytes, not logged>, scope={})",
        url, client_id, secret->secret.size(), scope);
    http.Send(std::move(req), [done = std::move(done), url = url, log = log,
                               s = std::move(secret->secret)](HttpResult result) {
      internal::TraceTokenAnswer(*log, url, result);
      done(internal::DecodeTokenAnswer(result, url, s));
    });
  }
};

}  // namespace

Result<std::unique_ptr<ClientSecretTokenProvider>> ClientSecretTokenProvider::Make(
    ClientSecretOptions options, HttpClient& http, const Clock& clock,
    std::shared_ptr<spdlog::logger> log) {
  if (!log) log = spdlog::default_logger();
  if (options.tenant_id.empty() || options.client_id.empty()) {
    return Status::Error("auth.method client_secret needs tenant_id and client_id");
  }
  auto path = SecretPath(options);
  if (!path) return path.status();
  auto url = TokenUrl(options);
  if (!url) return url.status();

  auto input = std::make_shared<internal::InputFile>(*path);
  auto first = ReadSecret(*input);
  if (!first) return first.status();
  if (first->other_readable) {
    log->warn(
        "client secret file {} is readable by other users: restrict it (chmod 0640, owner "
        "root:adu-opwatch, or use systemd LoadCredential=)",
        *path);
  }
  Hooks hooks;
  hooks.input_changed = [input] { return input->Changed(); };
  hooks.fetch = SecretFetch{
      http, input, *url, options.client_id, options.scope, options.request_timeout, log};
  const std::string what = "tenant " + options.tenant_id + " (client " + options.client_id + ")";
  return std::unique_ptr<ClientSecretTokenProvider>(new ClientSecretTokenProvider(
      clock, std::move(log), options.backoff, what, std::move(hooks), *path));
}

}  // namespace adu::client
