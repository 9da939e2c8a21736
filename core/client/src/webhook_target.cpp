#include "adu/client/webhook_target.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <future>
#include <memory>

#include "adu/client/retry_after.h"
#include "adu/core/text.h"
#include "adu/core/url.h"

namespace adu::client {
namespace {

// The longest piece of a receiver's answer quoted in a detail (Slack says e.g. "invalid_payload").
constexpr size_t kMaxQuotedAnswer = 200;
// How long past its deadline Deliver() waits for the transport's callback before giving up on it.
constexpr Duration kCallbackSlack{5000};

std::string Seconds(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

// `text` without any occurrence of `secret` (the URL's path and query).
std::string Scrub(std::string text, std::string_view secret) {
  if (secret.size() < 2) return text;  // "/" alone reveals nothing
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "/...");
  }
  return text;
}

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

WebhookTarget::WebhookTarget(std::string name, WebhookOptions options, HttpClient& http,
                             const Clock& clock)
    : name_(std::move(name)),
      options_(std::move(options)),
      http_(http),
      clock_(clock),
      origin_(RedactedUrl(options_.url)) {
  if (auto parts = ParseUrl(options_.url); parts.ok()) url_rest_ = parts->rest;
}

HttpRequest WebhookTarget::BuildRequest(const NotificationEvent& event) const {
  HttpRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.deadline = options_.timeout;
  request.body = RenderEventBody(options_.format, event);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch());
  const std::string timestamp = std::to_string(now.count());
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Adu-Opwatch-Event", event.event_id},
                     {"X-Adu-Opwatch-Timestamp", timestamp}};
  if (!options_.secret.empty()) {
    request.headers.emplace_back("X-Adu-Opwatch-Signature",
                                 WebhookSignature(options_.secret, timestamp, request.body));
  }
  return request;
}

DeliveryResult WebhookTarget::Deliver(const NotificationEvent& event) {
  auto promise = std::make_shared<std::promise<HttpResult>>();
  std::future<HttpResult> future = promise->get_future();
  // The callback owns the promise: it may run after this call gave up waiting.
  http_.Send(BuildRequest(event), [promise](HttpResult r) { promise->set_value(std::move(r)); });
  if (future.wait_for(options_.timeout + kCallbackSlack) != std::future_status::ready) {
    return DeliveryResult::Retry("no answer from " + origin_ + " within " +
                                 Seconds(options_.timeout + kCallbackSlack));
  }
  return Verdict(future.get());
}

DeliveryResult WebhookTarget::Verdict(const HttpResult& result) const {
  if (const auto* error = std::get_if<TransportError>(&result)) {
    if (error->kind == TransportErrorKind::kTimeout) {
      return DeliveryResult::Retry("no complete answer from " + origin_ + " within " +
                                   Seconds(options_.timeout));
    }
    return DeliveryResult::Retry("cannot post to " + origin_ + ": " +
                                 Scrub(error->message, url_rest_));
  }
  const auto& response = std::get<HttpResponse>(result);
  std::string detail = "HTTP " + std::to_string(response.status) + " from " + origin_;
  if (response.status >= 200 && response.status < 300) return DeliveryResult::Delivered(detail);
  if (!response.body.empty()) {
    const std::string answer = Scrub(response.body, url_rest_).substr(0, kMaxQuotedAnswer);
    detail += ": " + Quote(answer);
  }
  if (!Retryable(response.status)) return DeliveryResult::Abandon(detail);
  std::optional<Duration> after;
  if (auto header = response.Header("Retry-After")) {
    if (auto seconds = ParseRetryAfter(*header, clock_.WallNow())) after = *seconds;
  }
  return DeliveryResult::Retry(detail, after);
}

}  // namespace adu::client
