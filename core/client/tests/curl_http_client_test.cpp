// The libcurl HttpClient against the loopback server: the transport contract
// (http_transport_contract.h), plus what is particular to it: request bodies (token requests),
// its one I/O thread, many requests at once.
#include "adu/client/curl_http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "http_transport_contract.h"

namespace adu::client {
namespace {

using namespace std::chrono_literals;
using testing::ErrorOf;
using testing::Get;
using testing::HttpTransportContract;
using testing::LoopbackServer;

INSTANTIATE_TEST_SUITE_P(Curl, HttpTransportContract,
                         ::testing::Values(testing::TransportUnderTest{
                             "curl", [] { return MakeCurlHttpClient({}); }, ": ", 1}),
                         testing::TransportName);

// Particular to this transport: request bodies (token requests) and its one I/O thread.
TEST(CurlHttpClient, PostSendsTheBodyAndTheCallbackRunsOnAnotherThread) {
  LoopbackServer server;
  auto client = MakeCurlHttpClient({});
  HttpRequest req = Get(server.Url("/echo"));
  req.method = "POST";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "grant_type=client_credentials";
  auto promise = std::make_shared<std::promise<std::pair<HttpResult, std::thread::id>>>();
  auto future = promise->get_future();
  client->Send(req, [promise](HttpResult r) {
    promise->set_value({std::move(r), std::this_thread::get_id()});
  });
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  auto [r, thread] = future.get();
  EXPECT_NE(thread, std::this_thread::get_id());
  ASSERT_TRUE(std::holds_alternative<HttpResponse>(r)) << ErrorOf(r)->message;
  const auto& head = std::get<HttpResponse>(r).body;
  EXPECT_NE(head.find("POST /echo HTTP/1.1"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: 29\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Type: application/x-www-form-urlencoded\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Expect:"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\ngrant_type=client_credentials")) << head;
}

TEST(CurlHttpClient, ManyConcurrentRequestsEachGetExactlyOneCallback) {
  LoopbackServer server;
  auto client = MakeCurlHttpClient({});
  std::atomic<int> calls{0}, ok{0};
  std::promise<void> all;
  constexpr int kRequests = 50;
  for (int i = 0; i < kRequests; ++i) {
    client->Send(Get(server.Url("/ok")), [&](HttpResult r) {
      if (std::holds_alternative<HttpResponse>(r)) ++ok;
      if (++calls == kRequests) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(20s), std::future_status::ready);
  EXPECT_EQ(ok.load(), kRequests);
  client.reset();
  EXPECT_EQ(calls.load(), kRequests);
}

}  // namespace
}  // namespace adu::client
