// The Device Update operation-status client: adu::OperationService over an HttpClient.
//
// Knows every URL and header of the API (see docs in operation_service.h for the outcomes):
// - GET {endpoint}/deviceUpdate/{instance}/management/operations/{id}?api-version=...  (device)
//   GET {endpoint}/deviceUpdate/{instance}/updates/operations/{id}?api-version=...     (update)
// - List:
// .../operations?api-version=...&filter=status%20eq%20'NotStarted'%20or%20status%20eq%20'Running'[&top=n]
//   (discovery's unfiltered pass, ListAll: the same without `filter` and `top`)
//   then each `nextLink`, resolved against the endpoint; a nextLink to another scheme/host/port is
//   refused (kHttp failure) and never requested, so the bearer token never leaves the endpoint.
// - `If-None-Match` with the stored ETag verbatim; `Accept: application/json`;
//   `Authorization: Bearer <token>` when the TokenProvider yields one. A 401 invalidates that token
//   and retries the request once with a fresh one; a second 401 (or 403, or a token error) is a
//   kAuth failure. Tokens never appear in messages or logs.
// - Retry-After (seconds or HTTP-date) is reported from every answer.
//
// - Logs (skipped list items) go to ClientOptions::logger, the daemon's logger with its sinks and
//   level, never to spdlog's global default unless no logger is given.
//
// Thread-safety: every method may be called from any thread. Callbacks run on the HttpClient's
// threads (or inline when the HttpClient / TokenProvider answer inline). The HttpClient and the
// TokenProvider must outlive every request: cancel and drain the HttpClient before destroying them.
// Destroying this object while requests are in flight is safe (callbacks keep its state alive).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "adu/client/http_client.h"
#include "adu/core/clock.h"
#include "adu/core/metrics.h"
#include "adu/core/operation_service.h"
#include "adu/core/token_provider.h"

namespace spdlog {
class logger;
}

namespace adu::client {

struct ClientOptions {
  std::string endpoint;  // "https://host[:port]" (a trailing slash is ignored)
  std::string instance_id;
  std::string api_version = "2022-10-01";
  std::chrono::milliseconds request_timeout{10000};  // whole request
  size_t max_body_bytes = 1 << 20;
  int list_top = 0;  // 0: don't send `top`
  // Converts an HTTP-date Retry-After into seconds; nullptr: adu::SystemClock().
  const Clock* clock = nullptr;
  // Where the client logs; nullptr: spdlog's default logger (tests and tools without a logger).
  std::shared_ptr<spdlog::logger> logger = nullptr;
  // Where every answer is counted (call get or list, by code); nullptr: not counted.
  Figures* figures = nullptr;
};

class DeviceUpdateClient final : public OperationService {
 public:
  DeviceUpdateClient(ClientOptions options, HttpClient& http, TokenProvider& tokens);
  ~DeviceUpdateClient() override;

  void Fetch(const OperationKey& key, const std::string& if_none_match,
             FetchCallback done) override;
  void ListInFlight(OperationKind kind, const std::optional<std::string>& page,
                    ListCallback done) override;
  void ListAll(OperationKind kind, const std::optional<std::string>& page,
               ListCallback done) override;
  void CancelAll() override;

  // The URLs this client requests (exposed for tests and `check-config`).
  std::string OperationUrl(const OperationKey& key) const;
  std::string ListUrl(OperationKind kind) const;
  std::string ListAllUrl(OperationKind kind) const;  // no filter: completed operations too
  // A service nextLink made absolute against the endpoint with api-version present, or an
  // error when it points at another scheme/host/port or cannot be parsed.
  Result<std::string> ResolveNextLink(const std::string& next_link) const;

  struct Impl;

 private:
  // One page: `first_url` for the first, else `page` resolved as a nextLink.
  void ListPageOf(OperationKind kind, std::string first_url, const std::optional<std::string>& page,
                  ListCallback done);

  std::shared_ptr<Impl> impl_;
};

}  // namespace adu::client
