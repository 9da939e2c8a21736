// The token providers. Secrets and tokens are handled as opaque strings that only ever go into a
// request body/header or a callback: every message built here is made of the status, the
// service's error fields and our own words, and passes through Mask() when a secret is around.
#include "adu/client/token_providers.h"

#include <cpprest/json.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "json_depth.h"
#include "url.h"

namespace adu::client {
namespace json = web::json;
using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;
constexpr size_t kMaxTokenFileBytes = 256 * 1024;
constexpr size_t kMaxAnswerBytes = 256 * 1024;
constexpr size_t kMaxDescription = 400;

// Identity of a file's content: a rename, a rewrite or a touch changes it.
struct FileStamp {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{};
  bool operator==(const FileStamp& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
           mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec;
  }
};

FileStamp StampOf(const struct stat& st) {
  FileStamp s;
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  return s;
}

FileStamp StampOfPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return FileStamp{};
  return StampOf(st);
}

// The last stamp a provider read its input file at, shared by its fetch and change check.
struct InputFile {
  std::mutex mu;
  std::optional<FileStamp> seen;  // nullopt: never read
  void Record(const FileStamp& s) {
    std::lock_guard lock(mu);
    seen = s;
  }
  bool Changed(const std::string& path) {
    std::lock_guard lock(mu);
    return seen && !(StampOfPath(path) == *seen);
  }
};

struct FileContent {
  std::string data;
  mode_t mode = 0;
};

// Reads a small regular file without blocking on a FIFO. `stamp` gets what was seen (also on
// failure: "missing" is a state too).
Result<FileContent> ReadSmallFile(const std::string& path, size_t max_bytes, FileStamp* stamp) {
  *stamp = FileStamp{};
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    *stamp = StampOfPath(path);
    return Status::Error("cannot read " + path + ": " + std::strerror(err));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Error("cannot read " + path + ": " + std::strerror(err));
  }
  *stamp = StampOf(st);
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error("cannot read " + path + ": not a regular file");
  }
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::Error("cannot read " + path + ": larger than " + std::to_string(max_bytes) +
                         " bytes");
  }
  FileContent out;
  out.mode = st.st_mode;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::Error("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.data.append(buf, static_cast<size_t>(n));
    if (out.data.size() > max_bytes) {
      ::close(fd);
      return Status::Error("cannot read " + path + ": larger than " + std::to_string(max_bytes) +
                           " bytes");
    }
  }
  ::close(fd);
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void TrimRight(std::string& s) {
  while (!s.empty() && IsSpace(s.back())) s.pop_back();
}

void Trim(std::string& s) {
  TrimRight(s);
  size_t i = 0;
  while (i < s.size() && IsSpace(s[i])) ++i;
  s.erase(0, i);
}

