#include "adu/client/device_update_client.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "adu/client/none_token_provider.h"
#include "adu/core/time_format.h"
#include "adu/testing/log_capture.h"
#include "fakes.h"

namespace adu::client {
namespace {

// The failure an outcome carries; an empty one when it carries none (so a wrong outcome fails the
// test's expectations instead of crashing it).
const PollError& FailureOf(const FetchOutcome& o) {
  static const PollError kNone{};
  return o.failed() ? o.failed()->error : kNone;
}

using testing::FakeClock;
using testing::FakeHttpClient;
using testing::FakeTokenProvider;
using testing::HeaderOf;

constexpr char kOpBody[] =
    R"({"operationId":"op-1","status":"Running","lastActionDateTime":"2026-01-01T00:00:01Z",)"
    R"("createdDateTime":"2026-01-01T00:00:00Z","etag":"\"body-etag\""})";

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() { clock.SetWall(*ParseTimestamp("1994-11-06T08:49:00Z")); }

  ClientOptions Options() {
    ClientOptions o;
    o.endpoint = "https://contoso.api.adu.microsoft.com/";
    o.instance_id = "blue";
    o.request_timeout = std::chrono::milliseconds(1234);
    o.max_body_bytes = 4096;
    o.clock = &clock;
    return o;
  }

  FetchOutcome FetchNow(DeviceUpdateClient& c, const OperationKey& key, const std::string& etag) {
    std::optional<FetchOutcome> got;
    c.Fetch(key, etag, [&](FetchOutcome o) { got = std::move(o); });
    EXPECT_TRUE(got.has_value());
    return got ? *got : FetchOutcome{};
  }

  ListOutcome ListNow(DeviceUpdateClient& c, OperationKind kind,
                      const std::optional<std::string>& page) {
    std::optional<ListOutcome> got;
    c.ListInFlight(kind, page, [&](ListOutcome o) { got = std::move(o); });
    EXPECT_TRUE(got.has_value());
    return got ? *got : ListOutcome{};
  }

  FakeClock clock;
  FakeHttpClient http;
  FakeTokenProvider tokens;
  const OperationKey device_key{OperationKind::kDevice, "op-1"};
  const OperationKey update_key{OperationKind::kUpdate, "op-1"};
};

TEST_F(ClientTest, BuildsUrlsForBothKindsAndList) {
  DeviceUpdateClient c(Options(), http, tokens);
  EXPECT_EQ(c.OperationUrl(device_key),
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations/"
            "op-1?api-version=2022-10-01");
  EXPECT_EQ(c.OperationUrl(update_key),
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/updates/operations/"
            "op-1?api-version=2022-10-01");
  EXPECT_EQ(c.ListUrl(OperationKind::kDevice),
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations"
            "?api-version=2022-10-01&filter=status%20eq%20'NotStarted'%20or%20status%20eq%20'"
            "Running'");
  auto o = Options();
  o.list_top = 50;
  o.api_version = "2026-06-01";
  o.endpoint = "http://127.0.0.1:8080";
  DeviceUpdateClient c2(o, http, tokens);
  EXPECT_EQ(c2.ListUrl(OperationKind::kUpdate),
            "http://127.0.0.1:8080/deviceUpdate/blue/updates/operations?api-version=2026-06-01"
            "&filter=status%20eq%20'NotStarted'%20or%20status%20eq%20'Running'&top=50");
  // Path segments are percent-encoded defensively.
  EXPECT_EQ(c2.OperationUrl({OperationKind::kDevice, "a/b c?d"}),
            "http://127.0.0.1:8080/deviceUpdate/blue/management/operations/"
            "a%2Fb%20c%3Fd?api-version=2026-06-01");
}

