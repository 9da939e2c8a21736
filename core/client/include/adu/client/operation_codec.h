// The JSON codec of the Device Update operation API (api-version 2022-10-01 and later).
//
// Every function takes untrusted bytes and never throws or crashes: malformed input is an error
// value. Pure functions, thread-safe. (Implemented over simdjson, which stays inside the .cpp
// file; the whole body is validated, UTF-8 included, before any field is read.)
//
// Decoding rules (DecodeOperation):
// - The body must be one JSON object. Required: `operationId`, `status` (non-empty strings),
//   `lastActionDateTime`, `createdDateTime` (strings). Every timestamp (these two and
//   `error.occurredDateTime`) is normalised here, once, to FormatTimestamp's UTC form
//   (`2020-04-22T21:01:43.940Z`) whatever form the service used (`Z` with 0 to 7 fraction digits,
//   `+00:00`, `-07:00`); one that does not parse is kept as received.
// - Optional strings (`etag`, `traceId`, `resourceLocation`) may be absent or null; any other
//   type is an error. `update` and every unknown field are tolerated (the raw body is stored).
// - A status outside the four known values is accepted as received.
// - `error`: `code`, `message`, `target`, `occurredDateTime` (strings; missing ones stay empty so
//   a Failed snapshot is never lost over an incomplete error), `details` (array of Error, decoded
//   recursively), `innererror` / `innerError` (either casing at every level) flattened outermost
//   first into `inner_chain`. Nesting is capped (kMaxErrorDepth) against hostile input.
// - JSON nested deeper than kMaxJsonDepth is rejected before parsing (the parser is recursive).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/operation_service.h"
#include "adu/core/result.h"

namespace adu::client {

inline constexpr int kMaxJsonDepth = 64;
inline constexpr int kMaxErrorDepth = 16;

Result<Operation> DecodeOperation(std::string_view body);

// The service's error answer, either `{"error": {"code", "message", ...}}` or RFC 7807
// `application/problem+json` (`type`, `title`, `status`, `detail`, `traceId`).
struct ErrorInfo {
  std::string code;  // error.code; for problem+json: `code` if present, else `type`, else `title`
  std::string message;   // error.message; for problem+json: "title: detail" (either alone if one)
  std::string trace_id;  // problem+json `traceId`, when present
};

// `content_type` is the response's Content-Type (may be empty). An error when the body is
// neither shape (then the caller reports just the HTTP status).
Result<ErrorInfo> DecodeServiceError(int http_status, std::string_view content_type,
                                     std::string_view body);

// One page of a list answer: `{"value": [...], "nextLink": "..."}`.
struct OperationPage {
  std::vector<ListOutcome::Item> items;
  std::optional<std::string> next_link;  // as sent; absent, null or empty -> nullopt
  // Items that did not decode are skipped (never the whole page: one broken item must not stop
  // the bulk refresh of all the others; the engine then fetches that operation on its own, which
  // reports the parse error for it). One human-readable line per skipped item.
  std::vector<std::string> skipped;
};

// `value` must be an array and `nextLink` a string or null, else the whole page is an error.
// Each item's `body` is the item's bytes exactly as they stand in the page (whitespace, key order
// and escapes preserved: the same bytes a GET of that state would be stored with), its `etag` the
// item's etag.
Result<OperationPage> DecodeOperationPage(std::string_view body);

}  // namespace adu::client
