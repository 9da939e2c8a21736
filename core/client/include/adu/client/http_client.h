// The project's own HTTP seam. No cpprestsdk type crosses it, so another transport (libcurl, ...)
// can replace cpprest_http_client.cpp without touching the Device Update client or the engine.
//
// Contract of every implementation:
// - Thread-safe: Send() and CancelAll() may be called from any thread concurrently.
// - `done` runs exactly once per Send(), on any thread (possibly inline when the request is refused
//   before it starts), and must not block: it is often an I/O pool thread.
// - `deadline` bounds the WHOLE request (connect, send, headers, body), not each step.
// - A body larger than `max_body_bytes` is a kTooLarge error, never silently truncated.
// - Redirects are never followed (a 3xx is returned as is), so credentials never leave the host.
// - Header names or values containing CR, LF or NUL refuse the request (kNetwork), never sent.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace adu::client {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path?query, already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds deadline{10000};
  size_t max_body_bytes = 1 << 20;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header named `name` (ASCII case-insensitive), nullopt when absent.
  std::optional<std::string> Header(std::string_view name) const;
};

enum class TransportErrorKind { kNetwork, kTimeout, kCancelled, kTooLarge };

struct TransportError {
  TransportErrorKind kind = TransportErrorKind::kNetwork;
  std::string message;  // never contains header values
};

using HttpResult = std::variant<HttpResponse, TransportError>;

class HttpClient {
 public:
  using DoneCallback = std::function<void(HttpResult)>;

  virtual ~HttpClient() = default;

  virtual void Send(HttpRequest request, DoneCallback done) = 0;

  // Every request in flight finishes soon with kCancelled. Requests sent afterwards run normally.
  virtual void CancelAll() = 0;
};

// True when `s` is safe in a header: no CR, LF or NUL (header injection / request splitting).
bool IsSafeHeaderText(std::string_view s);

// Why `headers` must not be sent (an empty name, a space or colon in a name, CR/LF/NUL anywhere),
// or nullopt when every header is safe. Every transport checks this before sending anything.
std::optional<std::string> UnsafeHeaderReason(
    const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace adu::client
