// HttpClient over cpprestsdk (web::http::client::http_client, Boost.Asio backend on Linux).
//
// - One cpprest client per scheme+host+port, kept for the object's life: keep-alive connections
//   are pooled and reused by cpprest.
// - The whole-request deadline and CancelAll() use a pplx::cancellation_token_source per request;
//   one timer thread (sleeping on a condition variable, no polling) cancels expired requests.
// - Body cap: a Content-Length above the cap fails at once; otherwise cpprest's download progress
//   handler aborts the transfer as soon as the received byte count passes the cap, so memory stays
//   within max_body_bytes + one read chunk (cpprest's chunksize, 64 KiB by default).
// - TLS certificates are verified against the system store (never disabled); redirects are not
//   followed; headers with CR/LF/NUL are refused before anything is sent.
// - Continuations never block (.get() is only called on already-completed tasks).
// - The destructor cancels every request and waits (bounded by drain_timeout) for their callbacks
//   to finish, then destroys the cpprest clients. If the wait expires, the internals are leaked on
//   purpose rather than destroyed under a running continuation.
//
// cpprest's thread pool must be sized by the program (InitializeCpprestIoThreads below) before the
// first request; MakeCpprestHttpClient never does it. Give it ONE thread: cancellation (deadline,
// CancelAll) is posted to that I/O service so cpprest's socket close never races a read step on
// another I/O thread (cpprest issue #1547).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "adu/client/http_client.h"

namespace adu::client {

struct CpprestOptions {
  // cpprest's own per-step timeout (connect, send, each receive): only a backstop, the request's
  // `deadline` is the real bound.
  std::chrono::seconds step_timeout{60};
  std::chrono::milliseconds drain_timeout{5000};
  std::string user_agent = "adu-opwatch";
};

std::unique_ptr<HttpClient> MakeCpprestHttpClient(const CpprestOptions& options);

// Sizes cpprest's process-wide I/O thread pool (crossplat::threadpool). Call once, first thing in
// main and before any cpprest use (cpprest starts the pool on first use and then ignores this).
void InitializeCpprestIoThreads(size_t threads);

}  // namespace adu::client
