// The contract every HttpClient transport keeps, as value-parameterised tests against the
// loopback server: each transport's test file instantiates HttpTransportContract with its factory
// and adds only what is particular to it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <string>

#include "adu/client/device_update_client.h"
#include "adu/client/http_client.h"
#include "adu/client/none_token_provider.h"
#include "loopback_server.h"

namespace adu::client::testing {

struct TransportUnderTest {
  std::string name;
  std::function<std::unique_ptr<HttpClient>()> make;
  std::string header_separator;  // between a request header's name and value on the wire
  // cpprest returns a connection to its pool only when its request context dies, which can be
  // just after our callback ran, so not every request reuses one; libcurl's cache always does.
  int max_connections_for_11_requests = 1;
};

inline void PrintTo(const TransportUnderTest& t, std::ostream* os) { *os << t.name; }

inline std::string TransportName(const ::testing::TestParamInfo<TransportUnderTest>& info) {
  return info.param.name;
}

class HttpTransportContract : public ::testing::TestWithParam<TransportUnderTest> {};

// Sends and waits (bounded) for the one callback.
inline HttpResult SendAndWait(HttpClient& client, HttpRequest req) {
  auto promise = std::make_shared<std::promise<HttpResult>>();
  auto future = promise->get_future();
  client.Send(std::move(req), [promise](HttpResult r) { promise->set_value(std::move(r)); });
  if (future.wait_for(20s) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within 20 s";
    return TransportError{TransportErrorKind::kNetwork, "test: no callback"};
  }
  return future.get();
}

inline HttpRequest Get(const std::string& url, std::chrono::milliseconds deadline = 5s) {
  HttpRequest r;
  r.url = url;
  r.deadline = deadline;
  return r;
}

inline const TransportError* ErrorOf(const HttpResult& r) {
  return std::get_if<TransportError>(&r);
}

TEST_P(HttpTransportContract, OkResponseWithHeadersAndKeepAlive) {
  LoopbackServer server;
  auto client = GetParam().make();
  auto req = Get(server.Url("/echo"));
  req.headers = {{"If-None-Match", "W/\"x\""}, {"Authorization", "Bearer t"}};
  auto r = SendAndWait(*client, req);
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(r)) << ErrorOf(r)->message;
  const auto& resp = std::get<HttpResponse>(r);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.Header("etag"), "\"e1\"");
  // cpprest writes "Name:value", libcurl "Name: value": both are valid HTTP.
  const std::string sep = GetParam().header_separator;
  EXPECT_NE(resp.body.find("If-None-Match" + sep + "W/\"x\"\r\n"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("Authorization" + sep + "Bearer t\r\n"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("User-Agent" + sep + "adu-opwatch"), std::string::npos) << resp.body;
  EXPECT_NE(resp.body.find("GET /echo HTTP/1.1"), std::string::npos) << resp.body;

  // Keep-alive: the connections opened for 11 requests stay within the transport's promise.
  for (int i = 0; i < 10; ++i) {
    auto again = SendAndWait(*client, Get(server.Url("/ok")));
    ASSERT_TRUE(std::holds_alternative<HttpResponse>(again));
    EXPECT_EQ(std::get<HttpResponse>(again).body, "hello");
  }
  EXPECT_LE(server.connections(), GetParam().max_connections_for_11_requests);

  auto nm = SendAndWait(*client, Get(server.Url("/notmodified")));
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(nm));
  EXPECT_EQ(std::get<HttpResponse>(nm).status, 304);
  EXPECT_EQ(std::get<HttpResponse>(nm).Header("Retry-After"), "9");
  EXPECT_EQ(std::get<HttpResponse>(nm).body, "");
}

TEST_P(HttpTransportContract, WholeRequestDeadlineOnAStalledServer) {
  LoopbackServer server;
  auto client = GetParam().make();
  for (const char* path : {"/stall", "/stallbody"}) {
    const auto start = std::chrono::steady_clock::now();
    auto r = SendAndWait(*client, Get(server.Url(path), 300ms));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_NE(ErrorOf(r), nullptr) << path;
    EXPECT_EQ(ErrorOf(r)->kind, TransportErrorKind::kTimeout)
        << path << ": " << ErrorOf(r)->message;
    EXPECT_GE(elapsed, 290ms) << path;
    EXPECT_LT(elapsed, 300ms + 5s) << path;
  }
}

TEST_P(HttpTransportContract, CancelAllEndsAStalledRequest) {
  LoopbackServer server;
  auto client = GetParam().make();
  auto promise = std::make_shared<std::promise<HttpResult>>();
  auto future = promise->get_future();
  client->Send(Get(server.Url("/stall"), 60s),
               [promise](HttpResult r) { promise->set_value(std::move(r)); });
  ASSERT_TRUE(server.WaitForRequests(1));
  client->CancelAll();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  auto r = future.get();
  ASSERT_NE(ErrorOf(r), nullptr);
  EXPECT_EQ(ErrorOf(r)->kind, TransportErrorKind::kCancelled);
  // The client still works afterwards.
  auto ok = SendAndWait(*client, Get(server.Url("/ok")));
  EXPECT_TRUE(std::holds_alternative<HttpResponse>(ok));
}

