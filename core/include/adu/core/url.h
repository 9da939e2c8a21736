// The one parser of http(s) URLs, shared by the config loader (which validates the endpoint,
// authority_host and identity_endpoint and reports what is wrong) and the client (which builds
// and checks request URLs and the service's nextLinks). Strings only: nothing here resolves or
// connects. Each caller adds its own policy on top (which schemes/hosts may use http://, whether a
// path or query is allowed, what a missing port means).
//
// Accepted: `scheme://host[:port][rest]` with scheme http or https (any case); host a DNS name
// (labels of letters, digits, '-' and '_', no empty label), an IPv4 address, or an IPv6 address
// in brackets; port 1-65535 (leading zeros allowed). Refused: user info (`user@`), an unbracketed
// IPv6 address, an empty port, anything else in the authority (spaces, control bytes).
#pragma once

#include <string>
#include <string_view>

#include "adu/core/result.h"

namespace adu {

struct UrlParts {
  std::string scheme;  // lower case: "http" or "https"
  std::string host;    // lower case; an IPv6 literal keeps its brackets
  int port = 0;        // 0 when the URL has none
  std::string rest;    // from the first '/', '?' or '#' on, as written ("" when none)
  // `scheme://host[:port]` as parsed (the port only when the URL has one).
  std::string Authority() const;
};

struct UrlParseOptions {
  // true: text without "://" is a host for https:// (the config's bare `endpoint: host`).
  bool bare_host_means_https = false;
};

// The parts of `text`, or an error that quotes `text` and says what is wrong, worded for a person
// reading a configuration error, e.g. `"ftp://x" uses the scheme "ftp": only https:// (or http://
// to a loopback host) is allowed`.
Result<UrlParts> ParseUrl(std::string_view text, UrlParseOptions options = {});

// What a log or an error may show of a URL that is a secret (a webhook URL: Slack's and Teams'
// are capabilities): `scheme://host[:port]` only, never the path, query or fragment;
// "(invalid URL)" when `url` does not parse.
std::string RedactedUrl(std::string_view url);

}  // namespace adu
