#include "adu/client/device_update_client.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <string_view>
#include <utility>
#include <variant>

#include "adu/client/counting_http_client.h"
#include "adu/client/operation_codec.h"
#include "adu/client/retry_after.h"
#include "url.h"

namespace adu::client {

using internal::ParseAbsoluteUrl;
using internal::PercentEncode;

struct DeviceUpdateClient::Impl {
  Impl(ClientOptions o, HttpClient& h, TokenProvider& t)
      : options(std::move(o)),
        http(h),
        tokens(t),
        clock(options.clock != nullptr ? *options.clock : SystemClock()),
        log(options.logger != nullptr ? options.logger : spdlog::default_logger()) {
    std::string raw = options.endpoint;
    while (!raw.empty() && raw.back() == '/') raw.pop_back();
    if (raw.find("://") == std::string::npos) raw = "https://" + raw;
    if (auto parsed = ParseAbsoluteUrl(raw)) {
      origin = parsed->Origin();
    } else {
      origin = raw;  // every request will fail in the transport with a clear message
    }
  }

  ClientOptions options;
  HttpClient& http;
  TokenProvider& tokens;
  const Clock& clock;
  const std::shared_ptr<spdlog::logger> log;
  std::string origin;  // scheme://host[:port], normalised
  // Bumped by CancelAll(): a request still waiting for its token when this changes is not sent.
  std::atomic<uint64_t> cancel_epoch{0};
};

namespace {

using Impl = DeviceUpdateClient::Impl;
// The answer to an authorised request, or a token failure (always a kAuth failure).
using AuthedCallback = std::function<void(Result<HttpResult>)>;

constexpr char kInFlightFilter[] = "status eq 'NotStarted' or status eq 'Running'";

// An ETag is echoed verbatim in If-None-Match, so one we could not send back safely is refused
// here, where it arrives: a control character (CR, LF, NUL) would split the next request and the
// transport would refuse every later poll; a huge one would be stored with every snapshot and
// sent with every poll. Real ETags are a few dozen bytes.
constexpr size_t kMaxEtagBytes = 4096;

bool UsableEtag(std::string_view etag) {
  return etag.size() <= kMaxEtagBytes && IsSafeHeaderText(etag);
}

HttpRequest NewRequest(const Impl& impl, std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.deadline = impl.options.request_timeout;
  r.max_body_bytes = impl.options.max_body_bytes;
  r.headers.emplace_back("Accept", "application/json");
  return r;
}

// GetToken, send with the bearer, and on the first 401 invalidate that token and send once more
// with a fresh one. `attempt` is 0 for the first send. Every answer is counted under `call`.
void SendAuthorized(std::shared_ptr<Impl> self, RequestCall call, HttpRequest request, int attempt,
                    AuthedCallback done) {
  const uint64_t epoch = self->cancel_epoch.load();
  Impl& impl = *self;
  impl.tokens.GetToken([self = std::move(self), call, request = std::move(request), attempt, epoch,
                        done = std::move(done)](Result<std::optional<std::string>> token) {
    if (!token) {
      done(Status::Error("no token: " + token.error()));
      return;
    }
    if (self->cancel_epoch.load() != epoch) {
      done(HttpResult(TransportError{TransportErrorKind::kCancelled, "cancelled"}));
      return;
    }
    HttpRequest sent = request;  // `request` stays token-free for the retry
    std::optional<std::string> used = *token;
    if (used) sent.headers.emplace_back("Authorization", "Bearer " + *used);
    Impl& impl = *self;
    impl.http.Send(std::move(sent), [self, call, request, attempt, epoch, used = std::move(used),
                                     done](HttpResult result) {
      if (self->options.figures != nullptr) CountAnswer(*self->options.figures, call, result);
      const auto* resp = std::get_if<HttpResponse>(&result);
      if (resp != nullptr && resp->status == 401 && attempt == 0 && used) {
        if (self->cancel_epoch.load() != epoch) {  // shutting down: no refresh
          done(HttpResult(TransportError{TransportErrorKind::kCancelled, "cancelled"}));
          return;
        }
        self->tokens.Invalidate(*used);
        SendAuthorized(self, call, request, attempt + 1, done);
        return;
      }
      done(std::move(result));
    });
  });
}

FetchFailure TransportFailure(const Impl& impl, const TransportError& e) {
  FetchFailure f;
  switch (e.kind) {
    case TransportErrorKind::kNetwork:
      f.category = ErrorCategory::kNetwork;
      f.message = e.message;
      break;
    case TransportErrorKind::kTimeout:
      f.category = ErrorCategory::kTimeout;
      f.message = e.message.empty()
                      ? "request timed out after " +
                            std::to_string(impl.options.request_timeout.count()) + " ms"
                      : e.message;
      break;
    case TransportErrorKind::kCancelled:
      f.category = ErrorCategory::kNetwork;
      f.message = "cancelled";
      break;
    case TransportErrorKind::kTooLarge:
      f.category = ErrorCategory::kParse;
      f.message =
          "response body larger than " + std::to_string(impl.options.max_body_bytes) + " bytes";
      break;
  }
  return f;
}

FetchFailure ResponseFailure(const HttpResponse& resp, ErrorCategory category,
                             const std::string& fallback) {
  FetchFailure f;
  f.category = category;
  f.http_status = resp.status;
  auto info = DecodeServiceError(resp.status, resp.Header("Content-Type").value_or(""), resp.body);
  if (info) {
    f.code = info->code;
    f.message = info->message;
  }
  if (f.message.empty()) f.message = fallback;
  return f;
}

// The failure for any status other than 200/304/404.
FetchFailure StatusFailure(const HttpResponse& resp) {
  const int s = resp.status;
  const std::string generic = "HTTP " + std::to_string(s);
  if (s == 401)
    return ResponseFailure(resp, ErrorCategory::kAuth, "unauthorized (401) after a token refresh");
  if (s == 403)
    return ResponseFailure(resp, ErrorCategory::kAuth,
                           "forbidden (403): the identity lacks a Device Update role");
  if (s == 429) return ResponseFailure(resp, ErrorCategory::kThrottled, "throttled (429)");
  return ResponseFailure(resp, ErrorCategory::kHttp, generic);
}

std::optional<std::chrono::seconds> RetryAfterOf(const Impl& impl, const HttpResponse& resp) {
  const auto value = resp.Header("Retry-After");
  if (!value) return std::nullopt;
  return ParseRetryAfter(*value, impl.clock.WallNow());
}

FetchFailure AuthFailure(const Status& s) {
  FetchFailure f;
  f.category = ErrorCategory::kAuth;
  f.message = s.message();
  return f;
}

FetchOutcome FailedFetch(const OperationKey& key, const FetchFailure& f, bool not_found = false) {
  FetchOutcome out;
  out.result = Failed{PollError{key, {}, f.category, f.http_status, f.code, f.message}, not_found};
  return out;
}

FetchFailure ParseFailure(std::string message) {
  FetchFailure f;
  f.category = ErrorCategory::kParse;
  f.http_status = 200;
  f.message = std::move(message);
  return f;
}

// A 200: the operation decoded, with the ETag to send back next time.
FetchOutcome MapBody(const OperationKey& key, HttpResponse& resp) {
  auto op = DecodeOperation(resp.body);
  if (!op) return FailedFetch(key, ParseFailure("invalid operation body: " + op.error()));
  const auto header = resp.Header("ETag");
  std::string etag = header && !header->empty() ? *header : op->etag;
  if (!UsableEtag(etag)) {
    return FailedFetch(key, ParseFailure("unusable ETag (over " + std::to_string(kMaxEtagBytes) +
                                         " bytes or a control character): not stored, never "
                                         "sent back"));
  }
  FetchOutcome out;
  Changed changed{SnapshotOf(key, *op, std::move(etag), std::move(resp.body)), op->error};
  out.result = std::move(changed);
  return out;
}

FetchOutcome MapFetch(const Impl& impl, const OperationKey& key, Result<HttpResult> answer) {
  if (!answer) return FailedFetch(key, AuthFailure(answer.status()));
  HttpResult& result = *answer;
  if (const auto* e = std::get_if<TransportError>(&result)) {
    return FailedFetch(key, TransportFailure(impl, *e));
  }
  auto& resp = std::get<HttpResponse>(result);
  FetchOutcome out;
  switch (resp.status) {
    case 200:
      out = MapBody(key, resp);
      break;
    case 304:
      out.result = Unchanged{};
      break;
    case 404:
      out = FailedFetch(key, ResponseFailure(resp, ErrorCategory::kHttp, "not found (404)"), true);
      break;
    default:
      out = FailedFetch(key, StatusFailure(resp));
      break;
  }
  out.http_status = resp.status;
  out.retry_after = RetryAfterOf(impl, resp);
  return out;
}

ListOutcome MapList(const Impl& impl, OperationKind kind, Result<HttpResult> answer) {
  ListOutcome out;
  if (!answer) {
    out.result = AuthFailure(answer.status());
    return out;
  }
  HttpResult& result = *answer;
  if (const auto* e = std::get_if<TransportError>(&result)) {
    out.result = TransportFailure(impl, *e);
    return out;
  }
  const auto& resp = std::get<HttpResponse>(result);
  out.http_status = resp.status;
  out.retry_after = RetryAfterOf(impl, resp);
  if (resp.status != 200) {
    out.result = resp.status == 404 ? ResponseFailure(resp, ErrorCategory::kHttp, "not found (404)")
                                    : StatusFailure(resp);
    return out;
  }
  auto page = DecodeOperationPage(resp.body);
  if (!page) {
    out.result = FetchFailure{ErrorCategory::kParse, 200, "", "invalid list page: " + page.error()};
    return out;
  }
  for (const auto& why : page->skipped) {
    impl.log->warn("list of {} operations: skipped an undecodable item ({})", KindName(kind), why);
  }
  std::erase_if(page->items, [&](const ListOutcome::Item& item) {
    if (UsableEtag(item.etag)) return false;
    impl.log->warn("list of {} operations: skipped {}: unusable ETag", KindName(kind),
                   item.operation.operation_id.substr(0, 256));
    return true;
  });
  out.result = ListPage{std::move(page->items), std::move(page->next_link)};
  return out;
}

// Characters that may not appear raw in a request target; '%' is kept (already encoded input).
std::string EncodeUnsafe(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f ||
        std::string_view("\"<>\\^`{|}").find(ch) != std::string_view::npos) {
      out += PercentEncode(std::string_view(&ch, 1));
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

DeviceUpdateClient::DeviceUpdateClient(ClientOptions options, HttpClient& http,
                                       TokenProvider& tokens)
    : impl_(std::make_shared<Impl>(std::move(options), http, tokens)) {}

DeviceUpdateClient::~DeviceUpdateClient() = default;

std::string DeviceUpdateClient::OperationUrl(const OperationKey& key) const {
  return impl_->origin + "/deviceUpdate/" + PercentEncode(impl_->options.instance_id) +
         (key.kind == OperationKind::kDevice ? "/management" : "/updates") + "/operations/" +
         PercentEncode(key.id) + "?api-version=" + PercentEncode(impl_->options.api_version);
}

std::string DeviceUpdateClient::ListAllUrl(OperationKind kind) const {
  return impl_->origin + "/deviceUpdate/" + PercentEncode(impl_->options.instance_id) +
         (kind == OperationKind::kDevice ? "/management" : "/updates") +
         "/operations?api-version=" + PercentEncode(impl_->options.api_version);
}

std::string DeviceUpdateClient::ListUrl(OperationKind kind) const {
  std::string url = ListAllUrl(kind) + "&filter=" + PercentEncode(kInFlightFilter, "'");
  if (impl_->options.list_top > 0) url += "&top=" + std::to_string(impl_->options.list_top);
  return url;
}

Result<std::string> DeviceUpdateClient::ResolveNextLink(const std::string& next_link) const {
  std::string path_query;
  const auto scheme_end = next_link.find("://");
  const bool absolute =
      scheme_end != std::string::npos && next_link.find_first_of("/?") > scheme_end;
  if (absolute || next_link.starts_with("//")) {
    const std::string full =
        absolute ? next_link : impl_->origin.substr(0, impl_->origin.find(':')) + ":" + next_link;
    const auto parsed = ParseAbsoluteUrl(full);
    if (!parsed) return Status::Error("refusing an unparseable nextLink");
    if (parsed->Origin() != impl_->origin) {
      return Status::Error("refusing nextLink to foreign host " + parsed->Origin());
    }
    path_query = parsed->path_query;
  } else {
    path_query = next_link.starts_with("/") ? next_link : "/" + next_link;
    if (const auto hash = path_query.find('#'); hash != std::string::npos) path_query.resize(hash);
  }
  path_query = EncodeUnsafe(path_query);
  if (!internal::HasQueryParam(path_query, "api-version")) {
    path_query += path_query.find('?') == std::string::npos ? "?" : "&";
    path_query += "api-version=" + PercentEncode(impl_->options.api_version);
  }
  return impl_->origin + path_query;
}

void DeviceUpdateClient::Fetch(const OperationKey& key, const std::string& if_none_match,
                               FetchCallback done) {
  HttpRequest request = NewRequest(*impl_, OperationUrl(key));
  if (!if_none_match.empty()) request.headers.emplace_back("If-None-Match", if_none_match);
  SendAuthorized(impl_, RequestCall::kGet, std::move(request), 0,
                 [impl = impl_, key, done = std::move(done)](Result<HttpResult> answer) {
                   done(MapFetch(*impl, key, std::move(answer)));
                 });
}

void DeviceUpdateClient::ListInFlight(OperationKind kind, const std::optional<std::string>& page,
                                      ListCallback done) {
  ListPageOf(kind, page ? std::string() : ListUrl(kind), page, std::move(done));
}

void DeviceUpdateClient::ListAll(OperationKind kind, const std::optional<std::string>& page,
                                 ListCallback done) {
  ListPageOf(kind, page ? std::string() : ListAllUrl(kind), page, std::move(done));
}

void DeviceUpdateClient::ListPageOf(OperationKind kind, std::string first_url,
                                    const std::optional<std::string>& page, ListCallback done) {
  std::string url = std::move(first_url);
  if (page) {
    auto resolved = ResolveNextLink(*page);
    if (!resolved) {
      ListOutcome out;
      out.result = FetchFailure{ErrorCategory::kHttp, std::nullopt, "", resolved.error()};
      done(std::move(out));
      return;
    }
    url = std::move(resolved).value();
  }
  SendAuthorized(impl_, RequestCall::kList, NewRequest(*impl_, std::move(url)), 0,
                 [impl = impl_, kind, done = std::move(done)](Result<HttpResult> answer) {
                   done(MapList(*impl, kind, std::move(answer)));
                 });
}

void DeviceUpdateClient::CancelAll() {
  impl_->cancel_epoch.fetch_add(1);
  impl_->http.CancelAll();
}

}  // namespace adu::client
