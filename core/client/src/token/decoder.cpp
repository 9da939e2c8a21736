// Decoding the token endpoint's answers and the JWT `exp` claim. Secrets and tokens are opaque
// strings here: every message is made of the status, the service's error fields and our own
// words, and passes through Mask() when a secret is around.
#include "decoder.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <optional>
#include <system_error>

#include "../json_dom.h"
#include "../url.h"
#include "adu/core/text.h"

namespace adu::client {
namespace dom = simdjson::dom;

namespace {

constexpr size_t kMaxDescription = 400;

// Replaces every occurrence of `secret` (when long enough to be one) by "***".
std::string Mask(std::string text, const std::string& secret) {
  if (secret.size() < 6) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

// One log-safe line: control characters become spaces, runs of spaces collapse, capped.
std::string OneLine(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const char d = (u < 0x20 || u == 0x7f) ? ' ' : c;
    if (d == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += d;
    if (out.size() >= max) {
      out += "...";
      break;
    }
  }
  while (!out.empty() && IsAsciiSpace(out.back())) out.pop_back();
  return out;
}

// Token answers and JWT payloads are small and flat: nothing legitimate nests deeper.
constexpr int kMaxTokenJsonDepth = 32;

// A validated JSON object (the DOM lives in `parsed`), or false for anything else.
bool ParseObject(std::string_view body, internal::ParsedJson& parsed, dom::object& out) {
  if (!internal::ParseJson(body, kMaxTokenJsonDepth, parsed)) return false;
  return parsed.root.get_object().get(out) == simdjson::SUCCESS;
}

std::optional<std::string> StringField(dom::object o, std::string_view name) {
  const auto text = internal::JsonStringField(o, name);
  if (!text) return std::nullopt;
  return std::string(*text);
}

// A string of 1-9 digits with a positive value (IMDS sends expires_in as one).
std::optional<int64_t> PositiveDigits(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n <= 0) return std::nullopt;
  return n;
}

// A JSON number as a double (integer or floating point), or nullopt.
std::optional<double> NumberOf(dom::element v) {
  double d = 0;
  if (v.is_number() && v.get_double().get(d) == simdjson::SUCCESS) return d;
  return std::nullopt;
}

// expires_in: a number (Entra) or a string of digits (IMDS).
std::optional<int64_t> ExpiresIn(dom::object o) {
  const auto v = internal::JsonField(o, "expires_in");
  if (!v) return std::nullopt;
  if (const auto d = NumberOf(*v)) {
    if (!(*d > 0 && *d < 1e9)) return std::nullopt;
    return static_cast<int64_t>(*d);
  }
  std::string_view text;
  if (v->get_string().get(text) == simdjson::SUCCESS) return PositiveDigits(std::string(text));
  return std::nullopt;
}

std::string TransportKindText(TransportErrorKind kind) {
  switch (kind) {
    case TransportErrorKind::kTimeout:
      return "timed out";
    case TransportErrorKind::kCancelled:
      return "cancelled";
    case TransportErrorKind::kTooLarge:
      return "answer too large";
    case TransportErrorKind::kNetwork:
      return "network error";
  }
  return "failed";
}

Status TransportFailure(const TransportError& e, const std::string& where,
                        const std::string& secret) {
  return Status::Error(Mask("token request to " + where + " failed: " + TransportKindText(e.kind) +
                                (e.message.empty() ? "" : " (" + OneLine(e.message, 200) + ")"),
                            secret));
}

// "error: description (error codes 1, 2)" of an answer that is not a token.
std::string ServiceError(dom::object o) {
  std::string msg;
  if (auto error = StringField(o, "error")) msg += " " + OneLine(*error, 80);
  if (auto description = StringField(o, "error_description")) {
    msg += ": " + OneLine(*description, kMaxDescription);
  }
  dom::array codes;
  const auto codes_field = internal::JsonField(o, "error_codes");
  if (codes_field && codes_field->get_array().get(codes) == simdjson::SUCCESS) {
    std::string list;
    for (dom::element c : codes) {
      const auto n = NumberOf(c);
      if (!n) continue;
      if (!list.empty()) list += ", ";
      list += std::to_string(static_cast<int64_t>(*n));
    }
    if (!list.empty()) msg += " (error codes " + list + ")";
  }
  return msg;
}

Result<CachingTokenProvider::Fetched> TokenOf(dom::object o, const std::string& head) {
  const auto token = StringField(o, "access_token");
  if (!token || !internal::IsTokenText(*token)) {
    return Status::Error(head + " but the answer has no usable access_token");
  }
  const auto expires = ExpiresIn(o);
  if (!expires) return Status::Error(head + " but the answer has no valid expires_in");
  return CachingTokenProvider::Fetched{*token, std::chrono::seconds(*expires)};
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-' || c == '+') {
      v = 62;
    } else if (c == '_' || c == '/') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

}  // namespace

namespace internal {

bool IsTokenText(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

Result<CachingTokenProvider::Fetched> DecodeTokenAnswer(const HttpResult& result,
                                                        const std::string& where,
                                                        const std::string& secret) {
  if (const auto* e = std::get_if<TransportError>(&result)) {
    return TransportFailure(*e, where, secret);
  }
  const auto& resp = std::get<HttpResponse>(result);
  internal::ParsedJson parsed;
  dom::object object;
  const std::string head = "token request to " + where + ": HTTP " + std::to_string(resp.status);
  if (!ParseObject(resp.body, parsed, object)) {
    const std::string type = OneLine(resp.Header("Content-Type").value_or("untyped"), 60);
    return Status::Error(Mask(head + (resp.status == 200 ? " but" : "") + " with a " + type +
                                  " answer of " + std::to_string(resp.body.size()) +
                                  " bytes that is not a JSON object",
                              secret));
  }
  if (resp.status == 200) return TokenOf(object, head);
  return Status::Error(Mask(head + ServiceError(object), secret));
}

void TraceTokenAnswer(spdlog::logger& log, const std::string& url, const HttpResult& result) {
  if (!log.should_log(spdlog::level::trace)) return;
  if (const auto* resp = std::get_if<HttpResponse>(&result)) {
    log.trace("{} answered HTTP {} ({}, {} bytes; body not logged)", url, resp->status,
              resp->Header("Content-Type").value_or("no content type"), resp->body.size());
  } else {
    log.trace("{} failed: {}", url, std::get<TransportError>(result).message);
  }
}

std::optional<int64_t> JwtExpiry(const std::string& token) {
  const auto first = token.find('.');
  if (first == std::string::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos) {
    return std::nullopt;
  }
  const auto payload =
      Base64UrlDecode(std::string_view(token).substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  internal::ParsedJson parsed;
  dom::object o;
  if (!ParseObject(*payload, parsed, o)) return std::nullopt;
  const auto exp_field = internal::JsonField(o, "exp");
  const auto exp = exp_field ? NumberOf(*exp_field) : std::nullopt;
  if (!exp || !(*exp > 0 && *exp < 1e11)) return std::nullopt;
  return static_cast<int64_t>(*exp);
}

std::string FormEncode(const std::string& value) { return PercentEncode(value); }

}  // namespace internal
}  // namespace adu::client
