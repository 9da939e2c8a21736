// adu_opwatch_requests_total's source: every answer counted under its call and code.
#include <gtest/gtest.h>

#include "adu/client/counting_http_client.h"
#include "adu/client/device_update_client.h"
#include "fakes.h"

namespace adu::client {
namespace {

using testing::FakeHttpClient;
using testing::FakeTokenProvider;

constexpr char kOpBody[] =
    R"({"operationId":"op-1","status":"Running","lastActionDateTime":"2026-01-01T00:00:01Z",)"
    R"("createdDateTime":"2026-01-01T00:00:00Z","etag":"\"e\""})";

uint64_t CountOf(const Figures& f, RequestCall call, std::string_view code) {
  for (const auto& r : f.Read(MonoTime{}).requests) {
    if (r.call == call && r.code == code) return r.count;
  }
  return 0;
}

size_t Kinds(const Figures& f) { return f.Read(MonoTime{}).requests.size(); }

TEST(RequestCountsTest, TheClientCountsGetsAndListsByCode) {
  FakeHttpClient http;
  FakeTokenProvider tokens;
  tokens.answers = {std::optional<std::string>("old"), std::optional<std::string>("new")};
  Figures figures;
  ClientOptions o;
  o.endpoint = "https://contoso.api.adu.microsoft.com";
  o.instance_id = "blue";
  o.figures = &figures;
  DeviceUpdateClient c(o, http, tokens);
  const OperationKey key{OperationKind::kDevice, "op-1"};

  http.EnqueueResponse(401);  // refreshed and retried: two answers, both counted
  http.EnqueueResponse(200, kOpBody);
  c.Fetch(key, "", [](FetchOutcome) {});
  http.EnqueueResponse(304);
  c.Fetch(key, "\"e\"", [](FetchOutcome) {});
  http.Enqueue(TransportError{TransportErrorKind::kTimeout, "slow"});
  c.Fetch(key, "\"e\"", [](FetchOutcome) {});
  http.Enqueue(TransportError{TransportErrorKind::kNetwork, "reset"});
  c.Fetch(key, "\"e\"", [](FetchOutcome) {});
  http.Enqueue(TransportError{TransportErrorKind::kTooLarge, "big"});
  c.Fetch(key, "\"e\"", [](FetchOutcome) {});
  http.Enqueue(TransportError{TransportErrorKind::kCancelled, "cancelled"});  // ours: not counted
  c.Fetch(key, "\"e\"", [](FetchOutcome) {});
  http.EnqueueResponse(429);
  c.ListInFlight(OperationKind::kUpdate, std::nullopt, [](ListOutcome) {});

  EXPECT_EQ(CountOf(figures, RequestCall::kGet, "401"), 1u);
  EXPECT_EQ(CountOf(figures, RequestCall::kGet, "200"), 1u);
  EXPECT_EQ(CountOf(figures, RequestCall::kGet, "304"), 1u);
  EXPECT_EQ(CountOf(figures, RequestCall::kGet, "timeout"), 1u);
  EXPECT_EQ(CountOf(figures, RequestCall::kGet, "network"), 2u);
  EXPECT_EQ(CountOf(figures, RequestCall::kList, "429"), 1u);
  EXPECT_EQ(Kinds(figures), 6u);
}

TEST(RequestCountsTest, CountingHttpClientCountsEveryAnswerUnderItsCall) {
  FakeHttpClient inner;
  Figures figures;
  CountingHttpClient counted(inner, figures, RequestCall::kToken);
  int answers = 0;
  inner.EnqueueResponse(200);
  counted.Send(HttpRequest{}, [&](HttpResult) { ++answers; });
  inner.EnqueueResponse(400);
  counted.Send(HttpRequest{}, [&](HttpResult) { ++answers; });
  counted.Send(HttpRequest{}, [&](HttpResult) { ++answers; });  // parked
  counted.CancelAll();  // reaches the inner client: the parked one ends, cancelled, not counted
  EXPECT_EQ(answers, 3);
  EXPECT_EQ(inner.cancel_calls, 1);
  EXPECT_EQ(CountOf(figures, RequestCall::kToken, "200"), 1u);
  EXPECT_EQ(CountOf(figures, RequestCall::kToken, "400"), 1u);
  EXPECT_EQ(Kinds(figures), 2u);
}

}  // namespace
}  // namespace adu::client
