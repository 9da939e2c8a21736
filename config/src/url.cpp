#include "url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>

#include "adu/config/config.h"
#include "text.h"

namespace adu::config {

bool IsLoopbackHost(std::string_view host_in) {
  std::string host(host_in);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (internal::ToLower(host) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z is the IPv4 loopback seen through an IPv6 socket.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

namespace internal {
namespace {

constexpr std::string_view kImdsHost = "169.254.169.254";

struct Parsed {
  std::string scheme;  // lower case
  std::string host;    // lower case, IPv6 with its brackets
  std::string port;    // digits without leading zeros, empty when absent
  std::string rest;    // from the first '/', '?' or '#' on, as written
};

bool ValidHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '.') {
      if (label == 0) return false;  // empty label: "a..b" or ".a"
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    ++label;
  }
  return label > 0;
}

Result<Parsed> Split(std::string_view text, bool bare_host_means_https) {
  Parsed p;
  std::string_view rest = text;
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    if (!bare_host_means_https) {
      return Status::Error(Quote(text) + " is not a URL: write it with its scheme (https://...)");
    }
    p.scheme = "https";
  } else {
    p.scheme = ToLower(text.substr(0, sep));
    rest = text.substr(sep + 3);
  }
  if (p.scheme != "https" && p.scheme != "http") {
    return Status::Error(Quote(text) + " uses the scheme " + Quote(p.scheme) +
                         ": only https:// (or http:// to a loopback host) is allowed");
  }
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (end != std::string_view::npos) p.rest = std::string(rest.substr(end));
  if (authority.find('@') != std::string_view::npos) {
    return Status::Error(Quote(text) + " contains user info (user@): not allowed");
  }

  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::Error(Quote(text) + ": unterminated [IPv6 address]");
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Status::Error(Quote(text) + ": unexpected text after the [IPv6 address]");
      }
      port = after.substr(1);
      if (port.empty()) return Status::Error(Quote(text) + ": the port is empty");
    }
    const std::string inner(host.substr(1, host.size() - 2));
    in6_addr v6{};
    if (inet_pton(AF_INET6, inner.c_str(), &v6) != 1) {
      return Status::Error(Quote(text) + ": " + Quote(host) + " is not an IPv6 address");
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos) {
        return Status::Error(Quote(text) + ": an IPv6 address must be written in brackets, " +
                             "e.g. http://[::1]:8080");
      }
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return Status::Error(Quote(text) + ": the port is empty");
    }
    if (host.empty()) return Status::Error(Quote(text) + " has no host name");
    if (!ValidHostName(host)) {
      return Status::Error(Quote(text) + ": " + Quote(host) + " is not a valid host name");
    }
  }
  if (!port.empty()) {
    unsigned long value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535) {
        value = 0;
        break;
      }
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value == 0 || value > 65535) {
      return Status::Error(Quote(text) + ": " + Quote(port) + " is not a port (1-65535)");
    }
    p.port = std::to_string(value);
  }
  p.host = ToLower(host);
  return p;
}

Status CheckNoQueryEtc(std::string_view text, const Parsed& p) {
  if (p.rest.find('?') != std::string::npos) {
    return Status::Error(Quote(text) + " has a query (?...): not allowed");
  }
  if (p.rest.find('#') != std::string::npos) {
    return Status::Error(Quote(text) + " has a fragment (#...): not allowed");
  }
  return Status::Ok();
}

std::string Join(const Parsed& p) {
  return p.scheme + "://" + p.host + (p.port.empty() ? "" : ":" + p.port);
}

}  // namespace

Result<std::string> NormalizeBaseUrl(std::string_view text) {
  auto parsed = Split(text, /*bare_host_means_https=*/true);
  if (!parsed) return parsed.status();
  const Parsed& p = *parsed;
  if (Status s = CheckNoQueryEtc(text, p); !s) return s;
  if (!p.rest.empty() && p.rest != "/") {
    return Status::Error(Quote(text) + " has a path: give only scheme://host[:port]");
  }
  if (p.scheme == "http" && !IsLoopbackHost(p.host)) {
    return Status::Error(Quote(text) + ": http:// is only allowed to a loopback host " +
                         "(127.0.0.0/8, ::1, localhost); use https://");
  }
  return Join(p);
}

Result<std::string> NormalizeIdentityEndpoint(std::string_view text) {
  auto parsed = Split(text, /*bare_host_means_https=*/false);
  if (!parsed) return parsed.status();
  const Parsed& p = *parsed;
  if (Status s = CheckNoQueryEtc(text, p); !s) return s;
  if (p.scheme == "http" && !IsLoopbackHost(p.host)) {
    if (p.host != kImdsHost || (!p.port.empty() && p.port != "80")) {
      return Status::Error(Quote(text) +
                           ": http:// is only allowed to a loopback host or to the instance " +
                           "metadata service 169.254.169.254; use https://");
    }
  }
  return Join(p) + p.rest;
}

}  // namespace internal
}  // namespace adu::config
