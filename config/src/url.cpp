#include "url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "adu/config/config.h"
#include "adu/core/url.h"
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

Status CheckNoQueryEtc(std::string_view text, const UrlParts& p) {
  if (p.rest.find('?') != std::string::npos) {
    return Status::Error(Quote(text) + " has a query (?...): not allowed");
  }
  if (p.rest.find('#') != std::string::npos) {
    return Status::Error(Quote(text) + " has a fragment (#...): not allowed");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> NormalizeBaseUrl(std::string_view text) {
  auto parsed = ParseUrl(text, {.bare_host_means_https = true});
  if (!parsed) return parsed.status();
  const UrlParts& p = *parsed;
  if (Status s = CheckNoQueryEtc(text, p); !s) return s;
  if (!p.rest.empty() && p.rest != "/") {
    return Status::Error(Quote(text) + " has a path: give only scheme://host[:port]");
  }
  if (p.scheme == "http" && !IsLoopbackHost(p.host)) {
    return Status::Error(Quote(text) + ": http:// is only allowed to a loopback host " +
                         "(127.0.0.0/8, ::1, localhost); use https://");
  }
  return p.Authority();
}

Result<std::string> NormalizeIdentityEndpoint(std::string_view text) {
  auto parsed = ParseUrl(text);
  if (!parsed) return parsed.status();
  const UrlParts& p = *parsed;
  if (Status s = CheckNoQueryEtc(text, p); !s) return s;
  if (p.scheme == "http" && !IsLoopbackHost(p.host)) {
    if (p.host != kImdsHost || (p.port != 0 && p.port != 80)) {
      return Status::Error(Quote(text) +
                           ": http:// is only allowed to a loopback host or to the instance " +
                           "metadata service 169.254.169.254; use https://");
    }
  }
  return p.Authority() + p.rest;
}

}  // namespace internal
}  // namespace adu::config
