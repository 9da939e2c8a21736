// libFuzzer target: the response-handling path of DeviceUpdateClient. A fake HttpClient answers
// every request with the fuzzed response, so status line, ETag, Retry-After, Content-Type and
// body all reach the real mapping code (single GET, conditional GET, 401 retry, list paging).
//
// Input format (so that seeds are readable): the first line is the status code, then header
// lines "Name: value" up to an empty line, then the body. A value may contain anything but '\n'.
//
// Invariants: no crash, no sanitizer report, each callback exactly once; no request ever carries
// a header value with CR, LF or NUL; every request (and so the token) goes to the configured
// origin; an accepted ETag is safe to send back.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adu/client/device_update_client.h"
#include "adu/client/http_client.h"

namespace {

using adu::client::HttpRequest;
using adu::client::HttpResponse;

constexpr std::string_view kOrigin = "https://contoso.api.adu.microsoft.com";

HttpResponse Parse(std::string_view in) {
  HttpResponse r;
  auto line_end = in.find('\n');
  std::string_view status = in.substr(0, line_end);
  int code = 0;
  for (char c : status.substr(0, 4)) {
    if (c < '0' || c > '9') break;
    code = code * 10 + (c - '0');
  }
  r.status = code;
  in = line_end == std::string_view::npos ? std::string_view() : in.substr(line_end + 1);
  while (!in.empty()) {
    line_end = in.find('\n');
    std::string_view line = in.substr(0, line_end);
    in = line_end == std::string_view::npos ? std::string_view() : in.substr(line_end + 1);
    if (line.empty() || line == "\r") break;
    const auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(name), std::string(value));
  }
  r.body = std::string(in);
  return r;
}

class FuzzedHttp final : public adu::client::HttpClient {
 public:
  explicit FuzzedHttp(const HttpResponse& r) : response_(r) {}
  void Send(HttpRequest request, DoneCallback done) override {
    if (!request.url.starts_with(std::string(kOrigin) + "/")) __builtin_trap();
    for (const auto& [name, value] : request.headers) {
      if (!adu::client::IsSafeHeaderText(name) || !adu::client::IsSafeHeaderText(value))
        __builtin_trap();
    }
    ++sends;
    done(response_);
  }
  void CancelAll() override {}
  int sends = 0;

 private:
  const HttpResponse& response_;
};

// Always has a token, so a 401 exercises the invalidate-and-retry-once path.
class FixedToken final : public adu::TokenProvider {
 public:
  void GetToken(TokenCallback done) override { done(std::optional<std::string>("tok")); }
  void Invalidate(const std::string&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const HttpResponse response = Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedHttp http(response);
  FixedToken tokens;
  adu::client::DeviceUpdateClient client(
      adu::client::ClientOptions{.endpoint = std::string(kOrigin), .instance_id = "blue"}, http,
      tokens);
  const adu::OperationKey key{adu::OperationKind::kDevice, "op-1"};

  for (const std::string inm : {"", "\"stored\""}) {
    int calls = 0;
    adu::FetchOutcome out;
    client.Fetch(key, inm, [&](adu::FetchOutcome o) {
      ++calls;
      out = std::move(o);
    });
    if (calls != 1) __builtin_trap();
    if (const auto* changed = out.changed()) {
      const std::string& etag = changed->snapshot.etag;
      if (!adu::client::IsSafeHeaderText(etag) || etag.size() > 4096) __builtin_trap();
      if (changed->snapshot.body != response.body) __builtin_trap();  // stored exactly as received
    }
    if (out.retry_after && out.retry_after->count() < 0) __builtin_trap();
  }

  std::optional<std::string> page;
  for (int i = 0; i < 3; ++i) {
    int calls = 0;
    adu::ListOutcome out;
    client.ListInFlight(adu::OperationKind::kUpdate, page, [&](adu::ListOutcome o) {
      ++calls;
      out = std::move(o);
    });
    if (calls != 1) __builtin_trap();
    if (!out.ok || !out.next_page) break;
    for (const auto& item : out.items) {
      if (!adu::client::IsSafeHeaderText(item.etag) || item.etag.size() > 4096) __builtin_trap();
    }
    page = out.next_page;
  }
  return 0;
}
