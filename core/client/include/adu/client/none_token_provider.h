// The `none` auth method: no Authorization header (the emulator, tests).
//
// Thread-safety: stateless, safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "adu/core/token_provider.h"

namespace adu::client {

class NoneTokenProvider final : public TokenProvider {
 public:
  void GetToken(TokenCallback done) override { done(std::optional<std::string>()); }
  void Invalidate(const std::string& /*token*/) override {}
};

}  // namespace adu::client
