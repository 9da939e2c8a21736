// A tiny HTTP/1.1 server on 127.0.0.1 for the transports' contract tests: one thread per
// connection, routed on the request path (see Serve()), request bodies echoed after the head.
// Only loopback; shared by cpprest_http_client_test.cpp and curl_http_client_test.cpp.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <string>
#include <thread>

namespace adu::client::testing {

using namespace std::chrono_literals;

// Serves one thread per connection; routes on the request path. Only loopback.
class LoopbackServer {
 public:
  LoopbackServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, SOMAXCONN) != 0) {  // the tests open 50 at once
      ADD_FAILURE() << "cannot listen on loopback";
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~LoopbackServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : workers_) t.join();
    ::close(listen_fd_);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  std::string last_head() {
    std::lock_guard lock(mu_);
    return last_head_;
  }
  // Blocks until `n` requests have arrived (bounded).
  bool WaitForRequests(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return requests_ >= n; });
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      workers_.emplace_back([this, fd] {
        Serve(fd);
        ::close(fd);
      });
    }
  }

  // Waits for readable data or the peer's close; false on stop, close or error.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, 20);
      if (r < 0) return false;
      if (r > 0) return true;
    }
    return false;
  }

  // Holds the connection open without answering until the client gives up or the test ends.
  void Stall(int fd) {
    char buf[512];
    while (WaitReadable(fd)) {
      if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
    }
  }

  static void SendAll(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  void Serve(int fd) {
    std::string buffer;
    while (true) {
      size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!WaitReadable(fd)) return;
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return;
        buffer.append(buf, static_cast<size_t>(n));
      }
      std::string head = buffer.substr(0, end + 4);
      buffer.erase(0, end + 4);
      // A request body (POST): read it and echo it after the head.
      // cpprest writes "Content-Length:N", libcurl "Content-Length: N".
      if (const auto cl = head.find("Content-Length:"); cl != std::string::npos) {
        const size_t len = std::stoul(head.substr(cl + 15));
        while (buffer.size() < len) {
          if (!WaitReadable(fd)) return;
          char buf[4096];
          const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) return;
          buffer.append(buf, static_cast<size_t>(n));
        }
        head += buffer.substr(0, len);
        buffer.erase(0, len);
      }
      {
        std::lock_guard lock(mu_);
        last_head_ = head;
        ++requests_;
      }
      cv_.notify_all();
      const std::string path =
          head.substr(head.find(' ') + 1, head.find(' ', head.find(' ') + 1) - head.find(' ') - 1);
      if (path == "/ok" || path == "/echo") {
        const std::string body = path == "/ok" ? "hello" : head;
        SendAll(fd,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"e1\"\r\n"
                "Content-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
      } else if (path.starts_with("/deviceUpdate/")) {
        const std::string body = R"({"value":[{"operationId":"o1","status":"Running",)"
                                 R"("lastActionDateTime":"a","createdDateTime":"b"}]})";
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body);
      } else if (path.starts_with("/respond/")) {
        // "/respond/<status>[/after/<seconds>]...": that status (and a Retry-After), the request
        // target echoed as the body (a receiver that repeats a secret URL back).
        std::string extra;
        if (const auto after = path.find("/after/"); after != std::string::npos) {
          extra = "Retry-After: " + path.substr(after + 7, path.find('/', after + 7) - after - 7) +
                  "\r\n";
        }
        SendAll(fd, "HTTP/1.1 " + path.substr(9, 3) + " Whatever\r\n" + extra +
                        "Content-Length: " + std::to_string(path.size()) + "\r\n\r\n" + path);
      } else if (path == "/bigclose") {
        SendAll(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(300000, 'z'));
        return;
      } else if (path == "/notmodified") {
        SendAll(fd, "HTTP/1.1 304 Not Modified\r\nETag: \"e1\"\r\nRetry-After: 9\r\n\r\n");
      } else if (path == "/stall" || path.starts_with("/stall/")) {
        Stall(fd);
        return;
      } else if (path == "/stallbody") {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
        Stall(fd);
        return;
      } else if (path == "/big") {
        SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n" + std::string(300000, 'x'));
        Stall(fd);
        return;
      } else if (path == "/bigchunked") {
        SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        const std::string chunk = "2000\r\n" + std::string(0x2000, 'y') + "\r\n";
        for (int i = 0; i < 40 && !stop_; ++i) SendAll(fd, chunk);
        SendAll(fd, "0\r\n\r\n");
        Stall(fd);
        return;
      } else {
        SendAll(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      }
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  int requests_ = 0;
  std::string last_head_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread acceptor_;
  std::list<std::thread> workers_;  // only touched by the acceptor and the destructor
};

}  // namespace adu::client::testing