TEST_F(ClientTest, EveryCallCarriesApiVersionAcceptDeadlineAndCap) {
  DeviceUpdateClient c(Options(), http, tokens);
  c.Fetch(device_key, "", [](FetchOutcome) {});
  c.Fetch(update_key, "", [](FetchOutcome) {});
  c.ListInFlight(OperationKind::kDevice, std::nullopt, [](ListOutcome) {});
  c.ListInFlight(OperationKind::kDevice, "/deviceUpdate/blue/management/operations?skipToken=x",
                 [](ListOutcome) {});
  ASSERT_EQ(http.requests.size(), 4u);
  for (const auto& r : http.requests) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_NE(r.url.find("api-version=2022-10-01"), std::string::npos) << r.url;
    EXPECT_EQ(HeaderOf(r, "Accept"), "application/json");
    EXPECT_EQ(r.deadline, std::chrono::milliseconds(1234));
    EXPECT_EQ(r.max_body_bytes, 4096u);
    EXPECT_EQ(HeaderOf(r, "Authorization"), std::nullopt);  // token provider says none
  }
  http.CancelAll();
}

TEST_F(ClientTest, IfNoneMatchAbsentFirstThenExactlyTheStoredEtag) {
  DeviceUpdateClient c(Options(), http, tokens);
  for (const std::string etag : {"", "\"abc\"", "W/\"weak-1\""}) {
    http.EnqueueResponse(304);
    auto out = FetchNow(c, device_key, etag);
    EXPECT_TRUE(out.unchanged());
    EXPECT_EQ(out.http_status, 304);
  }
  ASSERT_EQ(http.requests.size(), 3u);
  EXPECT_EQ(HeaderOf(http.requests[0], "If-None-Match"), std::nullopt);
  EXPECT_EQ(HeaderOf(http.requests[1], "If-None-Match"), "\"abc\"");
  EXPECT_EQ(HeaderOf(http.requests[2], "If-None-Match"), "W/\"weak-1\"");
}

TEST_F(ClientTest, OkPrefersTheEtagHeaderElseTheBodyEtag) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(200, kOpBody, {{"etag", "W/\"header-etag\""}});
  auto with_header = FetchNow(c, device_key, "");
  ASSERT_TRUE(with_header.changed() != nullptr) << FailureOf(with_header).message;
  EXPECT_EQ(with_header.changed()->snapshot.etag, "W/\"header-etag\"");
  EXPECT_EQ(with_header.changed()->snapshot.body, kOpBody);
  EXPECT_EQ(with_header.changed()->snapshot.status, "Running");

  http.EnqueueResponse(200, kOpBody);
  auto without = FetchNow(c, update_key, "");
  ASSERT_TRUE(without.changed() != nullptr);
  EXPECT_EQ(without.changed()->snapshot.etag, "\"body-etag\"");
  EXPECT_EQ(without.retry_after, std::nullopt);
}

TEST_F(ClientTest, RetryAfterIsReportedFromOkAndNotModified) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(200, kOpBody, {{"Retry-After", "30"}});
  EXPECT_EQ(FetchNow(c, device_key, "").retry_after, std::chrono::seconds(30));
  http.EnqueueResponse(304, "", {{"retry-after", "5"}});
  EXPECT_EQ(FetchNow(c, device_key, "\"x\"").retry_after, std::chrono::seconds(5));
}

TEST_F(ClientTest, NotFoundInBothShapes) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(404, R"({"error":{"code":"OperationNotFound","message":"gone"}})",
                       {{"Content-Type", "application/json"}});
  auto a = FetchNow(c, device_key, "");
  EXPECT_TRUE(a.failed() && a.failed()->not_found);
  EXPECT_EQ(a.http_status, 404);
  EXPECT_EQ(FailureOf(a).http_status, 404);
  EXPECT_EQ(FailureOf(a).code, "OperationNotFound");
  EXPECT_EQ(FailureOf(a).message, "gone");

  http.EnqueueResponse(
      404,
      R"({"type":"https://tools.ietf.org/html/rfc7231#section-6.5.4","title":"Not Found","status":404,"traceId":"00-1-2-00"})",
      {{"Content-Type", "application/problem+json; charset=utf-8"}});
  auto b = FetchNow(c, device_key, "");
  EXPECT_TRUE(b.failed() && b.failed()->not_found);
  EXPECT_EQ(FailureOf(b).code, "https://tools.ietf.org/html/rfc7231#section-6.5.4");
  EXPECT_EQ(FailureOf(b).message, "Not Found");

  http.EnqueueResponse(404);  // no body at all
  auto d = FetchNow(c, device_key, "");
  EXPECT_TRUE(d.failed() && d.failed()->not_found);
  EXPECT_FALSE(FailureOf(d).message.empty());
}

