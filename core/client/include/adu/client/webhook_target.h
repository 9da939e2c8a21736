// A `notify[]` webhook: one POST of the event's body per attempt, through the project's
// HttpClient (either transport), signed when a secret is configured.
//
//   Content-Type: application/json
//   X-Adu-Opwatch-Event: <event id>
//   X-Adu-Opwatch-Timestamp: <unix seconds>
//   X-Adu-Opwatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>  (with a
//   secret)
//
// Verdicts: 2xx delivered; 408, 429, 5xx, timeouts and transport errors retried (Retry-After
// passed on); 3xx (redirects are never followed) and every other 4xx abandoned. The URL is a
// secret: every `detail` names only scheme://host[:port] (RedactedUrl), and a receiver's answer
// quoted in it has the URL's path removed.
//
// Thread-safety: Deliver() may be called from one thread at a time (the target's worker); the
// HttpClient is shared and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "adu/client/http_client.h"
#include "adu/core/clock.h"
#include "adu/core/notify.h"
#include "adu/core/notify_body.h"

namespace adu::client {

// What the daemon maps a `notify[].webhook` entry to: no config or storage type needed here.
struct WebhookOptions {
  std::string url;  // https, or http to loopback (the config loader checks); a secret
  NotifyFormat format = NotifyFormat::kJson;
  std::string secret;       // the signing key; empty: no X-Adu-Opwatch-Signature
  Duration timeout{10000};  // per attempt, the whole request
};

class WebhookTarget final : public NotifyTarget {
 public:
  // `http` and `clock` must outlive the target.
  WebhookTarget(std::string name, WebhookOptions options, HttpClient& http,
                const Clock& clock = SystemClock());

  const std::string& name() const override { return name_; }
  DeliveryResult Deliver(const NotificationEvent& event) override;

 private:
  HttpRequest BuildRequest(const NotificationEvent& event) const;
  DeliveryResult Verdict(const HttpResult& result) const;

  std::string name_;
  WebhookOptions options_;
  HttpClient& http_;
  const Clock& clock_;
  std::string origin_;    // RedactedUrl(options_.url): what details may show
  std::string url_rest_;  // the URL's path, query and fragment: scrubbed from details
};

// "sha256=" + lower-case hex of HMAC-SHA256(secret, timestamp + "." + body).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body);

}  // namespace adu::client
