// WebhookTarget against the loopback receiver, over both transports: the verdict for each kind of
// answer, the headers, the signature (checked by Python's hmac module, as a receiver would), and
// that no detail ever shows the URL's secret path or query.
#include "adu/client/webhook_target.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "adu/client/cpprest_http_client.h"
#include "adu/core/text.h"
#include "adu/testing/temp_dir.h"
#include "loopback_server.h"
#if __has_include("adu/client/curl_http_client.h")
#include "adu/client/curl_http_client.h"
#define ADU_TEST_HAVE_CURL 1
#endif

namespace adu::client {
namespace {

using namespace std::chrono_literals;
using testing::LoopbackServer;

struct Transport {
  std::string name;
  std::function<std::unique_ptr<HttpClient>()> make;
};

void PrintTo(const Transport& t, std::ostream* os) { *os << t.name; }

std::vector<Transport> Transports() {
  std::vector<Transport> all = {{"cpprest", [] { return MakeCpprestHttpClient({}); }}};
#ifdef ADU_TEST_HAVE_CURL
  all.push_back({"curl", [] { return MakeCurlHttpClient({}); }});
#endif
  return all;
}

// The secret parts of the URLs below: no detail may contain them.
constexpr const char* kSecretPath = "/hooks/T0SECRET/B0SECRET";
constexpr const char* kSecretQuery = "?sig=abc123";

NotificationEvent Event() {
  NotificationEvent e;
  e.event_id = "blue:7";
  e.instance_id = "blue";
  e.key = {OperationKind::kDevice, "op-9"};
  e.to_status = "Succeeded";
  e.observed_at = "2026-12-02T01:00:00.000Z";
  e.snapshot_id = 7;
  e.snapshot_body = R"({"operationId":"op-9","status":"Succeeded"})";
  return e;
}

// A request header's value from the raw request the receiver saw ("Name:v" or "Name: v").
std::optional<std::string> HeaderOf(const std::string& request, std::string_view name) {
  size_t line = request.find("\r\n") + 2;
  while (line < request.size()) {
    const size_t end = request.find("\r\n", line);
    if (end == std::string::npos || end == line) break;
    const std::string_view text(request.data() + line, end - line);
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && EqualsIgnoreCase(text.substr(0, colon), name)) {
      return std::string(TrimSpace(text.substr(colon + 1)));
    }
    line = end + 2;
  }
  return std::nullopt;
}

std::string BodyOf(const std::string& request) {
  return request.substr(request.find("\r\n\r\n") + 4);
}

// True when Python's hmac module, given what a receiver gets, accepts `signature` for `secret`.
bool PythonAcceptsSignature(const std::string& secret, const std::string& timestamp,
                            const std::string& body, const std::string& signature) {
  adu::testing::TempDir dir;
  const std::string body_file = dir.Write("body", body);
  const std::string script =
      "import hashlib, hmac, sys\n"
      "body = open(sys.argv[3], 'rb').read()\n"
      "mac = hmac.new(sys.argv[1].encode(), sys.argv[2].encode() + b'.' + body, hashlib.sha256)\n"
      "sys.exit(0 if hmac.compare_digest('sha256=' + mac.hexdigest(), sys.argv[4]) else 1)\n";
  const std::string script_file = dir.Write("check.py", script);
  const std::string command = "python3 '" + script_file + "' '" + secret + "' '" + timestamp +
                              "' '" + body_file + "' '" + signature + "'";
  return std::system(command.c_str()) == 0;
}

class WebhookTargetTest : public ::testing::TestWithParam<Transport> {
 protected:
  static WebhookOptions Options() {
    WebhookOptions options;
    options.timeout = 5s;
    return options;
  }
  // `options` with the URL of `path` on the receiver (plus the secret path and query).
  DeliveryResult DeliverTo(const std::string& path, WebhookOptions options = Options()) {
    options.url = server_.Url(path + kSecretPath + kSecretQuery);
    WebhookTarget target("ops", options, *http_);
    return target.Deliver(Event());
  }
  void ExpectNoSecretIn(const DeliveryResult& r) {
    EXPECT_EQ(r.detail.find("T0SECRET"), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.find("abc123"), std::string::npos) << r.detail;
    EXPECT_NE(r.detail.find(server_.Url("")), std::string::npos) << r.detail;  // the origin
  }

