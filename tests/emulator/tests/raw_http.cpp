#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace adu::emulator::testing {

std::optional<std::string> RawResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return std::nullopt;
}

RawConnection::RawConnection(std::uint16_t port, int timeout_ms) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::Send(const std::string& method, const std::string& target,
                         const Headers& headers, const std::string& body) {
  if (fd_ < 0) return false;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  std::size_t sent = 0;
  while (sent < req.size()) {
    const auto n = ::send(fd_, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

RawResponse RawConnection::Read() {
  RawResponse res;
  std::string& buf = pending_;
  bool in_body = false;
  auto fill = [&]() -> bool {  // false on EOF/error, with res.error set
    char chunk[65536];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buf.append(chunk, static_cast<std::size_t>(n));
      if (in_body) ++res.body_reads;
      return true;
    }
    if (n == 0) {
      res.error = "closed";
    } else if (errno == ECONNRESET) {
      res.error = "reset";
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      res.error = "timeout";
    } else {
      res.error = std::strerror(errno);
    }
    return false;
  };
  if (fd_ < 0) {
    res.error = "not connected";
    return res;
  }
  std::size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return res;
  }
  const std::string head = buf.substr(0, header_end);
  buf.erase(0, header_end + 4);
  std::size_t pos = head.find("\r\n");
  const std::string status_line = head.substr(0, pos);
  if (status_line.size() >= 12) res.status = std::atoi(status_line.c_str() + 9);
  while (pos != std::string::npos && pos < head.size()) {
    const std::size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      res.headers.emplace_back(line.substr(0, colon), value);
    }
    pos = next;
  }
  if (res.status == 304 || res.status == 204) return res;
  in_body = true;
  if (const auto cl = res.Header("Content-Length")) {
    const std::size_t want = std::stoul(*cl);
    if (!buf.empty()) ++res.body_reads;
    while (buf.size() < want) {
      if (!fill()) {
        res.body = std::move(buf);
        buf.clear();
        return res;
      }
    }
    res.body = buf.substr(0, want);
    buf.erase(0, want);
    return res;
  }
  while (fill()) {
  }
  if (res.error == "closed") res.error.clear();  // body delimited by close
  res.body = std::move(buf);
  buf.clear();
  return res;
}

RawResponse RawConnection::Request(const std::string& method, const std::string& target,
                                   const Headers& headers, const std::string& body) {
  if (!Send(method, target, headers, body)) {
    RawResponse r;
    r.error = "send failed";
    return r;
  }
  return Read();
}

RawResponse Get(std::uint16_t port, const std::string& target, const Headers& headers,
                int timeout_ms) {
  RawConnection c(port, timeout_ms);
  return c.Request("GET", target, headers);
}

RawResponse Post(std::uint16_t port, const std::string& target, const std::string& body,
                 const Headers& headers) {
  RawConnection c(port);
  Headers h = headers;
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  return c.Request("POST", target, h, body);
}

}  // namespace adu::emulator::testing