// Bearer tokens (RFC 6750 b64token and what Entra issues) are visible ASCII without spaces;
// anything else would be refused by the HTTP layer or split the header.
bool IsTokenText(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

// Replaces every occurrence of `secret` (when long enough to be one) by "***".
std::string Mask(std::string text, const std::string& secret) {
  if (secret.size() < 6) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// One log-safe line: control characters become spaces, runs of spaces collapse, capped.
std::string OneLine(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const char d = (u < 0x20 || u == 0x7f) ? ' ' : c;
    if (d == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += d;
    if (out.size() >= max) {
      out += "...";
      break;
    }
  }
  TrimRight(out);
  return out;
}

// A JSON object, or nullopt for anything else (never throws).
std::optional<json::value> ParseObject(const std::string& body) {
  if (body.empty() || !internal::WithinJsonDepth(body, 32)) return std::nullopt;
  try {
    std::error_code ec;
    json::value v = json::value::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> StringField(const json::object& o, const char* name) {
  const auto it = o.find(name);
  if (it == o.end() || !it->second.is_string()) return std::nullopt;
  return it->second.as_string();
}

// expires_in: a number (Entra) or a string of digits (IMDS).
std::optional<int64_t> ExpiresIn(const json::object& o) {
  const auto it = o.find("expires_in");
  if (it == o.end()) return std::nullopt;
  const json::value& v = it->second;
  if (v.is_number()) {
    const double d = v.as_double();
    if (!(d > 0 && d < 1e9)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) {
    const std::string s = v.as_string();
    if (s.empty() || s.size() > 9) return std::nullopt;
    int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n <= 0) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

// The token endpoint's answer as a token, or an error made only of the status and the
// service's error fields (the secret, should the service echo it, masked).
Result<CachingTokenProvider::Fetched> DecodeTokenAnswer(const HttpResult& result,
                                                        const std::string& where,
                                                        const std::string& secret) {
  if (const auto* e = std::get_if<TransportError>(&result)) {
    std::string kind;
    switch (e->kind) {
      case TransportErrorKind::kTimeout:
        kind = "timed out";
        break;
      case TransportErrorKind::kCancelled:
        kind = "cancelled";
        break;
      case TransportErrorKind::kTooLarge:
        kind = "answer too large";
        break;
      case TransportErrorKind::kNetwork:
        kind = "network error";
        break;
    }
    return Status::Error(Mask("token request to " + where + " failed: " + kind +
                                  (e->message.empty() ? "" : " (" + OneLine(e->message, 200) + ")"),
                              secret));
  }
  const auto& resp = std::get<HttpResponse>(result);
  const auto object = ParseObject(resp.body);
  const std::string head = "token request to " + where + ": HTTP " + std::to_string(resp.status);
  if (!object) {
    const std::string type = OneLine(resp.Header("Content-Type").value_or("untyped"), 60);
    return Status::Error(Mask(head + (resp.status == 200 ? " but" : "") + " with a " + type +
                                  " answer of " + std::to_string(resp.body.size()) +
                                  " bytes that is not a JSON object",
                              secret));
  }
  const json::object& o = object->as_object();
  if (resp.status == 200) {
    const auto token = StringField(o, "access_token");
    if (!token || !IsTokenText(*token)) {
      return Status::Error(head + " but the answer has no usable access_token");
    }
    const auto expires = ExpiresIn(o);
    if (!expires) {
      return Status::Error(head + " but the answer has no valid expires_in");
    }
    return CachingTokenProvider::Fetched{*token, std::chrono::seconds(*expires)};
  }
  std::string msg = head;
  if (auto error = StringField(o, "error")) msg += " " + OneLine(*error, 80);
  if (auto description = StringField(o, "error_description")) {
    msg += ": " + OneLine(*description, kMaxDescription);
  }
  const auto codes = o.find("error_codes");
  if (codes != o.end() && codes->second.is_array()) {
    std::string list;
    for (const auto& c : codes->second.as_array()) {
      if (!c.is_number()) continue;
      if (!list.empty()) list += ", ";
      list += std::to_string(static_cast<int64_t>(c.as_double()));
    }
    if (!list.empty()) msg += " (error codes " + list + ")";
  }
  return Status::Error(Mask(std::move(msg), secret));
}

// The answer's shape at trace level: never its body, which holds the token on success.
void TraceAnswer(spdlog::logger& log, const std::string& url, const HttpResult& result) {
  if (!log.should_log(spdlog::level::trace)) return;
  if (const auto* resp = std::get_if<HttpResponse>(&result)) {
    log.trace("{} answered HTTP {} ({}, {} bytes; body not logged)", url, resp->status,
              resp->Header("Content-Type").value_or("no content type"), resp->body.size());
  } else {
    log.trace("{} failed: {}", url, std::get<TransportError>(result).message);
  }
}

std::string Seconds(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-' || c == '+') {
      v = 62;
    } else if (c == '_' || c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

namespace internal {

std::optional<int64_t> JwtExpiry(const std::string& token) {
  const auto first = token.find('.');
  if (first == std::string::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos) {
    return std::nullopt;
  }
  const auto payload =
      Base64UrlDecode(std::string_view(token).substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  const auto object = ParseObject(*payload);
  if (!object) return std::nullopt;
  const auto& o = object->as_object();
  const auto it = o.find("exp");
  if (it == o.end() || !it->second.is_number()) return std::nullopt;
  const double exp = it->second.as_double();
  if (!(exp > 0 && exp < 1e11)) return std::nullopt;
  return static_cast<int64_t>(exp);
}

std::string FormEncode(const std::string& value) { return PercentEncode(value); }

}  // namespace internal

// ---------------------------------------------------------------------------------------------
// CachingTokenProvider

struct CachingTokenProvider::State {
  State(const Clock& c, std::shared_ptr<spdlog::logger> l, TokenBackoff b, std::string w, Hooks h)
      : clock(c),
        log(l ? std::move(l) : spdlog::default_logger()),
        backoff(b),
        what(std::move(w)),
        hooks(std::move(h)),
        rng(b.seed != 0 ? b.seed : std::random_device{}()) {}

  struct Cached {
    std::string token;
    std::optional<MonoTime> expires_at;  // nullopt: no known expiry
    std::optional<MonoTime> refresh_at;
  };

  const Clock& clock;
  std::shared_ptr<spdlog::logger> log;
  const TokenBackoff backoff;
  const std::string what;
  const Hooks hooks;

  mutable std::mutex mu;
  std::optional<Cached> cached;
  bool in_flight = false;
  std::vector<TokenCallback> waiters;
  int failures = 0;
  MonoTime retry_at{};
  std::string last_error;
  std::optional<MonoTime> last_error_logged_at;
  std::mt19937_64 rng;

  bool CachedValid(MonoTime now) const {
    return cached && (!cached->expires_at || now < *cached->expires_at);
  }

  std::chrono::milliseconds NextDelay() {
    if (backoff.initial.count() <= 0) return 0ms;
    auto d = backoff.initial;
    for (int i = 1; i < failures && d < backoff.max; ++i) d *= 2;
    d = std::min(d, backoff.max);
    if (backoff.jitter > 0) {
      std::uniform_real_distribution<double> unit(0.0, std::min(backoff.jitter, 1.0));
      d -= std::chrono::milliseconds(
          static_cast<int64_t>(static_cast<double>(d.count()) * unit(rng)));
    }
    return d;
  }
};

namespace {

void OnFetched(const std::shared_ptr<CachingTokenProvider::State>& s,
               Result<CachingTokenProvider::Fetched> r) {
  std::vector<TokenProvider::TokenCallback> waiters;
  std::optional<Result<std::optional<std::string>>> answer;
  {
    std::lock_guard lock(s->mu);
    s->in_flight = false;
    const MonoTime now = s->clock.Now();
    if (r.ok()) {
      CachingTokenProvider::State::Cached c;
      c.token = r->token;
      if (r->lifetime) {
        const auto life = std::chrono::duration_cast<Duration>(*r->lifetime);
        c.expires_at = now + life;
        c.refresh_at = life >= 10min ? *c.expires_at - 5min : now + life / 2;
        s->log->info("acquired a token for {}, valid for {} s", s->what, r->lifetime->count());
      } else {
        s->log->info("acquired a token for {}, no expiry known (used until the file changes)",
                     s->what);
      }
      if (s->failures > 0) {
        s->log->info("token source {} recovered after {} failed attempts", s->what, s->failures);
      }
      s->failures = 0;
      s->last_error.clear();
      s->cached = std::move(c);
      answer.emplace(std::optional<std::string>(r->token));
    } else {
      ++s->failures;
      const auto delay = s->NextDelay();
      s->retry_at = now + delay;
      std::string error = "cannot get a token for " + s->what + ": " + r.error();
      // Without back-off (token_file) every poll retries: the same error is logged at error level
      // once a minute, in between at debug, so a missing file does not flood the journal.
      const bool repeat = error == s->last_error && s->last_error_logged_at &&
                          now - *s->last_error_logged_at < 1min;
      const auto level = repeat ? spdlog::level::debug : spdlog::level::err;
      if (!repeat) s->last_error_logged_at = now;
      s->last_error = std::move(error);
      if (delay.count() > 0) {
        s->log->log(level, "{}; next attempt in {} ({} failed in a row)", s->last_error,
                    Seconds(delay), s->failures);
      } else {
        s->log->log(level, "{} ({} failed in a row)", s->last_error, s->failures);
      }
      if (s->CachedValid(now)) {
        answer.emplace(std::optional<std::string>(s->cached->token));
      } else {
        answer.emplace(Status::Error(s->last_error));
      }
    }
    waiters.swap(s->waiters);
  }
  for (auto& w : waiters) w(*answer);
}

}  // namespace

CachingTokenProvider::CachingTokenProvider(const Clock& clock, std::shared_ptr<spdlog::logger> log,
                                           TokenBackoff backoff, std::string what, Hooks hooks)
    : state_(std::make_shared<State>(clock, std::move(log), backoff, std::move(what),
                                     std::move(hooks))) {}

CachingTokenProvider::~CachingTokenProvider() = default;

void CachingTokenProvider::GetToken(TokenCallback done) {
  const std::shared_ptr<State> s = state_;
  std::unique_lock lock(s->mu);
  const MonoTime now = s->clock.Now();
  if (s->hooks.input_changed && (s->hooks.change_drops_token || s->failures > 0) &&
      s->hooks.input_changed()) {
    // Someone fixed or replaced the file: try it now rather than at the end of the back-off.
    s->retry_at = now;
    if (s->hooks.change_drops_token) s->cached.reset();
  }
  if (s->cached && (!s->cached->refresh_at || now < *s->cached->refresh_at)) {
    std::optional<std::string> token = s->cached->token;
    lock.unlock();
    done(std::move(token));
    return;
  }
  if (!s->in_flight && s->failures > 0 && now < s->retry_at) {
    Result<std::optional<std::string>> answer =
        s->CachedValid(now)
            ? Result<std::optional<std::string>>(std::optional<std::string>(s->cached->token))
            : Result<std::optional<std::string>>(Status::Error(
                  s->last_error + " (next attempt in " +
                  Seconds(std::chrono::ceil<std::chrono::milliseconds>(s->retry_at - now)) + ")"));
    lock.unlock();
    done(std::move(answer));
    return;
  }
  s->waiters.push_back(std::move(done));
  if (s->in_flight) return;
  s->in_flight = true;
  lock.unlock();
  s->hooks.fetch([s](Result<Fetched> r) { OnFetched(s, std::move(r)); });
}

void CachingTokenProvider::Invalidate(const std::string& token) {
  std::lock_guard lock(state_->mu);
  if (state_->cached && state_->cached->token == token) {
    state_->cached.reset();
    state_->log->debug("token for {} rejected by the service: fetching a new one", state_->what);
  }
}

int CachingTokenProvider::consecutive_failures() const {
  std::lock_guard lock(state_->mu);
  return state_->failures;
}

// ---------------------------------------------------------------------------------------------
// client_secret

namespace {

struct SecretRead {
  std::string secret;
  bool other_readable = false;
};

Result<SecretRead> ReadSecret(const std::string& path, FileStamp* stamp) {
  auto content = ReadSmallFile(path, kMaxSecretBytes, stamp);
  if (!content) return Status::Error("client secret file: " + content.error());
  SecretRead out;
  out.secret = std::move(content->data);
  TrimRight(out.secret);
  out.other_readable = (content->mode & S_IROTH) != 0;
  if (out.secret.empty()) return Status::Error("client secret file " + path + " is empty");
  return out;
}

}  // namespace

Result<std::unique_ptr<ClientSecretTokenProvider>> ClientSecretTokenProvider::Make(
    ClientSecretOptions options, HttpClient& http, const Clock& clock,
    std::shared_ptr<spdlog::logger> log) {
  if (!log) log = spdlog::default_logger();
  if (options.tenant_id.empty() || options.client_id.empty()) {
    return Status::Error("auth.method client_secret needs tenant_id and client_id");
  }
  std::string path = options.client_secret_file;
  if (path.empty()) {
    if (options.credentials_directory.empty()) {
      return Status::Error(
          "auth.client_secret_file is not set and $CREDENTIALS_DIRECTORY is not set: give the "
          "secret file's path, or pass the secret with systemd LoadCredential=client-secret:PATH");
    }
    path = options.credentials_directory + "/client-secret";
  }
  std::string authority = options.authority_host;
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  const std::string url =
      authority + "/" + internal::PercentEncode(options.tenant_id) + "/oauth2/v2.0/token";
  if (!internal::ParseAbsoluteUrl(url)) {
    return Status::Error("auth.authority_host " + options.authority_host + " is not a valid URL");
  }

  auto input = std::make_shared<InputFile>();
  FileStamp stamp;
  auto first = ReadSecret(path, &stamp);
  if (!first) return first.status();
  input->Record(stamp);
  if (first->other_readable) {
    log->warn(
        "client secret file {} is readable by other users: restrict it (chmod 0640, owner "
        "root:adu-opwatch, or use systemd LoadCredential=)",
        path);
  }

  Hooks hooks;
  hooks.input_changed = [input, path] { return input->Changed(path); };
  hooks.fetch = [&http, input, path, url, client_id = options.client_id, scope = options.scope,
                 timeout = options.request_timeout, log](FetchDone done) {
    // Read again on every attempt: a fixed or rotated secret is picked up without a restart.
    FileStamp seen;
    auto secret = ReadSecret(path, &seen);
    input->Record(seen);
    if (!secret) {
      done(secret.status());
      return;
    }
    HttpRequest req;
    req.method = "POST";
    req.url = url;
    req.deadline = timeout;
    req.max_body_bytes = kMaxAnswerBytes;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.headers.emplace_back("Accept", "application/json");
    req.body = "grant_type=client_credentials&client_id=" + internal::FormEncode(client_id) +
               "&client_secret=" + internal::FormEncode(secret->secret) +
               "&scope=" + internal::FormEncode(scope);
    log->trace(
        "POST {} (form: grant_type=client_credentials, client_id={}, client_secret=<{} "
        "bytes, not logged>, scope={})",
        url, client_id, secret->secret.size(), scope);
    http.Send(std::move(req),
              [done = std::move(done), url, log, s = std::move(secret->secret)](HttpResult result) {
                TraceAnswer(*log, url, result);
                done(DecodeTokenAnswer(result, url, s));
              });
  };
  const std::string what = "tenant " + options.tenant_id + " (client " + options.client_id + ")";
  return std::unique_ptr<ClientSecretTokenProvider>(new ClientSecretTokenProvider(
      clock, std::move(log), options.backoff, what, std::move(hooks), path));
}

// ---------------------------------------------------------------------------------------------
// managed_identity

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
    req.max_body_bytes = kMaxAnswerBytes;
    req.headers.emplace_back("Metadata", "true");
    req.headers.emplace_back("Accept", "application/json");
    log->trace("GET {} (Metadata: true)", url);
    http.Send(std::move(req), [done = std::move(done), url, log](HttpResult result) {
      TraceAnswer(*log, url, result);
      done(DecodeTokenAnswer(result, url, std::string()));
    });
  };
  const std::string what =
      options.client_id.empty()
          ? "the system-assigned managed identity"
          : "the user-assigned managed identity (client " + options.client_id + ")";
  return std::unique_ptr<ManagedIdentityTokenProvider>(new ManagedIdentityTokenProvider(
      clock, std::move(log), options.backoff, what, std::move(hooks), url));
}

// ---------------------------------------------------------------------------------------------
// token_file

Result<std::unique_ptr<TokenFileProvider>> TokenFileProvider::Make(
    TokenFileOptions options, const Clock& clock, std::shared_ptr<spdlog::logger> log) {
  if (options.path.empty()) return Status::Error("auth.token_file is not set");
  auto input = std::make_shared<InputFile>();
  const std::string path = options.path;
  Hooks hooks;
  hooks.change_drops_token = true;
  hooks.input_changed = [input, path] { return input->Changed(path); };
  hooks.fetch = [input, path, &clock](FetchDone done) {
    FileStamp seen;
    auto content = ReadSmallFile(path, kMaxTokenFileBytes, &seen);
    input->Record(seen);
    if (!content) {
      done(Status::Error(content.error()));
      return;
    }
    std::string token = std::move(content->data);
    Trim(token);
    if (token.empty()) {
      done(Status::Error(path + " is empty"));
      return;
    }
    if (!IsTokenText(token)) {
      done(Status::Error(path + " holds characters that cannot be in a bearer token"));
      return;
    }
    Fetched f;
    if (const auto exp = internal::JwtExpiry(token)) {
      const int64_t now =
          std::chrono::duration_cast<std::chrono::seconds>(clock.WallNow().time_since_epoch())
              .count();
      if (*exp <= now) {
        done(Status::Error("the token in " + path + " expired " + std::to_string(now - *exp) +
                           " s ago: refresh the file"));
        return;
      }
      f.lifetime = std::chrono::seconds(*exp - now);
    }
    f.token = std::move(token);
    done(std::move(f));
  };
  TokenBackoff no_backoff;
  no_backoff.initial = 0ms;
  return std::unique_ptr<TokenFileProvider>(new TokenFileProvider(
      clock, std::move(log), no_backoff, "token file " + path, std::move(hooks)));
}

}  // namespace adu::client