TEST_P(HttpTransportContract, BodyCapWithContentLengthAndChunked) {
  LoopbackServer server;
  auto client = GetParam().make();
  for (const char* path : {"/big", "/bigchunked", "/bigclose"}) {
    auto req = Get(server.Url(path));
    req.max_body_bytes = 64 * 1024;
    auto r = SendAndWait(*client, req);
    ASSERT_NE(ErrorOf(r), nullptr) << path;
    EXPECT_EQ(ErrorOf(r)->kind, TransportErrorKind::kTooLarge)
        << path << ": " << ErrorOf(r)->message;
  }
  // Under the cap the same answers are fine.
  auto req = Get(server.Url("/bigchunked"));
  req.max_body_bytes = 1 << 20;
  req.deadline = 300ms;  // /bigchunked stalls after the last chunk only if misparsed
  auto r = SendAndWait(*client, req);
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(r)) << ErrorOf(r)->message;
  EXPECT_EQ(std::get<HttpResponse>(r).body.size(), 40u * 0x2000);
}

TEST_P(HttpTransportContract, HeaderInjectionIsRefusedBeforeSending) {
  LoopbackServer server;
  auto client = GetParam().make();
  for (auto bad : {std::pair<std::string, std::string>{"If-None-Match", "\"a\"\r\nX-Evil: 1"},
                   {"If-None-Match", std::string("a\0b", 3)},
                   {"X-Bad\nName", "v"},
                   {"", "v"}}) {
    auto req = Get(server.Url("/ok"));
    req.headers = {bad};
    auto r = SendAndWait(*client, req);
    ASSERT_NE(ErrorOf(r), nullptr);
    EXPECT_EQ(ErrorOf(r)->kind, TransportErrorKind::kNetwork);
    EXPECT_EQ(ErrorOf(r)->message.find("X-Evil"), std::string::npos);
  }
  EXPECT_EQ(server.requests(), 0);
}

TEST_P(HttpTransportContract, ConnectionRefusedIsANetworkError) {
  int port = 0;
  {
    LoopbackServer closed;  // take a free port, then close it
    port = std::stoi(closed.Url("").substr(std::string("http://127.0.0.1:").size()));
  }
  auto client = GetParam().make();
  auto r = SendAndWait(*client, Get("http://127.0.0.1:" + std::to_string(port) + "/ok"));
  ASSERT_NE(ErrorOf(r), nullptr);
  EXPECT_EQ(ErrorOf(r)->kind, TransportErrorKind::kNetwork);
  auto bad = SendAndWait(*client, Get("ftp://127.0.0.1/x"));
  ASSERT_NE(ErrorOf(bad), nullptr);
  EXPECT_EQ(ErrorOf(bad)->kind, TransportErrorKind::kNetwork);
}

TEST_P(HttpTransportContract, DestructorCancelsAndDrainsInFlightRequests) {
  LoopbackServer server;
  auto client = GetParam().make();
  auto promise = std::make_shared<std::promise<HttpResult>>();
  auto future = promise->get_future();
  client->Send(Get(server.Url("/stall"), 60s),
               [promise](HttpResult r) { promise->set_value(std::move(r)); });
  ASSERT_TRUE(server.WaitForRequests(1));
  client.reset();
  // The callback has run by the time the destructor returns.
  ASSERT_EQ(future.wait_for(0s), std::future_status::ready);
  auto r = future.get();
  ASSERT_NE(ErrorOf(r), nullptr);
  EXPECT_EQ(ErrorOf(r)->kind, TransportErrorKind::kCancelled);
}

// The Device Update client over the real transport: the URL reaches the wire unchanged (no
// double encoding) and the answer is decoded.
TEST_P(HttpTransportContract, DeviceUpdateClientEndToEnd) {
  LoopbackServer server;
  auto http = GetParam().make();
  NoneTokenProvider none;
  ClientOptions options;
  options.endpoint = server.Url("");
  options.instance_id = "blue";
  DeviceUpdateClient client(options, *http, none);
  std::promise<ListOutcome> promise;
  auto future = promise.get_future();
  client.ListInFlight(OperationKind::kDevice, std::nullopt,
                      [&promise](ListOutcome o) { promise.set_value(std::move(o)); });
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  auto out = future.get();
  ASSERT_NE(out.page(), nullptr) << out.failure()->message;
  ASSERT_EQ(out.page()->items.size(), 1u);
  EXPECT_EQ(out.page()->items[0].operation.operation_id, "o1");
  EXPECT_EQ(server.last_head().substr(0, server.last_head().find("\r\n")),
            "GET /deviceUpdate/blue/management/operations?api-version=2022-10-01"
            "&filter=status%20eq%20'NotStarted'%20or%20status%20eq%20'Running' HTTP/1.1");
}

}  // namespace adu::client::testing
