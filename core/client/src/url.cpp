#include "url.h"

#include <cctype>

#include "adu/core/url.h"

namespace adu::client::internal {
namespace {

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
  auto parts = ParseUrl(url);
  if (!parts) return std::nullopt;
  ParsedUrl out;
  out.scheme = std::move(parts->scheme);
  out.host = std::move(parts->host);
  out.port = parts->port != 0 ? parts->port : (out.scheme == "https" ? 443 : 80);
  std::string_view path_query = parts->rest;
  path_query = path_query.substr(0, path_query.find('#'));
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