TEST_F(ClientTest, ThrottledWithRetryAfterSeconds) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(429, R"({"error":{"code":"TooManyRequests","message":"slow down"}})",
                       {{"Retry-After", "17"}});
  auto out = FetchNow(c, device_key, "");
  EXPECT_TRUE(out.failed() && !out.failed()->not_found);
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kThrottled);
  EXPECT_EQ(FailureOf(out).http_status, 429);
  EXPECT_EQ(FailureOf(out).code, "TooManyRequests");
  EXPECT_EQ(out.retry_after, std::chrono::seconds(17));
}

TEST_F(ClientTest, ServiceUnavailableWithRetryAfterHttpDate) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(503, "<html>busy</html>",
                       {{"Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  auto out = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kHttp);
  EXPECT_EQ(FailureOf(out).http_status, 503);
  EXPECT_EQ(FailureOf(out).message, "HTTP 503");
  EXPECT_EQ(out.retry_after, std::chrono::seconds(37));  // clock is at 08:49:00
}

TEST_F(ClientTest, RetryAfterGarbageNegativeAndHuge) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(503, "", {{"Retry-After", "later"}});
  EXPECT_EQ(FetchNow(c, device_key, "").retry_after, std::nullopt);
  http.EnqueueResponse(503, "", {{"Retry-After", "-10"}});
  EXPECT_EQ(FetchNow(c, device_key, "").retry_after, std::nullopt);
  http.EnqueueResponse(503, "", {{"Retry-After", "999999999999"}});
  EXPECT_EQ(FetchNow(c, device_key, "").retry_after, std::chrono::seconds(86400));
}

TEST_F(ClientTest, OtherStatusesCarryTheServiceError) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(500, R"({"title":"Internal","detail":"db","status":500})",
                       {{"Content-Type", "application/problem+json"}});
  auto out = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kHttp);
  EXPECT_EQ(FailureOf(out).code, "Internal");
  EXPECT_EQ(FailureOf(out).message, "Internal: db");
  http.EnqueueResponse(403, R"({"error":{"code":"Forbidden","message":"no role"}})");
  auto forbidden = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(forbidden).category, ErrorCategory::kAuth);
  EXPECT_EQ(FailureOf(forbidden).http_status, 403);
  EXPECT_EQ(FailureOf(forbidden).code, "Forbidden");
}

TEST_F(ClientTest, BearerTokenIsSentWhenProvided) {
  tokens.answers = {std::optional<std::string>("tok-A")};
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(304);
  FetchNow(c, device_key, "\"e\"");
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(HeaderOf(http.requests[0], "Authorization"), "Bearer tok-A");
}

TEST_F(ClientTest, UnauthorizedRefreshesTheTokenAndRetriesOnce) {
  tokens.answers = {std::optional<std::string>("old"), std::optional<std::string>("new")};
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(401);
  http.EnqueueResponse(200, kOpBody);
  auto out = FetchNow(c, device_key, "\"e\"");
  EXPECT_TRUE(out.changed() != nullptr);
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(HeaderOf(http.requests[0], "Authorization"), "Bearer old");
  EXPECT_EQ(HeaderOf(http.requests[1], "Authorization"), "Bearer new");
  EXPECT_EQ(HeaderOf(http.requests[1], "If-None-Match"), "\"e\"");
  EXPECT_EQ(http.requests[0].url, http.requests[1].url);
  EXPECT_EQ(tokens.invalidated, std::vector<std::string>{"old"});
  // Exactly one Authorization header on the retry.
  int auth_headers = 0;
  for (const auto& [k, v] : http.requests[1].headers) auth_headers += k == "Authorization";
  EXPECT_EQ(auth_headers, 1);
}

