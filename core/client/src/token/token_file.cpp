// The token_file provider: a token minted by another tool, read from a file.
#include <memory>
#include <utility>

#include "adu/client/token_providers.h"
#include "adu/core/text.h"
#include "decoder.h"
#include "input_file.h"

namespace adu::client {
using namespace std::chrono_literals;

namespace {

constexpr size_t kMaxTokenFileBytes = 256 * 1024;

// The file's token with its lifetime (from a JWT's `exp`), or why it cannot be used now.
Result<CachingTokenProvider::Fetched> ReadTokenFile(internal::InputFile& file, const Clock& clock) {
  auto content = file.Read(kMaxTokenFileBytes);
  if (!content) return content.status();
  std::string token(TrimSpace(content->data));
  const std::string& path = file.path();
  if (token.empty()) return Status::Error(path + " is empty");
  if (!internal::IsTokenText(token)) {
    return Status::Error(path + " holds characters that cannot be in a bearer token");
  }
  CachingTokenProvider::Fetched f;
  if (const auto exp = internal::JwtExpiry(token)) {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clock.WallNow().time_since_epoch())
            .count();
    if (*exp <= now) {
      return Status::Error("the token in " + path + " expired " + std::to_string(now - *exp) +
                           " s ago: refresh the file");
    }
    f.lifetime = std::chrono::seconds(*exp - now);
  }
  f.token = std::move(token);
  return f;
}

}  // namespace

Result<std::unique_ptr<TokenFileProvider>> TokenFileProvider::Make(
    TokenFileOptions options, const Clock& clock, std::shared_ptr<spdlog::logger> log) {
  if (options.path.empty()) return Status::Error("auth.token_file is not set");
  auto input = std::make_shared<internal::InputFile>(options.path);
  Hooks hooks;
  hooks.change_drops_token = true;
  hooks.input_changed = [input] { return input->Changed(); };
  hooks.fetch = [input, &clock](FetchDone done) { done(ReadTokenFile(*input, clock)); };
  TokenBackoff no_backoff;
  no_backoff.initial = 0ms;
  return std::unique_ptr<TokenFileProvider>(new TokenFileProvider(
      clock, std::move(log), no_backoff, "token file " + options.path, std::move(hooks)));
}

}  // namespace adu::client
