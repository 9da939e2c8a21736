// HttpClient over libcurl's multi interface: one I/O thread, no pool, no per-request thread hops.
//
// Why a second transport: bench/b2.py measured cpprestsdk's pool hand-offs (pplx continuations,
// four threads woken per request) at about half of the daemon's CPU per poll. This one drives every
// transfer from one thread that sleeps in curl_multi_poll() and is woken (curl_multi_wakeup) only
// by Send(), CancelAll() or the destructor: no periodic wakeups while idle.
//
// The HttpClient contract (http_client.h) holds:
// - Thread-safe Send()/CancelAll(); `done` runs exactly once, on the I/O thread, or inline when the
//   request is refused before it starts (invalid URL or header, client shutting down).
// - `deadline` bounds the whole request (CURLOPT_TIMEOUT_MS covers connect, send and receive).
// - A body over `max_body_bytes` is kTooLarge: refused from Content-Length, else aborted as soon as
//   the received bytes pass the cap.
// - Redirects are never followed; only http and https; TLS peers are verified (system store).
// - Keep-alive: the multi handle's connection cache is reused across requests.
// - The destructor ends every request with kCancelled (callbacks run before it returns).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "adu/client/http_client.h"

namespace adu::client {

struct CurlOptions {
  std::string user_agent = "adu-opwatch";
  long max_connections = 8;  // connections kept open per multi handle
};

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options);

}  // namespace adu::client
