#include "adu/core/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "adu/core/text.h"

namespace adu {
namespace {

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool ValidHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  size_t label = 0;
  for (const char c : host) {
    if (c == '.') {
      if (label == 0) return false;  // empty label: "a..b" or ".a"
      label = 0;
      continue;
    }
    if (!IsHostNameChar(c)) return false;
    ++label;
  }
  return label > 0;
}

// Digits 1-65535 (leading zeros allowed), else 0.
int PortNumber(std::string_view port) {
  int value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + (c - '0');
    if (value > 65535) return 0;
  }
  return value;
}

// Splits `[v6]:port` or `[v6]` into host and port text.
Status SplitBracketed(std::string_view text, std::string_view authority, std::string_view* host,
                      std::string_view* port) {
  const size_t close = authority.find(']');
  if (close == std::string_view::npos) {
    return Status::Error(Quote(text) + ": unterminated [IPv6 address]");
  }
  *host = authority.substr(0, close + 1);
  const std::string_view after = authority.substr(close + 1);
  if (!after.empty()) {
    if (after.front() != ':') {
      return Status::Error(Quote(text) + ": unexpected text after the [IPv6 address]");
    }
    *port = after.substr(1);
    if (port->empty()) return Status::Error(Quote(text) + ": the port is empty");
  }
  const std::string inner(host->substr(1, host->size() - 2));
  in6_addr v6{};
  if (inet_pton(AF_INET6, inner.c_str(), &v6) != 1) {
    return Status::Error(Quote(text) + ": " + Quote(*host) + " is not an IPv6 address");
  }
  return Status::Ok();
}

// Splits `host[:port]` into host and port text and checks the host name.
Status SplitPlain(std::string_view text, std::string_view authority, std::string_view* host,
                  std::string_view* port) {
  *host = authority;
  const size_t colon = authority.find(':');
  if (colon != std::string_view::npos) {
    if (authority.find(':', colon + 1) != std::string_view::npos) {
      return Status::Error(Quote(text) + ": an IPv6 address must be written in brackets, " +
                           "e.g. http://[::1]:8080");
    }
    *host = authority.substr(0, colon);
    *port = authority.substr(colon + 1);
    if (port->empty()) return Status::Error(Quote(text) + ": the port is empty");
  }
  if (host->empty()) return Status::Error(Quote(text) + " has no host name");
  if (!ValidHostName(*host)) {
    return Status::Error(Quote(text) + ": " + Quote(*host) + " is not a valid host name");
  }
  return Status::Ok();
}

// host[:port] into `out`.
Status ParseAuthority(std::string_view text, std::string_view authority, UrlParts& out) {
  if (authority.find('@') != std::string_view::npos) {
    return Status::Error(Quote(text) + " contains user info (user@): not allowed");
  }
  std::string_view host;
  std::string_view port;
  const Status split = !authority.empty() && authority.front() == '['
                           ? SplitBracketed(text, authority, &host, &port)
                           : SplitPlain(text, authority, &host, &port);
  if (!split) return split;
  if (!port.empty()) {
    out.port = PortNumber(port);
    if (out.port == 0) {
      return Status::Error(Quote(text) + ": " + Quote(port) + " is not a port (1-65535)");
    }
  }
  out.host = ToLower(host);
  return Status::Ok();
}

}  // namespace

std::string UrlParts::Authority() const {
  return scheme + "://" + host + (port == 0 ? "" : ":" + std::to_string(port));
}

Result<UrlParts> ParseUrl(std::string_view text, UrlParseOptions options) {
  UrlParts out;
  std::string_view rest = text;
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    if (!options.bare_host_means_https) {
      return Status::Error(Quote(text) + " is not a URL: write it with its scheme (https://...)");
    }
    out.scheme = "https";
  } else {
    out.scheme = ToLower(text.substr(0, sep));
    rest = text.substr(sep + 3);
  }
  if (out.scheme != "https" && out.scheme != "http") {
    return Status::Error(Quote(text) + " uses the scheme " + Quote(out.scheme) +
                         ": only https:// (or http:// to a loopback host) is allowed");
  }
  const size_t end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) out.rest = std::string(rest.substr(end));
  if (Status s = ParseAuthority(text, rest.substr(0, end), out); !s) return s;
  return out;
}

std::string RedactedUrl(std::string_view url) {
  const Result<UrlParts> parts = ParseUrl(url);
  return parts.ok() ? parts->Authority() : "(invalid URL)";
}

}  // namespace adu
