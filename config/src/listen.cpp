// metrics.listen: `HOST:PORT`, checked as a string (nothing binds here).
#include <arpa/inet.h>

#include <charconv>

#include "adu/config/config.h"
#include "text.h"

namespace adu::config {
namespace {

constexpr std::string_view kForm =
    "expected HOST:PORT with HOST an IP address or localhost (examples: 127.0.0.1:9469, "
    "[::1]:9469, 0.0.0.0:9469)";

Result<int> ParsePort(std::string_view text, std::string_view whole) {
  int port = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port < 0 ||
      port > 65535) {
    return Status::Error(internal::Quote(whole) +
                         ": the port must be a number from 0 to 65535, not " +
                         internal::Quote(text));
  }
  return port;
}

}  // namespace

std::string ListenAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::Error(internal::Quote(text) + ": " + std::string(why));
  };
  ListenAddress out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("missing \"]\" after the IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':') return bad(kForm);
    out.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    in6_addr a6{};
    if (::inet_pton(AF_INET6, out.host.c_str(), &a6) != 1) {
      return bad(internal::Quote(out.host) + " is not an IPv6 address");
    }
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return bad(kForm);
    out.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return bad("an IPv6 address needs brackets: [" + out.host + "]:PORT");
    }
    if (internal::ToLower(out.host) == "localhost") out.host = "127.0.0.1";
    in_addr a4{};
    if (::inet_pton(AF_INET, out.host.c_str(), &a4) != 1) {
      return bad(internal::Quote(out.host) +
                 " is not an IP address (host names other than localhost are not resolved: give "
                 "the address to listen on)");
    }
  }
  auto port = ParsePort(port_text, text);
  if (!port) return port.status();
  out.port = *port;
  return out;
}

}  // namespace adu::config
