// CachingTokenProvider: the cache, the single-flight refresh and the back-off shared by every
// provider (see token_providers.h for the behaviour).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "adu/client/token_providers.h"

namespace adu::client {
using namespace std::chrono_literals;

namespace {

std::string Seconds(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

using TokenAnswer = Result<std::optional<std::string>>;

}  // namespace

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

  // Under `mu`: caches a fresh token and answers with it.
  TokenAnswer Succeeded(Fetched fetched, MonoTime now) {
    Cached c;
    c.token = fetched.token;
    if (fetched.lifetime) {
      const auto life = std::chrono::duration_cast<Duration>(*fetched.lifetime);
      c.expires_at = now + life;
      c.refresh_at = life >= 10min ? *c.expires_at - 5min : now + life / 2;
      log->info("acquired a token for {}, valid for {} s", what, fetched.lifetime->count());
    } else {
      log->info("acquired a token for {}, no expiry known (used until the file changes)", what);
    }
    if (failures > 0) {
      log->info("token source {} recovered after {} failed attempts", what, failures);
    }
    failures = 0;
    last_error.clear();
    cached = std::move(c);
    return std::optional<std::string>(std::move(fetched.token));
  }

  // Under `mu`: backs off, logs, and answers with the still-valid cached token or the error.
  TokenAnswer Failed(const std::string& why, MonoTime now) {
    ++failures;
    const auto delay = NextDelay();
    retry_at = now + delay;
    std::string error = "cannot get a token for " + what + ": " + why;
    // Without back-off (token_file) every poll retries: the same error is logged at error level
    // once a minute, in between at debug, so a missing file does not flood the journal.
    const bool repeat =
        error == last_error && last_error_logged_at && now - *last_error_logged_at < 1min;
    const auto level = repeat ? spdlog::level::debug : spdlog::level::err;
    if (!repeat) last_error_logged_at = now;
    last_error = std::move(error);
    if (delay.count() > 0) {
      log->log(level, "{}; next attempt in {} ({} failed in a row)", last_error, Seconds(delay),
               failures);
    } else {
      log->log(level, "{} ({} failed in a row)", last_error, failures);
    }
    if (CachedValid(now)) return std::optional<std::string>(cached->token);
    return Status::Error(last_error);
  }

  // Under `mu`, while backing off: the still-valid cached token, or the last error at once.
  TokenAnswer BackingOff(MonoTime now) const {
    if (CachedValid(now)) return std::optional<std::string>(cached->token);
    return Status::Error(last_error + " (next attempt in " +
                         Seconds(std::chrono::ceil<std::chrono::milliseconds>(retry_at - now)) +
                         ")");
  }
};

namespace {

void OnFetched(const std::shared_ptr<CachingTokenProvider::State>& s,
               Result<CachingTokenProvider::Fetched> r) {
  std::vector<TokenProvider::TokenCallback> waiters;
  std::optional<TokenAnswer> answer;
  {
    std::lock_guard lock(s->mu);
    s->in_flight = false;
    const MonoTime now = s->clock.Now();
    answer.emplace(r.ok() ? s->Succeeded(std::move(r).value(), now) : s->Failed(r.error(), now));
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
    TokenAnswer answer = s->BackingOff(now);
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

}  // namespace adu::client
