// The /metrics endpoint on loopback: what it serves, why it cannot listen, and that a stuck
// client holds nothing the publishers need.
#include "endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "families.h"
#include "raw_http.h"

namespace adu::metrics {
namespace {

using namespace std::chrono_literals;
using emulator::testing::Get;
using emulator::testing::RawConnection;
using ::testing::HasSubstr;

config::ListenAddress Loopback(int port) { return {"127.0.0.1", port}; }

class EndpointTest : public ::testing::Test {
 protected:
  std::shared_ptr<FiguresCollectable> Source() {
    return std::make_shared<FiguresCollectable>(figures_, SystemClock(), "0.1.0");
  }
  Figures figures_;
};

TEST_F(EndpointTest, ServesTheFiguresOnAChosenPort) {
  auto endpoint = MetricsEndpoint::Start(Loopback(0), Source());
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  const int port = (*endpoint)->port();
  ASSERT_GT(port, 0);
  figures_.CountRequest(RequestCall::kGet, 200);
  auto r = Get(static_cast<uint16_t>(port), "/metrics");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_THAT(r.Header("Content-Type").value_or(""), HasSubstr("text/plain"));
  EXPECT_THAT(r.body, HasSubstr("adu_opwatch_requests_total{call=\"get\",code=\"200\"} 1\n"));
  // Each scrape reads the figures afresh.
  figures_.CountRequest(RequestCall::kGet, 200);
  r = Get(static_cast<uint16_t>(port), "/metrics");
  EXPECT_THAT(r.body, HasSubstr("adu_opwatch_requests_total{call=\"get\",code=\"200\"} 2\n"));
  // Stopping after serving is quick: the daemon's shutdown budget is two seconds in all.
  const auto start = std::chrono::steady_clock::now();
  endpoint->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
}

TEST_F(EndpointTest, APortInUseIsNamed) {
  // Hold a listening socket on a free port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);

  auto endpoint = MetricsEndpoint::Start(Loopback(port), Source());
  ::close(fd);
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error(), "cannot listen on 127.0.0.1:" + std::to_string(port) + ": port " +
                                  std::to_string(port) + " is in use by another program");
}

TEST_F(EndpointTest, APrivilegedPortIsNotPermitted) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may bind any port";
  auto endpoint = MetricsEndpoint::Start(Loopback(80), Source());
  ASSERT_FALSE(endpoint.ok());
  EXPECT_THAT(endpoint.error(), HasSubstr("not permitted (ports below 1024 need "
                                          "CAP_NET_BIND_SERVICE"));
}

TEST_F(EndpointTest, AnAddressOfAnotherMachineIsNamed) {
  // TEST-NET-1 (RFC 5737): never configured on a host; bind() fails locally, nothing is sent.
  auto endpoint = MetricsEndpoint::Start({"192.0.2.1", 9469}, Source());
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error(),
            "cannot listen on 192.0.2.1:9469: 192.0.2.1 is not an address of this machine");
}

TEST_F(EndpointTest, Ipv6IsRefusedWithTheReason) {
  auto endpoint = MetricsEndpoint::Start({"::1", 9469}, Source());
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.error(),
            "cannot listen on [::1]:9469: the embedded HTTP server (civetweb) of this build has no "
            "IPv6; use an IPv4 address such as 127.0.0.1:9469 or 0.0.0.0:9469");
}

// Two clients that connect and never finish their request occupy both server threads. The
// publishers (the engine's side) carry on at full speed meanwhile, and once the stuck clients
// give up a scrape works again.
TEST_F(EndpointTest, StuckClientsNeverHoldUpPublishers) {
  auto endpoint = MetricsEndpoint::Start(Loopback(0), Source());
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  const auto port = static_cast<uint16_t>((*endpoint)->port());
  {
    RawConnection stuck1(port);
    RawConnection stuck2(port);
    ASSERT_TRUE(stuck1.connected() && stuck2.connected());
    std::this_thread::sleep_for(100ms);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100000; ++i) {
      figures_.CountRequest(RequestCall::kGet, 304);
      figures_.CountBudgetUse(RequestCall::kGet, SystemClock().Now());
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  }
  auto r = Get(port, "/metrics");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_THAT(r.body, HasSubstr("adu_opwatch_requests_total{call=\"get\",code=\"304\"} 100000\n"));
}

}  // namespace
}  // namespace adu::metrics
