// A deliberately dumb blocking HTTP/1.1 client for the emulator tests and benchmark: raw sockets,
// so resets, truncation, stalls and trickling are seen exactly as they happen. Not thread-safe
// (one connection per thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace adu::emulator::testing {

struct RawResponse {
  int status = 0;  // 0: no status line received
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string error;   // "" | "reset" | "timeout" | "closed" (EOF before the answer was complete)
  int body_reads = 0;  // recv() calls that delivered body bytes
  std::optional<std::string> Header(const std::string& name) const;  // case-insensitive
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class RawConnection {
 public:
  RawConnection(std::uint16_t port, int timeout_ms = 5000);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends only (for tests that read later).
  bool Send(const std::string& method, const std::string& target, const Headers& headers = {},
            const std::string& body = "");
  RawResponse Read();
  RawResponse Request(const std::string& method, const std::string& target,
                      const Headers& headers = {}, const std::string& body = "");

 private:
  int fd_ = -1;
  std::string pending_;  // bytes read past the previous answer
};

// One request on a fresh connection.
RawResponse Get(std::uint16_t port, const std::string& target, const Headers& headers = {},
                int timeout_ms = 5000);
RawResponse Post(std::uint16_t port, const std::string& target, const std::string& body,
                 const Headers& headers = {});

}  // namespace adu::emulator::testing
