// Internal URL helpers of adu_client (not installed): just enough URL handling for the service's
// absolute `https://host[:port]/path?query` URLs and nextLinks.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace adu::client::internal {

struct ParsedUrl {
  std::string scheme;      // lower case: "http" | "https"
  std::string host;        // lower case; IPv6 literals keep their brackets
  int port = 0;            // explicit, else the scheme's default
  std::string path_query;  // "/..." (at least "/"), query included, fragment dropped
  // scheme://host[:port] with the port only when not the default one.
  std::string Origin() const;
};

// adu::ParseUrl (adu/core/url.h: http and https only, a valid host and port, no user info: the
// client never sends credentials embedded in a URL) with the port's default filled in and the
// fragment dropped; nullopt for anything ParseUrl refuses.
std::optional<ParsedUrl> ParseAbsoluteUrl(std::string_view url);

// Percent-encodes every byte except unreserved characters (RFC 3986) and those in `keep`.
std::string PercentEncode(std::string_view s, std::string_view keep = "");

// True when the query part of `path_query` has a parameter named `name`.
bool HasQueryParam(std::string_view path_query, std::string_view name);

}  // namespace adu::client::internal
