// Bearer tokens for the service. Implementations live in core/client/ (auth methods); `none`
// yields no token.
//
// Thread-safety: all methods may be called from any thread concurrently.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "adu/core/result.h"

namespace adu {

class TokenProvider {
 public:
  // A token, or nullopt for "send no Authorization header" (auth method `none`).
  using TokenCallback = std::function<void(Result<std::optional<std::string>>)>;

  virtual ~TokenProvider() = default;

  // Calls `done` once with a valid token (cached while valid). May call it inline.
  virtual void GetToken(TokenCallback done) = 0;

  // The service rejected `token` (401): the next GetToken fetches a fresh one.
  virtual void Invalidate(const std::string& token) = 0;
};

}  // namespace adu
