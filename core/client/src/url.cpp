#include "url.h"

#include <cctype>
#include <charconv>

namespace adu::client::internal {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string ParsedUrl::Origin() const {
  std::string out = scheme + "://" + host;
  const int default_port = scheme == "https" ? 443 : 80;
  if (port != default_port) out += ":" + std::to_string(port);
  return out;
}

std::optional<ParsedUrl> ParseAbsoluteUrl(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  ParsedUrl out;
  out.scheme = Lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path_query =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  for (unsigned char c : authority) {
    if (c <= 0x20 || c >= 0x7f) return std::nullopt;
  }

  std::string_view host = authority;
  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
    if (port_text.empty()) return std::nullopt;
  }
  if (host.empty() || host == "[]") return std::nullopt;
  out.host = Lower(host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return std::nullopt;
    }
    out.port = port;
  }
  if (path_query.empty()) {
    out.path_query = "/";
  } else if (path_query.front() == '?') {
    out.path_query = "/" + std::string(path_query);
  } else {
    out.path_query = std::string(path_query);
  }
  return out;
}

std::string PercentEncode(std::string_view s, std::string_view keep) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || keep.find(ch) != std::string_view::npos) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

bool HasQueryParam(std::string_view path_query, std::string_view name) {
  const auto q = path_query.find('?');
  if (q == std::string_view::npos) return false;
  std::string_view query = path_query.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    const std::string_view key = param.substr(0, param.find('='));
    if (key == name) return true;
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return false;
}

}  // namespace adu::client::internal