  LoopbackServer server_;
  std::unique_ptr<HttpClient> http_ = GetParam().make();
};

TEST_P(WebhookTargetTest, TwoHundredIsDeliveredWithTheHeadersAndAValidSignature) {
  WebhookOptions options = Options();
  options.secret = "s3cret-key";
  const auto before = std::chrono::system_clock::now();
  const auto r = DeliverTo("/respond/200", options);
  EXPECT_EQ(r.verdict, DeliveryVerdict::kDelivered) << r.detail;
  ExpectNoSecretIn(r);
  const std::string request = server_.last_head();
  EXPECT_TRUE(request.starts_with(std::string("POST /respond/200") + kSecretPath + kSecretQuery +
                                  " HTTP/1.1\r\n"))
      << request;
  EXPECT_EQ(HeaderOf(request, "Content-Type"), "application/json");
  EXPECT_EQ(HeaderOf(request, "X-Adu-Opwatch-Event"), "blue:7");
  const std::string body = BodyOf(request);
  EXPECT_EQ(body, RenderEventJson(Event()));
  const auto timestamp = HeaderOf(request, "X-Adu-Opwatch-Timestamp");
  ASSERT_TRUE(timestamp);
  const auto unix_now = [](auto t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  };
  EXPECT_GE(std::stoll(*timestamp), unix_now(before));
  EXPECT_LE(std::stoll(*timestamp), unix_now(std::chrono::system_clock::now()));
  const auto signature = HeaderOf(request, "X-Adu-Opwatch-Signature");
  ASSERT_TRUE(signature);
  EXPECT_TRUE(signature->starts_with("sha256=")) << *signature;
  EXPECT_TRUE(PythonAcceptsSignature("s3cret-key", *timestamp, body, *signature));
  EXPECT_FALSE(PythonAcceptsSignature("wrong-key", *timestamp, body, *signature));
  EXPECT_FALSE(PythonAcceptsSignature("s3cret-key", *timestamp, body + " ", *signature));
}

TEST_P(WebhookTargetTest, WithoutASecretThereIsNoSignatureAndTheFormatIsApplied) {
  WebhookOptions options = Options();
  options.format = NotifyFormat::kSlack;
  const auto r = DeliverTo("/respond/204", options);
  EXPECT_EQ(r.verdict, DeliveryVerdict::kDelivered) << r.detail;
  EXPECT_EQ(HeaderOf(server_.last_head(), "X-Adu-Opwatch-Signature"), std::nullopt);
  EXPECT_EQ(BodyOf(server_.last_head()), RenderSlackMessage(Event()));
}

TEST_P(WebhookTargetTest, ServerErrorsAndThrottlingAreRetried) {
  for (const char* path : {"/respond/503", "/respond/500", "/respond/408", "/respond/429"}) {
    const auto r = DeliverTo(path);
    EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry) << path << ": " << r.detail;
    EXPECT_EQ(r.retry_after, std::nullopt) << path;
    EXPECT_NE(r.detail.find("HTTP " + std::string(path).substr(9, 3)), std::string::npos)
        << r.detail;
    ExpectNoSecretIn(r);  // the receiver echoed the URL's path in its answer
  }
}

TEST_P(WebhookTargetTest, RetryAfterIsPassedOn) {
  const auto r = DeliverTo("/respond/429/after/7");
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry) << r.detail;
  EXPECT_EQ(r.retry_after, Duration(7s));
  ExpectNoSecretIn(r);
}

TEST_P(WebhookTargetTest, OtherClientErrorsAndRedirectsAreAbandoned) {
  for (const char* path : {"/respond/400", "/respond/404", "/respond/410", "/respond/301"}) {
    const auto r = DeliverTo(path);
    EXPECT_EQ(r.verdict, DeliveryVerdict::kAbandon) << path << ": " << r.detail;
    ExpectNoSecretIn(r);
  }
}

TEST_P(WebhookTargetTest, AReceiverThatHangsIsRetriedWithinTheTimeout) {
  WebhookOptions options = Options();
  options.timeout = 500ms;
  const auto start = std::chrono::steady_clock::now();
  const auto r = DeliverTo("/stall", options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry) << r.detail;
  EXPECT_GE(elapsed, 450ms);
  EXPECT_LT(elapsed, 500ms + 3s);
  ExpectNoSecretIn(r);
}

TEST_P(WebhookTargetTest, ConnectionRefusedIsRetried) {
  std::string url;
  {
    LoopbackServer closed;  // a free port, closed again
    url = closed.Url(std::string(kSecretPath) + kSecretQuery);
  }
  WebhookOptions options = Options();
  options.url = url;
  WebhookTarget target("ops", options, *http_);
  const auto r = target.Deliver(Event());
  EXPECT_EQ(r.verdict, DeliveryVerdict::kRetry) << r.detail;
  EXPECT_EQ(r.detail.find("T0SECRET"), std::string::npos) << r.detail;
  EXPECT_EQ(r.detail.find("abc123"), std::string::npos) << r.detail;
}

INSTANTIATE_TEST_SUITE_P(Transports, WebhookTargetTest, ::testing::ValuesIn(Transports()),
                         [](const auto& info) { return info.param.name; });

TEST(WebhookSignature, IsTheHexHmacSha256OfTimestampDotBody) {
  // python3 -c 'import hmac,hashlib; print(hmac.new(b"key", b"1.body",
  // hashlib.sha256).hexdigest())'
  EXPECT_EQ(WebhookSignature("key", "1", "body"),
            "sha256=91b5374b153842ad05b2c4eab9349b8321b14703165bd3fb8b034dfb8be98ae5");
}

}  // namespace
}  // namespace adu::client