TEST_F(ClientTest, SecondUnauthorizedIsAnAuthFailure) {
  tokens.answers = {std::optional<std::string>("old"), std::optional<std::string>("new")};
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(401, R"({"error":{"code":"InvalidToken","message":"bad token"}})");
  http.EnqueueResponse(401, R"({"error":{"code":"InvalidToken","message":"bad token"}})");
  auto out = FetchNow(c, device_key, "");
  EXPECT_TRUE(out.failed() && !out.failed()->not_found);
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kAuth);
  EXPECT_EQ(FailureOf(out).http_status, 401);
  EXPECT_EQ(FailureOf(out).code, "InvalidToken");
  EXPECT_EQ(http.requests.size(), 2u);  // no third attempt
  EXPECT_EQ(tokens.invalidated, std::vector<std::string>{"old"});
  EXPECT_EQ(FailureOf(out).message.find("new"), std::string::npos);
}

TEST_F(ClientTest, UnauthorizedWithoutATokenIsNotRetried) {
  DeviceUpdateClient c(Options(), http, tokens);  // tokens: none
  http.EnqueueResponse(401);
  auto out = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kAuth);
  EXPECT_EQ(FailureOf(out).http_status, 401);
  EXPECT_EQ(http.requests.size(), 1u);
  EXPECT_TRUE(tokens.invalidated.empty());
}

TEST_F(ClientTest, TokenErrorIsAnAuthFailureAndNothingIsSent) {
  tokens.answers = {Status::Error("token endpoint said AADSTS7000215")};
  DeviceUpdateClient c(Options(), http, tokens);
  auto out = FetchNow(c, device_key, "");
  EXPECT_TRUE(out.failed() && !out.failed()->not_found);
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kAuth);
  EXPECT_NE(FailureOf(out).message.find("AADSTS7000215"), std::string::npos);
  EXPECT_TRUE(http.requests.empty());
  auto list = ListNow(c, OperationKind::kDevice, std::nullopt);
  EXPECT_FALSE(list.ok);
  EXPECT_EQ(list.failure.category, ErrorCategory::kAuth);
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(ClientTest, UnparseableBodyIsAParseFailure) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(200, R"({"operationId":"op-1","status":"Running")");
  auto out = FetchNow(c, device_key, "");
  EXPECT_TRUE(out.failed() && !out.failed()->not_found);
  EXPECT_EQ(FailureOf(out).category, ErrorCategory::kParse);
  EXPECT_EQ(FailureOf(out).http_status, 200);
  http.EnqueueResponse(200, "");
  EXPECT_EQ(FailureOf(FetchNow(c, device_key, "")).category, ErrorCategory::kParse);
}

TEST_F(ClientTest, TransportErrorsMapToCategories) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.Enqueue(TransportError{TransportErrorKind::kTooLarge, "x"});
  auto big = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(big).category, ErrorCategory::kParse);
  EXPECT_EQ(FailureOf(big).message, "response body larger than 4096 bytes");
  EXPECT_EQ(FailureOf(big).http_status, std::nullopt);

  http.Enqueue(TransportError{TransportErrorKind::kTimeout, ""});
  auto slow = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(slow).category, ErrorCategory::kTimeout);

  http.Enqueue(TransportError{TransportErrorKind::kNetwork, "connection refused"});
  auto down = FetchNow(c, device_key, "");
  EXPECT_EQ(FailureOf(down).category, ErrorCategory::kNetwork);
  EXPECT_EQ(FailureOf(down).message, "connection refused");
}

TEST_F(ClientTest, CancelAllCancelsInFlightRequests) {
  DeviceUpdateClient c(Options(), http, tokens);
  std::optional<FetchOutcome> got;
  c.Fetch(device_key, "", [&](FetchOutcome o) { got = std::move(o); });
  ASSERT_EQ(http.parked(), 1u);
  c.CancelAll();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(FailureOf(*got).category, ErrorCategory::kNetwork);
  EXPECT_EQ(FailureOf(*got).message, "cancelled");
  EXPECT_EQ(http.cancel_calls, 1);
}

TEST_F(ClientTest, UnauthorizedAfterCancelAllIsNotRetried) {
  tokens.answers = {std::optional<std::string>("old"), std::optional<std::string>("new")};
  DeviceUpdateClient c(Options(), http, tokens);
  std::optional<FetchOutcome> got;
  c.Fetch(device_key, "", [&](FetchOutcome o) { got = std::move(o); });
  http.cancel_parked = false;  // the 401 races with the shutdown and arrives after CancelAll()
  c.CancelAll();
  http.Complete(HttpResponse{401, {}, ""});
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(FailureOf(*got).message, "cancelled");
  EXPECT_TRUE(tokens.invalidated.empty());
  EXPECT_EQ(http.requests.size(), 1u);
}

