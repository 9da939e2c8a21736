// Bearer tokens for the Device Update API from Microsoft Entra ID: the `client_secret`,
// `managed_identity` and `token_file` auth methods (`none` is NoneTokenProvider).
//
// Shared behaviour (CachingTokenProvider):
// - The token is cached and reused until five minutes before it expires (half its lifetime when
//   that is under ten minutes); then the next GetToken refreshes it.
// - One refresh at a time: GetToken calls arriving while a refresh is in flight are queued and all
//   answered when it completes (N waiters -> one token request -> N callbacks).
// - Invalidate(token) drops the cached token only if it is that same token, so N requests that got
//   the same 401 cause one refresh, and a late 401 never throws away a newer token.
// - A failed refresh is logged at error level (the same message again within a minute: at debug,
//   so a token_file retried on every poll does not flood the journal) and backed off
//   exponentially with jitter (1 s doubling to 5 min by default). While backing off, GetToken
//   fails at once with the last error (the poll becomes an `auth` error) instead of hammering the
//   token endpoint; a still-valid cached token keeps being served. A change of the provider's input
//   file (the secret file, the token file) ends the back-off at once.
// - Nothing here ever logs, or puts in an error message, a secret or a token: answers are reduced
//   to the HTTP status and the `error`, `error_description` and `error_codes` fields (with any
//   occurrence of the secret masked); bodies that are not JSON are described, never quoted. At
//   trace level a token request is described by its URL, form field names and the secret's length;
//   an answer by its status, content type and size, never its body.
// - Time comes from the adu::Clock only (tests drive it by hand); no timers or threads of its own.
//
// Thread-safety: GetToken and Invalidate may be called from any thread concurrently. Callbacks run
// on the calling thread (cache hit, fail-fast, synchronous refresh) or on the HttpClient's thread
// that completed the refresh, never under an internal lock. The HttpClient, Clock and logger must
// outlive every request; the provider itself may be destroyed with a refresh in flight (its state
// is kept alive by the pending callback).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adu/client/http_client.h"
#include "adu/core/clock.h"
#include "adu/core/result.h"
#include "adu/core/token_provider.h"

namespace spdlog {
class logger;
}

namespace adu::client {

inline constexpr char kAduScope[] = "https://api.adu.microsoft.com/.default";
inline constexpr char kAduResource[] = "https://api.adu.microsoft.com/";

struct TokenBackoff {
  std::chrono::milliseconds initial{1000};  // after the first failure; 0 disables back-off
  std::chrono::milliseconds max{std::chrono::minutes(5)};  // never below initial (adu::Backoff)
  double jitter = 0.2;  // each delay is shortened by a random 0..jitter share of it
  uint64_t seed = 0;    // 0: from std::random_device
};

// Cache + single-flight refresh + back-off, shared by the three providers. A subclass supplies
// `fetch` (get a fresh token, answer once, on any thread) and optionally `input_changed` (cheap
// check called under the lock on each GetToken: true when the provider's input file changed).
class CachingTokenProvider : public TokenProvider {
 public:
  struct Fetched {
    std::string token;
    // How long it is valid from now; nullopt: no known expiry (valid until the input changes).
    std::optional<std::chrono::seconds> lifetime;
  };
  using FetchDone = std::function<void(Result<Fetched>)>;
  using Fetch = std::function<void(FetchDone)>;

  struct Hooks {
    Fetch fetch;
    std::function<bool()> input_changed;  // may be empty
    // true: a changed input also drops the cached token (token_file); false: it only ends the
    // back-off (the secret file: the cached token is still good).
    bool change_drops_token = false;
  };

  ~CachingTokenProvider() override;

  void GetToken(TokenCallback done) final;
  void Invalidate(const std::string& token) final;

  // Failed refreshes since the last success (for tests and status lines).
  int consecutive_failures() const;

  struct State;

 protected:
  // `what` names the source in log lines, e.g. "tenant contoso (client 1234)".
  CachingTokenProvider(const Clock& clock, std::shared_ptr<spdlog::logger> log,
                       TokenBackoff backoff, std::string what, Hooks hooks);

