#include "endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <prometheus/exposer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

namespace adu::metrics {
namespace {

// How long the server gives one request; a client slower than this loses its connection.
constexpr const char* kRequestTimeoutMs = "10000";
// Enough for Prometheus plus a person with curl; a scrape takes well under a millisecond.
constexpr const char* kServerThreads = "2";

// Binds a throwaway socket to `address` to learn whether the server can, and why not: civetweb
// only reports "cannot bind". SO_REUSEADDR as civetweb sets it, so a socket in TIME_WAIT does
// not count as in use.
Status ProbeBind(const config::ListenAddress& address) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(address.port));
  ::inet_pton(AF_INET, address.host.c_str(), &a.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("cannot create a socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return Status::Ok();
  const std::string where = address.ToString();
  switch (err) {
    case EADDRINUSE:
      return Status::Error("cannot listen on " + where + ": port " + std::to_string(address.port) +
                           " is in use by another program");
    case EACCES:
    case EPERM:
      return Status::Error("cannot listen on " + where +
                           ": not permitted (ports below 1024 "
                           "need CAP_NET_BIND_SERVICE; use a port such as 9469)");
    case EADDRNOTAVAIL:
      return Status::Error("cannot listen on " + where + ": " + address.host +
                           " is not an address of this machine");
    default:
      return Status::Error("cannot listen on " + where + ": " + std::strerror(err));
  }
}

// Connects to `address` and hangs up at once.
void Knock(const config::ListenAddress& address, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address.host == "0.0.0.0" ? "127.0.0.1" : address.host.c_str(), &a.sin_addr);
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(fd);
}

}  // namespace

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const config::ListenAddress& address, std::shared_ptr<prometheus::Collectable> collectable) {
  if (address.host.find(':') != std::string::npos) {
    // Debian's civetweb is built without IPv6 ("address family not supported").
    return Status::Error("cannot listen on " + address.ToString() +
                         ": the embedded HTTP server (civetweb) of this build has no IPv6; use an "
                         "IPv4 address such as 127.0.0.1:9469 or 0.0.0.0:9469");
  }
  if (Status probe = ProbeBind(address); !probe.ok()) return probe;
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  endpoint->address_ = address;
  endpoint->collectable_ = std::move(collectable);
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", address.ToString(), "num_threads",
                                 kServerThreads, "request_timeout_ms", kRequestTimeoutMs});
  } catch (const std::exception& e) {
    // The probe passed, so this is a race (someone took the port in between) or civetweb
    // refusing the address form.
    return Status::Error("cannot listen on " + address.ToString() + ": " + e.what());
  }
  endpoint->exposer_->RegisterCollectable(endpoint->collectable_);
  const auto ports = endpoint->exposer_->GetListeningPorts();
  endpoint->port_ = ports.empty() ? address.port : ports.front();
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  // Once it has served a request, civetweb's stop waits for its listener's poll() to time out
  // (2 s, measured here), which would eat the daemon's whole shutdown budget. Connections wake
  // that poll: knock until the server is gone (about 20 ms instead of 2 s).
  std::atomic<bool> stopped{false};
  std::thread knocker([&] {
    while (!stopped.load()) {
      Knock(address_, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  exposer_.reset();
  stopped = true;
  knocker.join();
}

}  // namespace adu::metrics
