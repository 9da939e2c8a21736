// libFuzzer target for every parser of untrusted service input in adu_client.
// Build (clang only): CXX=clang++ cmake -S . -B build-fuzz -DADU_FUZZ=ON
//   -DADU_SANITIZE=address,undefined,fuzzer-no-link && cmake --build build-fuzz --target
//   client_fuzz
// Run: build-fuzz/core/client/client_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adu/client/device_update_client.h"
#include "adu/client/none_token_provider.h"
#include "adu/client/operation_codec.h"
#include "adu/client/retry_after.h"
#include "url.h"

namespace {

class NoHttp : public adu::client::HttpClient {
 public:
  void Send(adu::client::HttpRequest, DoneCallback done) override {
    done(adu::client::TransportError{});
  }
  void CancelAll() override {}
};

adu::client::DeviceUpdateClient& Client() {
  static NoHttp http;
  static adu::client::NoneTokenProvider tokens;
  static adu::client::DeviceUpdateClient client(
      adu::client::ClientOptions{.endpoint = "https://contoso.api.adu.microsoft.com",
                                 .instance_id = "blue"},
      http, tokens);
  return client;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto link = Client().ResolveNextLink(std::string(input)); link.ok()) {
    // Whatever the service sent, a resolved link stays on the configured origin.
    if (!link->starts_with("https://contoso.api.adu.microsoft.com/")) __builtin_trap();
    if (link->find_first_of(std::string_view(" \r\n\0", 4)) != std::string::npos) __builtin_trap();
  }
  (void)adu::client::DecodeOperation(input);
  (void)adu::client::DecodeOperationPage(input);
  (void)adu::client::DecodeServiceError(500, "application/problem+json", input);
  (void)adu::client::ParseRetryAfter(input, adu::WallTime{});
  (void)adu::client::internal::ParseAbsoluteUrl(input);
  return 0;
}