 private:
  std::shared_ptr<State> state_;
};

struct ClientSecretOptions {
  std::string tenant_id;
  std::string client_id;
  // Empty: `credentials_directory`/client-secret (systemd LoadCredential=client-secret:...).
  std::string client_secret_file;
  std::string credentials_directory;  // the caller passes $CREDENTIALS_DIRECTORY
  std::string authority_host = "https://login.microsoftonline.com";  // scheme://host[:port]
  std::string scope = kAduScope;
  std::chrono::milliseconds request_timeout{10000};
  TokenBackoff backoff;
};

// OAuth2 client credentials: POST {authority_host}/{tenant_id}/oauth2/v2.0/token (form). The
// secret file is read at construction (missing, unreadable, empty: an error from Make, which the
// daemon treats as a configuration error) and again before every token request, so fixing the
// file is enough to recover. A secret file readable by other users (mode & 0004) is logged as a
// warning.
class ClientSecretTokenProvider final : public CachingTokenProvider {
 public:
  static Result<std::unique_ptr<ClientSecretTokenProvider>> Make(
      ClientSecretOptions options, HttpClient& http, const Clock& clock,
      std::shared_ptr<spdlog::logger> log);

  const std::string& secret_path() const { return secret_path_; }

 private:
  ClientSecretTokenProvider(const Clock& clock, std::shared_ptr<spdlog::logger> log,
                            TokenBackoff backoff, std::string what, Hooks hooks,
                            std::string secret_path)
      : CachingTokenProvider(clock, std::move(log), backoff, std::move(what), std::move(hooks)),
        secret_path_(std::move(secret_path)) {}
  std::string secret_path_;
};

struct ManagedIdentityOptions {
  // Full URL; api-version, resource (and client_id) are appended as query parameters.
  std::string endpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
  std::string client_id;  // empty: the system-assigned identity
  std::string resource = kAduResource;
  std::chrono::milliseconds request_timeout{10000};
  TokenBackoff backoff;
};

// The Azure instance metadata service (IMDS): GET {endpoint}?api-version=2018-02-01&resource=...
// with `Metadata: true`; `expires_in` is accepted as a string (IMDS) or a number.
class ManagedIdentityTokenProvider final : public CachingTokenProvider {
 public:
  static Result<std::unique_ptr<ManagedIdentityTokenProvider>> Make(
      ManagedIdentityOptions options, HttpClient& http, const Clock& clock,
      std::shared_ptr<spdlog::logger> log);

  // The URL requested (no secret in it).
  const std::string& url() const { return url_; }

 private:
  ManagedIdentityTokenProvider(const Clock& clock, std::shared_ptr<spdlog::logger> log,
                               TokenBackoff backoff, std::string what, Hooks hooks, std::string url)
      : CachingTokenProvider(clock, std::move(log), backoff, std::move(what), std::move(hooks)),
        url_(std::move(url)) {}
  std::string url_;
};

struct TokenFileOptions {
  std::string path;
};

// A token minted by another tool (e.g. `az account get-access-token`), read from a file (trimmed)
// and read again whenever the file's inode, size or mtime changes (checked with stat on every
// GetToken) or after Invalidate. A missing or empty file, or a JWT whose `exp` has passed, is an
// error for that poll, not a reason to exit: the file may appear later. A JWT's `exp` gives the
// expiry; an opaque token is used until the file changes. No back-off: reading a file is cheap.
class TokenFileProvider final : public CachingTokenProvider {
 public:
  static Result<std::unique_ptr<TokenFileProvider>> Make(TokenFileOptions options,
                                                         const Clock& clock,
                                                         std::shared_ptr<spdlog::logger> log);

 private:
  using CachingTokenProvider::CachingTokenProvider;
};

namespace internal {
// Exposed for tests.
// The `exp` claim of a JWT (header.payload.signature, base64url), or nullopt when `token` is not
// a JWT or has no numeric exp.
std::optional<int64_t> JwtExpiry(const std::string& token);
// application/x-www-form-urlencoded value encoding.
std::string FormEncode(const std::string& value);
}  // namespace internal

}  // namespace adu::client