// A token arriving after CancelAll() must not start the request.
class DeferredTokens : public TokenProvider {
 public:
  void GetToken(TokenCallback done) override { waiting.push_back(std::move(done)); }
  void Invalidate(const std::string&) override {}
  std::vector<TokenCallback> waiting;
};

TEST_F(ClientTest, RequestWaitingForATokenIsNotSentAfterCancelAll) {
  DeferredTokens deferred;
  DeviceUpdateClient c(Options(), http, deferred);
  std::optional<FetchOutcome> got;
  c.Fetch(device_key, "", [&](FetchOutcome o) { got = std::move(o); });
  c.CancelAll();
  ASSERT_EQ(deferred.waiting.size(), 1u);
  deferred.waiting[0](std::optional<std::string>("t"));
  EXPECT_TRUE(http.requests.empty());
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(FailureOf(*got).message, "cancelled");
}

TEST_F(ClientTest, ListDecodesAPageAndItsNextLink) {
  DeviceUpdateClient c(Options(), http, tokens);
  const std::string page =
      std::string(R"({"value":[)") + kOpBody +
      R"(],"nextLink":"https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations?skipToken=t1"})";
  http.EnqueueResponse(200, page, {{"Retry-After", "3"}});
  auto out = ListNow(c, OperationKind::kDevice, std::nullopt);
  ASSERT_TRUE(out.ok) << out.failure.message;
  EXPECT_EQ(out.retry_after, std::chrono::seconds(3));
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_EQ(out.items[0].operation.operation_id, "op-1");
  EXPECT_EQ(out.items[0].etag, "\"body-etag\"");
  ASSERT_TRUE(out.next_page.has_value());

  http.EnqueueResponse(200, R"({"value":[]})");
  auto next = ListNow(c, OperationKind::kDevice, out.next_page);
  ASSERT_TRUE(next.ok);
  EXPECT_FALSE(next.next_page.has_value());
  ASSERT_EQ(http.requests.size(), 2u);
  EXPECT_EQ(http.requests[1].url,
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations"
            "?skipToken=t1&api-version=2022-10-01");
}

TEST_F(ClientTest, ListFailures) {
  DeviceUpdateClient c(Options(), http, tokens);
  http.EnqueueResponse(200, R"({"value":{}})");
  auto bad = ListNow(c, OperationKind::kUpdate, std::nullopt);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.failure.category, ErrorCategory::kParse);
  http.EnqueueResponse(429, "", {{"Retry-After", "60"}});
  auto throttled = ListNow(c, OperationKind::kUpdate, std::nullopt);
  EXPECT_FALSE(throttled.ok);
  EXPECT_EQ(throttled.failure.category, ErrorCategory::kThrottled);
  EXPECT_EQ(throttled.retry_after, std::chrono::seconds(60));
}

TEST_F(ClientTest, ForeignNextLinkIsRefusedWithoutARequest) {
  tokens.answers = {std::optional<std::string>("secret-token")};
  DeviceUpdateClient c(Options(), http, tokens);
  for (const std::string link :
       {"https://evil.example.com/deviceUpdate/blue/management/operations?api-version=2022-10-01",
        "http://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations",
        "https://contoso.api.adu.microsoft.com:8443/deviceUpdate/blue/management/operations",
        "//evil.example.com/deviceUpdate/x", "https://user@contoso.api.adu.microsoft.com/x"}) {
    auto out = ListNow(c, OperationKind::kDevice, link);
    EXPECT_FALSE(out.ok) << link;
    EXPECT_EQ(out.failure.category, ErrorCategory::kHttp);
    EXPECT_NE(out.failure.message.find("nextLink"), std::string::npos);
  }
  auto evil = ListNow(c, OperationKind::kDevice, "https://evil.example.com/x");
  EXPECT_EQ(evil.failure.message, "refusing nextLink to foreign host https://evil.example.com");
  EXPECT_TRUE(http.requests.empty());
  EXPECT_EQ(tokens.get_calls, 0);
}

