// libFuzzer target for every parser of untrusted service input in adu_client.
// Build (clang only): CXX=clang++ cmake -S . -B build-fuzz -DADU_FUZZ=ON
//   -DADU_SANITIZE=address,undefined,fuzzer-no-link && cmake --build build-fuzz --target
//   client_fuzz
// Run: build-fuzz/core/client/client_fuzz -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adu/client/operation_codec.h"
#include "adu/client/retry_after.h"
#include "url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)adu::client::DecodeOperation(input);
  (void)adu::client::DecodeOperationPage(input);
  (void)adu::client::DecodeServiceError(500, "application/problem+json", input);
  (void)adu::client::ParseRetryAfter(input, adu::WallTime{});
  (void)adu::client::internal::ParseAbsoluteUrl(input);
  return 0;
}
