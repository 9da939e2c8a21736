// The engine's view of the Device Update service: fetch one operation, list in-flight ones.
//
// `core/client/` implements it over HTTP; tests use fakes. The engine never sees a URL, a header
// or a JSON value: only these outcomes.
//
// Thread-safety: every method may be called from any thread. Callbacks run on an unspecified
// thread (often an I/O pool thread), exactly once per call, also after CancelAll(); they must not
// block. Nothing is called after the service object is destroyed.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/poll_outcome.h"

namespace adu {

// Why a request did not yield a usable answer.
struct FetchFailure {
  ErrorCategory category = ErrorCategory::kNetwork;
  std::optional<int> http_status;
  std::string code;     // the service's error code, when the answer carried one
  std::string message;  // human-readable, never contains a secret
};

// The outcome of one GET of one operation: Changed (a 200 with a decodable operation; the
// snapshot's etag is the ETag to send back next time: the ETag header, else the body's etag,
// verbatim), Unchanged (304) or Failed (a 404 with `not_found`, anything else without).
struct FetchOutcome {
  PollOutcome result = Failed{};
  std::optional<int> http_status;
  // The server's Retry-After, in seconds, as sent (unclamped; the engine clamps). nullopt when
  // absent or unparseable.
  std::optional<std::chrono::seconds> retry_after;

  const Changed* changed() const { return std::get_if<Changed>(&result); }
  const Failed* failed() const { return std::get_if<Failed>(&result); }
  bool unchanged() const { return std::holds_alternative<Unchanged>(result); }
};

// One item of a list page: the decoded operation, the ETag to send back, the item's bytes exactly
// as they stand in the page.
struct ListItem {
  Operation operation;
  std::string etag;
  std::string body;
};

// A list page that was read: its items and, unless it is the last page, the opaque continuation.
struct ListPage {
  std::vector<ListItem> items;
  std::optional<std::string> next_page;
};

// The outcome of one list call (in-flight filter): a ListPage or a FetchFailure.
struct ListOutcome {
  using Item = ListItem;
  std::variant<ListPage, FetchFailure> result = FetchFailure{};
  std::optional<int> http_status;
  std::optional<std::chrono::seconds> retry_after;

  const ListPage* page() const { return std::get_if<ListPage>(&result); }
  ListPage* page() { return std::get_if<ListPage>(&result); }
  const FetchFailure* failure() const { return std::get_if<FetchFailure>(&result); }
};

class OperationService {
 public:
  using FetchCallback = std::function<void(FetchOutcome)>;
  using ListCallback = std::function<void(ListOutcome)>;

  virtual ~OperationService() = default;

  // GET one operation. `if_none_match` empty: unconditional.
  virtual void Fetch(const OperationKey& key, const std::string& if_none_match,
                     FetchCallback done) = 0;

  // One page of in-flight operations of `kind`; `page` is nullopt for the first page, else a
  // `next_page` from an earlier outcome.
  virtual void ListInFlight(OperationKind kind, const std::optional<std::string>& page,
                            ListCallback done) = 0;

  // One page of every operation of `kind` the service lists, completed ones included (the
  // service keeps them listed for 7 days); `page` as for ListInFlight. Discovery's resync pass.
  virtual void ListAll(OperationKind kind, const std::optional<std::string>& page,
                       ListCallback done) = 0;

  // Cancels every request in flight; their callbacks still run (with a failure) soon after.
  virtual void CancelAll() = 0;
};

}  // namespace adu