TEST_F(ClientTest, RelativeNextLinkIsResolvedAndKeepsApiVersion) {
  DeviceUpdateClient c(Options(), http, tokens);
  EXPECT_EQ(c.ResolveNextLink("/deviceUpdate/blue/management/operations?api-version=2022-10-01"
                              "&skipToken=a%20b")
                .value(),
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations"
            "?api-version=2022-10-01&skipToken=a%20b");
  EXPECT_EQ(c.ResolveNextLink("deviceUpdate/blue/management/operations?skipToken=x").value(),
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations"
            "?skipToken=x&api-version=2022-10-01");
  EXPECT_EQ(c.ResolveNextLink("/deviceUpdate/blue/management/operations").value(),
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations"
            "?api-version=2022-10-01");
  // Same host, other letter case and explicit default port: still ours.
  EXPECT_EQ(c.ResolveNextLink("HTTPS://Contoso.api.adu.microsoft.com:443/d?top=5").value(),
            "https://contoso.api.adu.microsoft.com/d?top=5&api-version=2022-10-01");
  // Raw spaces from a sloppy server are encoded rather than sent.
  EXPECT_EQ(c.ResolveNextLink("/d?filter=status eq 'Running'").value(),
            "https://contoso.api.adu.microsoft.com/d?filter=status%20eq%20'Running'"
            "&api-version=2022-10-01");

  http.EnqueueResponse(200, R"({"value":[]})");
  auto out =
      ListNow(c, OperationKind::kDevice, "deviceUpdate/blue/management/operations?skipToken=x");
  EXPECT_TRUE(out.ok);
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].url,
            "https://contoso.api.adu.microsoft.com/deviceUpdate/blue/management/operations"
            "?skipToken=x&api-version=2022-10-01");
}

TEST_F(ClientTest, ClientMayBeDestroyedWhileARequestIsInFlight) {
  std::optional<FetchOutcome> got;
  {
    DeviceUpdateClient c(Options(), http, tokens);
    c.Fetch(device_key, "", [&](FetchOutcome o) { got = std::move(o); });
  }
  http.Complete(HttpResponse{304, {}, ""});
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->unchanged());
}

TEST(NoneTokenProvider, YieldsNoToken) {
  NoneTokenProvider none;
  std::optional<Result<std::optional<std::string>>> got;
  none.GetToken([&](Result<std::optional<std::string>> r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  EXPECT_FALSE(got->value().has_value());
}

// The client logs through the logger it is given (the daemon's, with the journal sink and the
// configured level), never through spdlog's global default logger.
TEST_F(ClientTest, LogsSkippedListItemsThroughTheInjectedLogger) {
  std::shared_ptr<adu::testing::CaptureSink> injected;
  std::shared_ptr<adu::testing::CaptureSink> global;
  const auto previous_default = spdlog::default_logger();
  spdlog::set_default_logger(adu::testing::CaptureLogger(global));
  auto o = Options();
  o.logger = adu::testing::CaptureLogger(injected);
  DeviceUpdateClient c(o, http, tokens);
  http.EnqueueResponse(
      200,
      std::string(R"({"value":[{"status":"Running"},)") + kOpBody +
          R"(,{"operationId":"op-2","status":"Running","lastActionDateTime":"2026-01-01T00:00:01Z",)"
          R"("createdDateTime":"2026-01-01T00:00:00Z","etag":"\"a\nb\""}]})");
  c.ListInFlight(OperationKind::kDevice, std::nullopt, [](auto&&) {});
  spdlog::set_default_logger(previous_default);

  const auto warnings = injected->AtLevel(spdlog::level::warn);
  ASSERT_EQ(warnings.size(), 2u) << injected->Text();
  EXPECT_NE(warnings[0].find("list of device operations: skipped an undecodable item (item 0"),
            std::string::npos)
      << warnings[0];
  EXPECT_EQ(warnings[1], "list of device operations: skipped op-2: unusable ETag");
  EXPECT_EQ(global->Text(), "");
}

}  // namespace
}  // namespace adu::client
