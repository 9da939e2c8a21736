// The token providers over the fake HttpClient and a hand-driven clock: no network, no sleeping.
// Every test logs at trace level into a capture sink, and the fixture checks at the end that no
// captured line holds a secret or a token it handed out.
#include "adu/client/token_providers.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adu/client/device_update_client.h"
#include "adu/core/time_format.h"
#include "adu/testing/log_capture.h"
#include "adu/testing/temp_dir.h"
#include "fakes.h"

namespace adu::client {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeHttpClient;
using testing::HeaderOf;

constexpr char kSecret[] = "s3cr3t+/=&value~with spaces";
constexpr char kOpBody[] =
    R"({"operationId":"op-1","status":"Running","lastActionDateTime":"2026-01-01T00:00:01Z",)"
    R"("createdDateTime":"2026-01-01T00:00:00Z","etag":"\"body-etag\""})";
constexpr char kAadWrongSecret[] =
    R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret )"
    R"(provided.\r\nTrace ID: 1234\r\nCorrelation ID: 5678","error_codes":[7000215],)"
    R"("timestamp":"2026-11-27 09:00:00Z"})";

std::string TokenAnswer(const std::string& token, const std::string& expires_in = "3599") {
  return R"({"token_type":"Bearer","expires_in":)" + expires_in + R"(,"access_token":")" + token +
         R"("})";
}

using TokenResult = Result<std::optional<std::string>>;

class TokenTest : public ::testing::Test {
 protected:
  TokenTest() {
    dir_ = temp_dir_.path();
    log_ = adu::testing::CaptureLogger(log_sink_);
    clock_.SetWall(*ParseTimestamp("2026-11-27T09:00:00Z"));
    secret_path_ = dir_ + "/secret";
    WriteFile(secret_path_, std::string(kSecret) + "\n", 0600);
  }

  ~TokenTest() override {
    // The promise of every provider: no secret and no token in any log line, at any level.
    const std::string logs = Logs();
    EXPECT_EQ(logs.find(kSecret), std::string::npos) << logs;
    for (const auto& t : handed_out_)
      EXPECT_EQ(logs.find(t), std::string::npos) << t << "\n" << logs;
  }

  // Replaces the file by a rename, as tools do: a new inode, so the change is always visible.
  void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0600) {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << content;
    }
    ::chmod(tmp.c_str(), mode);
    std::filesystem::rename(tmp, path);
  }

  ClientSecretOptions SecretOptions() {
    ClientSecretOptions o;
    o.tenant_id = "contoso-tenant";
    o.client_id = "app-1234";
    o.client_secret_file = secret_path_;
    o.authority_host = "https://login.example.com";
    o.request_timeout = 4321ms;
    o.backoff.jitter = 0;
    return o;
  }

  std::unique_ptr<ClientSecretTokenProvider> MakeSecretProvider(ClientSecretOptions o) {
    auto p = ClientSecretTokenProvider::Make(std::move(o), http_, clock_, log_);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
    return p.ok() ? std::move(p).value() : nullptr;
  }

  // GetToken, answered inline (the fake answers inline when it has a script).
  TokenResult Get(TokenProvider& p) {
    std::optional<TokenResult> got;
    p.GetToken([&](TokenResult r) { got = std::move(r); });
    EXPECT_TRUE(got.has_value());
    if (!got) return Status::Error("no answer");
    return *got;
  }

  std::string GetOk(TokenProvider& p) {
    auto r = Get(p);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    if (!r.ok() || !*r) return "";
    return **r;
  }

  // Enqueues a token answer and remembers the token for the no-leak check.
  void AnswerToken(const std::string& token, const std::string& expires_in = "3599") {
    handed_out_.push_back(token);
    http_.EnqueueResponse(200, TokenAnswer(token, expires_in),
                          {{"Content-Type", "application/json; charset=utf-8"}});
  }

  void Advance(Duration d) { clock_.Advance(d); }

  std::string Logs() { return log_sink_->Text(); }

  adu::testing::TempDir temp_dir_;
  std::string dir_;
  std::string secret_path_;
  std::shared_ptr<adu::testing::CaptureSink> log_sink_;
  std::shared_ptr<spdlog::logger> log_;
  FakeClock clock_;
  FakeHttpClient http_;
  std::vector<std::string> handed_out_;
};

// ---- client_secret: the request ---------------------------------------------------------------

TEST_F(TokenTest, ClientSecretPostsTheFormToTheTenantsTokenEndpoint) {
  auto p = MakeSecretProvider(SecretOptions());
  AnswerToken("tok-1");
  EXPECT_EQ(GetOk(*p), "tok-1");
  ASSERT_EQ(http_.requests.size(), 1u);
  const HttpRequest& r = http_.requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://login.example.com/contoso-tenant/oauth2/v2.0/token");
  EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(r.deadline, 4321ms);
  // Values are form-encoded; the trailing newline of the file is gone.
  EXPECT_EQ(r.body,
            "grant_type=client_credentials&client_id=app-1234"
            "&client_secret=s3cr3t%2B%2F%3D%26value~with%20spaces"
            "&scope=https%3A%2F%2Fapi.adu.microsoft.com%2F.default");
  EXPECT_NE(Logs().find("acquired a token for tenant contoso-tenant (client app-1234), valid for "
                        "3599 s"),
            std::string::npos)
      << Logs();
}

TEST_F(TokenTest, TokenIsCachedAndRefreshedFiveMinutesBeforeExpiry) {
  auto p = MakeSecretProvider(SecretOptions());
  AnswerToken("tok-1", "3600");
  EXPECT_EQ(GetOk(*p), "tok-1");
  Advance(3600s - 5min - 1ms);
  EXPECT_EQ(GetOk(*p), "tok-1");
  EXPECT_EQ(http_.requests.size(), 1u);
  Advance(1ms);
  AnswerToken("tok-2", "3600");
  EXPECT_EQ(GetOk(*p), "tok-2");
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(TokenTest, ShortLivedTokenIsRefreshedAtHalfItsLifetime) {
  auto p = MakeSecretProvider(SecretOptions());
  AnswerToken("tok-1", "300");
  EXPECT_EQ(GetOk(*p), "tok-1");
  Advance(149s);
  EXPECT_EQ(GetOk(*p), "tok-1");
  Advance(1s);
  AnswerToken("tok-2", "300");
  EXPECT_EQ(GetOk(*p), "tok-2");
  EXPECT_EQ(http_.requests.size(), 2u);
}

TEST_F(TokenTest, ConcurrentWaitersShareOneRefresh) {
  auto p = MakeSecretProvider(SecretOptions());
  std::vector<TokenResult> answers;
  for (int i = 0; i < 5; ++i) p->GetToken([&](TokenResult r) { answers.push_back(std::move(r)); });
  EXPECT_EQ(http_.requests.size(), 1u);  // parked in the fake: one request for five callers
  EXPECT_TRUE(answers.empty());
  handed_out_.push_back("tok-shared");
  http_.Complete(HttpResponse{200, {}, TokenAnswer("tok-shared")});
  ASSERT_EQ(answers.size(), 5u);
  for (const auto& a : answers) {
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(**a, "tok-shared");
  }
  EXPECT_EQ(GetOk(*p), "tok-shared");
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(TokenTest, ConcurrentWaitersAllGetTheFailure) {
  auto p = MakeSecretProvider(SecretOptions());
  std::vector<TokenResult> answers;
  for (int i = 0; i < 3; ++i) p->GetToken([&](TokenResult r) { answers.push_back(std::move(r)); });
  http_.Complete(HttpResponse{401, {}, kAadWrongSecret});
  ASSERT_EQ(answers.size(), 3u);
  for (const auto& a : answers) EXPECT_FALSE(a.ok());
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(TokenTest, AProviderDestroyedWithARefreshInFlightStillAnswersItsWaiters) {
  auto p = MakeSecretProvider(SecretOptions());
  std::optional<TokenResult> got;
  p->GetToken([&](TokenResult r) { got = std::move(r); });
  p.reset();
  handed_out_.push_back("tok-late");
  http_.Complete(HttpResponse{200, {}, TokenAnswer("tok-late")});
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(**got, "tok-late");
}

TEST_F(TokenTest, InvalidateDropsOnlyTheSameToken) {
  auto p = MakeSecretProvider(SecretOptions());
  AnswerToken("tok-1");
  EXPECT_EQ(GetOk(*p), "tok-1");
  p->Invalidate("some-older-token");
  EXPECT_EQ(GetOk(*p), "tok-1");
  EXPECT_EQ(http_.requests.size(), 1u);
  p->Invalidate("tok-1");
  AnswerToken("tok-2");
  EXPECT_EQ(GetOk(*p), "tok-2");
  EXPECT_EQ(http_.requests.size(), 2u);
  p->Invalidate("tok-1");  // a late 401 for the old token keeps the new one
  EXPECT_EQ(GetOk(*p), "tok-2");
  EXPECT_EQ(http_.requests.size(), 2u);
}

// Answers every Send on its own thread, as cpprest's pool does, and records how many token
// requests were ever in flight at once.
class ThreadedHttpClient : public HttpClient {
 public:
  ~ThreadedHttpClient() override { Join(); }
  void Send(HttpRequest /*request*/, DoneCallback done) override {
    const int n = ++sends;
    const int now = ++in_flight;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    std::lock_guard lock(mu_);
    threads_.emplace_back([this, n, done = std::move(done)] {
      std::this_thread::yield();
      HttpResponse r;
      r.status = 200;
      r.body = TokenAnswer("mt-token-" + std::to_string(n));
      --in_flight;
      done(std::move(r));
    });
  }
  void CancelAll() override {}
  void Join() {
    while (true) {
      std::vector<std::thread> batch;
      {
        std::lock_guard lock(mu_);
        batch.swap(threads_);
      }
      if (batch.empty()) return;
      for (auto& t : batch) t.join();
    }
  }
  std::atomic<int> sends{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST_F(TokenTest, ManyThreadsShareOneRefreshAtATime) {
  ThreadedHttpClient http;
  auto made = ClientSecretTokenProvider::Make(SecretOptions(), http, clock_, log_);
  ASSERT_TRUE(made.ok());
  auto& p = **made;
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  std::atomic<int> invalidations{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        p.GetToken([&, t, i](TokenResult r) {
          if (!r.ok() || !*r) {
            ++failed;
          } else if ((i + t) % 60 == 0) {
            ++invalidations;
            p.Invalidate(**r);  // as a 401 would
          }
          ++answered;
        });
      }
    });
  }
  for (auto& c : callers) c.join();
  http.Join();
  EXPECT_EQ(answered.load(), 8 * 300);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(http.max_in_flight.load(), 1);  // never two token requests at once
  EXPECT_GE(http.sends.load(), 1);
  EXPECT_LE(http.sends.load(), invalidations.load() + 1);
  for (int n = 1; n <= http.sends.load(); ++n)
    handed_out_.push_back("mt-token-" + std::to_string(n));
}

// ---- through the DeviceUpdateClient: 401 handling ----------------------------------------------

ClientOptions ServiceOptions(const Clock& clock) {
  ClientOptions o;
  o.endpoint = "https://contoso.api.adu.microsoft.com";
  o.instance_id = "blue";
  o.clock = &clock;
  return o;
}

TEST_F(TokenTest, A401RefreshesTheTokenAndRetriesOnce) {
  auto p = MakeSecretProvider(SecretOptions());
  DeviceUpdateClient service(ServiceOptions(clock_), http_, *p);
  AnswerToken("tok-1");
  http_.EnqueueResponse(401);
  AnswerToken("tok-2");
  http_.EnqueueResponse(200, kOpBody);
  std::optional<FetchOutcome> out;
  service.Fetch({OperationKind::kDevice, "op-1"}, "", [&](FetchOutcome o) { out = std::move(o); });
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->changed() != nullptr);
  ASSERT_EQ(http_.requests.size(), 4u);
  EXPECT_EQ(http_.requests[0].method, "POST");
  EXPECT_EQ(HeaderOf(http_.requests[1], "Authorization"), "Bearer tok-1");
  EXPECT_EQ(http_.requests[2].method, "POST");
  EXPECT_EQ(HeaderOf(http_.requests[3], "Authorization"), "Bearer tok-2");
  // The fresh token is cached for the next poll.
  http_.EnqueueResponse(200, kOpBody);
  service.Fetch({OperationKind::kDevice, "op-1"}, "", [&](FetchOutcome o) { out = std::move(o); });
  ASSERT_EQ(http_.requests.size(), 5u);
  EXPECT_EQ(HeaderOf(http_.requests[4], "Authorization"), "Bearer tok-2");
}

TEST_F(TokenTest, ASecond401IsAnAuthFailure) {
  auto p = MakeSecretProvider(SecretOptions());
  DeviceUpdateClient service(ServiceOptions(clock_), http_, *p);
  AnswerToken("tok-1");
  http_.EnqueueResponse(401);
  AnswerToken("tok-2");
  http_.EnqueueResponse(401);
  std::optional<FetchOutcome> out;
  service.Fetch({OperationKind::kDevice, "op-1"}, "", [&](FetchOutcome o) { out = std::move(o); });
  ASSERT_TRUE(out);
  ASSERT_TRUE(out->failed() != nullptr);
  EXPECT_EQ(out->failed()->error.category, ErrorCategory::kAuth);
  EXPECT_EQ(out->failed()->error.http_status, 401);
  EXPECT_EQ(http_.requests.size(), 4u);  // no third token request, no third GET
}

TEST_F(TokenTest, NoRequestIsSentWithoutAToken) {
  auto p = MakeSecretProvider(SecretOptions());
  DeviceUpdateClient service(ServiceOptions(clock_), http_, *p);
  http_.EnqueueResponse(401, kAadWrongSecret);
  std::optional<FetchOutcome> out;
  service.Fetch({OperationKind::kDevice, "op-1"}, "", [&](FetchOutcome o) { out = std::move(o); });
  ASSERT_TRUE(out);
  EXPECT_EQ(out->failed()->error.category, ErrorCategory::kAuth);
  EXPECT_NE(out->failed()->error.message.find("AADSTS7000215"), std::string::npos)
      << out->failed()->error.message;
  // While backing off: failed fast, nothing sent at all (neither token request nor GET).
  service.Fetch({OperationKind::kDevice, "op-1"}, "", [&](FetchOutcome o) { out = std::move(o); });
  EXPECT_EQ(out->failed()->error.category, ErrorCategory::kAuth);
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].method, "POST");
}

// ---- token endpoint failures and back-off ------------------------------------------------------

TEST_F(TokenTest, AadstsErrorNamesTenantStatusCodeAndDescription) {
  auto p = MakeSecretProvider(SecretOptions());
  http_.EnqueueResponse(401, kAadWrongSecret, {{"Content-Type", "application/json"}});
  auto r = Get(*p);
  ASSERT_FALSE(r.ok());
  for (const char* part : {"tenant contoso-tenant", "HTTP 401", "invalid_client",
                           "AADSTS7000215: Invalid client secret provided.",
                           "Trace ID: 1234 Correlation ID: 5678", "(error codes 7000215)"}) {
    EXPECT_NE(r.error().find(part), std::string::npos) << part << " in " << r.error();
  }
  const std::string logs = Logs();
  EXPECT_NE(logs.find("error cannot get a token for tenant contoso-tenant (client app-1234): "),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("AADSTS7000215"), std::string::npos);
  EXPECT_NE(logs.find("next attempt in 1 s"), std::string::npos) << logs;
  EXPECT_EQ(r.error().find('\n'), std::string::npos);
  EXPECT_EQ(r.error().find('\r'), std::string::npos);
}

TEST_F(TokenTest, BackoffDoublesFailsFastMeanwhileAndIsCapped) {
  auto o = SecretOptions();
  o.backoff.initial = 1s;
  o.backoff.max = 8s;
  auto p = MakeSecretProvider(o);
  size_t sent = 0;
  const Duration expected[] = {1s, 2s, 4s, 8s, 8s};
  for (const Duration delay : expected) {
    http_.EnqueueResponse(400, R"({"error":"invalid_request","error_codes":[90002]})");
    EXPECT_FALSE(Get(*p).ok());
    EXPECT_EQ(http_.requests.size(), ++sent);
    Advance(delay - 1ms);
    auto fast = Get(*p);  // still backing off: no request, the last error
    ASSERT_FALSE(fast.ok());
    EXPECT_NE(fast.error().find("90002"), std::string::npos) << fast.error();
    EXPECT_NE(fast.error().find("next attempt in"), std::string::npos) << fast.error();
    EXPECT_EQ(http_.requests.size(), sent);
    Advance(1ms);
  }
  EXPECT_EQ(p->consecutive_failures(), 5);
  AnswerToken("tok-ok");
  EXPECT_EQ(GetOk(*p), "tok-ok");
  EXPECT_EQ(p->consecutive_failures(), 0);
  EXPECT_NE(Logs().find("recovered after 5 failed attempts"), std::string::npos);
}

TEST_F(TokenTest, BackoffJitterStaysWithinItsShare) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    FakeHttpClient http;
    auto o = SecretOptions();
    o.backoff.initial = 10s;
    o.backoff.jitter = 0.5;
    o.backoff.seed = seed;
    auto made = ClientSecretTokenProvider::Make(o, http, clock_, log_);
    ASSERT_TRUE(made.ok());
    auto& p = **made;
    http.EnqueueResponse(503, "");
    p.GetToken([](TokenResult) {});
    const MonoTime failed_at = clock_.Now();
    // Find when the next attempt is allowed, in 100 ms steps.
    Duration waited{0};
    while (http.requests.size() == 1 && waited <= 11s) {
      http.EnqueueResponse(503, "");
      p.GetToken([](TokenResult) {});
      if (http.requests.size() == 1) {
        Advance(100ms);
        waited += 100ms;
      }
    }
    EXPECT_GE(clock_.Now() - failed_at, 5s - 100ms) << seed;
    EXPECT_LE(clock_.Now() - failed_at, 10s) << seed;
  }
}

TEST_F(TokenTest, HtmlAndGarbageAnswersAreClearErrors) {
  auto p = MakeSecretProvider(SecretOptions());
  http_.EnqueueResponse(502, "<html><body>Bad gateway " + std::string(kSecret) + "</body></html>",
                        {{"Content-Type", "text/html"}});
  auto r = Get(*p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("HTTP 502 with a text/html answer of"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("not a JSON object"), std::string::npos);
  EXPECT_EQ(r.error().find("<html>"), std::string::npos);  // bodies are described, never quoted

  const std::string garbage[] = {"{{{{", std::string(100000, '['), std::string("\x00\xff\xfe", 3),
                                 "[1,2,3]",
                                 R"({"error":42,"error_description":["x"],"error_codes":"no"})"};
  for (const auto& body : garbage) {
    Advance(10min);
    http_.EnqueueResponse(400, body);
    auto g = Get(*p);
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.error().find("HTTP 400"), std::string::npos) << g.error();
  }
}

TEST_F(TokenTest, UnusableSuccessAnswersAreErrors) {
  auto p = MakeSecretProvider(SecretOptions());
  const std::pair<std::string, std::string> cases[] = {
      {R"({"expires_in":3599})", "no usable access_token"},
      {R"({"access_token":"has space","expires_in":3599})", "no usable access_token"},
      {R"({"access_token":"tok-x"})", "no valid expires_in"},
      {R"({"access_token":"tok-x","expires_in":"soon"})", "no valid expires_in"},
      {R"({"access_token":"tok-x","expires_in":-5})", "no valid expires_in"},
      {"not json", "not a JSON object"},
  };
  for (const auto& [body, why] : cases) {
    Advance(10min);
    http_.EnqueueResponse(200, body);
    auto r = Get(*p);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.error().find(why), std::string::npos) << r.error();
  }
}

TEST_F(TokenTest, TransportErrorsAreBackedOffToo) {
  auto p = MakeSecretProvider(SecretOptions());
  http_.Enqueue(TransportError{TransportErrorKind::kTimeout, ""});
  auto r = Get(*p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("timed out"), std::string::npos) << r.error();
  EXPECT_FALSE(Get(*p).ok());
  EXPECT_EQ(http_.requests.size(), 1u);
}

TEST_F(TokenTest, AStillValidTokenIsServedWhileTheRefreshFails) {
  auto p = MakeSecretProvider(SecretOptions());
  AnswerToken("tok-1", "3600");
  EXPECT_EQ(GetOk(*p), "tok-1");
  Advance(56min);  // past the refresh point, before expiry
  http_.EnqueueResponse(503, "");
  EXPECT_EQ(GetOk(*p), "tok-1");
  EXPECT_EQ(GetOk(*p), "tok-1");  // backing off: still the valid one, no request
  EXPECT_EQ(http_.requests.size(), 2u);
  Advance(4min);  // expired, and the back-off is over: a new attempt
  http_.EnqueueResponse(503, "");
  EXPECT_FALSE(Get(*p).ok());
}

// ---- client_secret: the secret file -------------------------------------------------------------

TEST_F(TokenTest, SecretIsReadAgainAndAFixedFileEndsTheBackoff) {
  WriteFile(secret_path_, "wrong-secret-value\n");
  auto p = MakeSecretProvider(SecretOptions());
  http_.EnqueueResponse(401, kAadWrongSecret);
  EXPECT_FALSE(Get(*p).ok());
  EXPECT_NE(http_.requests[0].body.find("client_secret=wrong-secret-value&"), std::string::npos);
  EXPECT_FALSE(Get(*p).ok());  // backing off
  EXPECT_EQ(http_.requests.size(), 1u);

  WriteFile(secret_path_, std::string(kSecret) + "\r\n\t ");
  AnswerToken("tok-1");
  EXPECT_EQ(GetOk(*p), "tok-1");  // at once: the file changed
  ASSERT_EQ(http_.requests.size(), 2u);
  EXPECT_NE(http_.requests[1].body.find("client_secret=s3cr3t%2B%2F%3D%26value~with%20spaces&"),
            std::string::npos);
  EXPECT_EQ(Logs().find("wrong-secret-value"), std::string::npos);
}

TEST_F(TokenTest, SecretFileVanishingLaterIsATokenErrorNotACrash) {
  auto p = MakeSecretProvider(SecretOptions());
  std::filesystem::remove(secret_path_);
  auto r = Get(*p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cannot read " + secret_path_), std::string::npos) << r.error();
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(TokenTest, MissingOrEmptySecretFileIsAnErrorAtConstruction) {
  auto o = SecretOptions();
  o.client_secret_file = dir_ + "/nope";
  auto r = ClientSecretTokenProvider::Make(o, http_, clock_, log_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find(dir_ + "/nope"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("No such file"), std::string::npos) << r.error();

  WriteFile(secret_path_, "\n \n");
  r = ClientSecretTokenProvider::Make(SecretOptions(), http_, clock_, log_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("is empty"), std::string::npos) << r.error();

  o.client_secret_file = dir_;  // a directory
  r = ClientSecretTokenProvider::Make(o, http_, clock_, log_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("not a regular file"), std::string::npos) << r.error();
}

TEST_F(TokenTest, CredentialsDirectoryIsTheFallback) {
  const std::string creds = dir_ + "/creds";
  std::filesystem::create_directory(creds);
  WriteFile(creds + "/client-secret", "from-systemd-credential\n", 0400);
  auto o = SecretOptions();
  o.client_secret_file = "";
  o.credentials_directory = creds;
  auto p = MakeSecretProvider(o);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->secret_path(), creds + "/client-secret");
  AnswerToken("tok-1");
  EXPECT_EQ(GetOk(*p), "tok-1");
  EXPECT_NE(http_.requests[0].body.find("client_secret=from-systemd-credential&"),
            std::string::npos);
  EXPECT_EQ(Logs().find("from-systemd-credential"), std::string::npos);

  o.credentials_directory = "";
  auto none = ClientSecretTokenProvider::Make(o, http_, clock_, log_);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("CREDENTIALS_DIRECTORY"), std::string::npos);
}

TEST_F(TokenTest, WarnsWhenTheSecretFileIsReadableByOthers) {
  WriteFile(secret_path_, kSecret, 0640);
  ASSERT_TRUE(MakeSecretProvider(SecretOptions()));
  EXPECT_EQ(Logs().find("readable by other users"), std::string::npos);
  WriteFile(secret_path_, kSecret, 0644);
  ASSERT_TRUE(MakeSecretProvider(SecretOptions()));
  const std::string logs = Logs();
  EXPECT_NE(logs.find("warning client secret file " + secret_path_ + " is readable by other users"),
            std::string::npos)
      << logs;
}

TEST_F(TokenTest, AnEchoedSecretIsMasked) {
  auto p = MakeSecretProvider(SecretOptions());
  http_.EnqueueResponse(400,
                        std::string(R"({"error":"invalid_request","error_description":"got )") +
                            "s3cr3t+/=&value~with spaces" + R"("})");
  auto r = Get(*p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().find(kSecret), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("got ***"), std::string::npos) << r.error();
}

// ---- managed_identity ---------------------------------------------------------------------------

TEST_F(TokenTest, ManagedIdentityAsksImdsWithMetadataHeaderAndAcceptsStringExpiry) {
  ManagedIdentityOptions o;
  o.endpoint = "http://127.0.0.1:9/metadata/identity/oauth2/token";
  o.backoff.jitter = 0;
  auto made = ManagedIdentityTokenProvider::Make(o, http_, clock_, log_);
  ASSERT_TRUE(made.ok());
  auto& p = **made;
  handed_out_.push_back("mi-tok");
  http_.EnqueueResponse(200,
                        R"({"access_token":"mi-tok","client_id":"x","expires_in":"86399",)"
                        R"("expires_on":"1795000000","resource":"https://api.adu.microsoft.com/",)"
                        R"("token_type":"Bearer"})");
  EXPECT_EQ(GetOk(p), "mi-tok");
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].method, "GET");
  EXPECT_EQ(http_.requests[0].url,
            "http://127.0.0.1:9/metadata/identity/oauth2/token?api-version=2018-02-01"
            "&resource=https%3A%2F%2Fapi.adu.microsoft.com%2F");
  EXPECT_EQ(HeaderOf(http_.requests[0], "Metadata"), "true");
  Advance(86399s - 5min - 1s);  // the string lifetime was understood
  EXPECT_EQ(GetOk(p), "mi-tok");
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_NE(Logs().find("system-assigned managed identity, valid for 86399 s"), std::string::npos);
}

TEST_F(TokenTest, UserAssignedIdentityAddsClientIdAndReportsImdsErrors) {
  ManagedIdentityOptions o;
  o.endpoint = "http://127.0.0.1:9/metadata/identity/oauth2/token";
  o.client_id = "uami-1";
  auto made = ManagedIdentityTokenProvider::Make(o, http_, clock_, log_);
  ASSERT_TRUE(made.ok());
  EXPECT_EQ((*made)->url(),
            "http://127.0.0.1:9/metadata/identity/oauth2/token?api-version=2018-02-01"
            "&resource=https%3A%2F%2Fapi.adu.microsoft.com%2F&client_id=uami-1");
  http_.EnqueueResponse(400,
                        R"({"error":"invalid_request","error_description":"Identity not found"})");
  auto r = Get(**made);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("user-assigned managed identity (client uami-1)"), std::string::npos)
      << r.error();
  EXPECT_NE(r.error().find("HTTP 400 invalid_request: Identity not found"), std::string::npos)
      << r.error();
}

// ---- token_file ---------------------------------------------------------------------------------

std::string Base64Url(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += k[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += k[(acc << (6 - bits)) & 63];
  return out;
}

std::string Jwt(int64_t exp) {
  return Base64Url(R"({"alg":"RS256","typ":"JWT"})") + "." +
         Base64Url(R"({"aud":"https://api.adu.microsoft.com","exp":)" + std::to_string(exp) + "}") +
         ".c2lnbmF0dXJl";
}

TEST_F(TokenTest, TokenFileIsReadTrimmedAndReadAgainWhenItChanges) {
  const std::string path = dir_ + "/token";
  WriteFile(path, "  file-tok-1\n");
  handed_out_ = {"file-tok-1", "file-tok-2"};
  auto made = TokenFileProvider::Make({path}, clock_, log_);
  ASSERT_TRUE(made.ok());
  auto& p = **made;
  EXPECT_EQ(GetOk(p), "file-tok-1");
  Advance(24h);  // an opaque token has no expiry: used until the file changes
  EXPECT_EQ(GetOk(p), "file-tok-1");
  WriteFile(path, "file-tok-2\n");
  EXPECT_EQ(GetOk(p), "file-tok-2");
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_NE(Logs().find("no expiry known"), std::string::npos);
}

TEST_F(TokenTest, TokenFileMissingOrEmptyIsAnErrorUntilItIsWritten) {
  const std::string path = dir_ + "/token";
  auto made = TokenFileProvider::Make({path}, clock_, log_);
  ASSERT_TRUE(made.ok());  // the minting tool may not have run yet
  auto& p = **made;
  auto r = Get(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("cannot read " + path), std::string::npos) << r.error();
  WriteFile(path, "\n");
  r = Get(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("is empty"), std::string::npos) << r.error();
  handed_out_.push_back("file-tok");
  WriteFile(path, "file-tok");
  EXPECT_EQ(GetOk(p), "file-tok");  // no back-off for a file
}

TEST_F(TokenTest, ARepeatedTokenFileErrorIsLoggedOncePerMinute) {
  const std::string path = dir_ + "/token";
  auto made = TokenFileProvider::Make({path}, clock_, log_);
  auto& p = **made;
  auto errors = [&] {
    const std::string logs = Logs();
    size_t n = 0;
    for (size_t at = logs.find("error cannot get a token"); at != std::string::npos;
         at = logs.find("error cannot get a token", at + 1)) {
      ++n;
    }
    return n;
  };
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(Get(p).ok());  // every poll fails (and is an `auth` poll error) ...
    Advance(5s);
  }
  EXPECT_EQ(errors(), 1u);  // ... but the journal gets one error line, the rest at debug
  EXPECT_NE(Logs().find("debug cannot get a token for token file " + path), std::string::npos);
  Advance(10s);
  EXPECT_FALSE(Get(p).ok());
  EXPECT_EQ(errors(), 2u);
}

TEST_F(TokenTest, TokenFileIsReadAgainAfterInvalidate) {
  const std::string path = dir_ + "/token";
  WriteFile(path, "file-tok-1");
  handed_out_ = {"file-tok-1"};
  auto made = TokenFileProvider::Make({path}, clock_, log_);
  auto& p = **made;
  EXPECT_EQ(GetOk(p), "file-tok-1");
  // Overwrite in place keeping size and inode, then reset the mtime: the stamp cannot see it...
  struct stat before {};
  ::stat(path.c_str(), &before);
  {
    std::fstream f(path, std::ios::in | std::ios::out);
    f << "file-tok-9";
  }
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
  handed_out_.push_back("file-tok-9");
  EXPECT_EQ(GetOk(p), "file-tok-1");
  // ...but a 401 makes the provider read the file again.
  p.Invalidate("file-tok-1");
  EXPECT_EQ(GetOk(p), "file-tok-9");
}

TEST_F(TokenTest, TokenFileJwtExpiryIsHonoured) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch()).count();
  const std::string path = dir_ + "/token";
  const std::string live = Jwt(now + 3600);
  EXPECT_EQ(internal::JwtExpiry(live), now + 3600);
  EXPECT_EQ(internal::JwtExpiry("opaque"), std::nullopt);
  EXPECT_EQ(internal::JwtExpiry("a.b.c.d.e"), std::nullopt);
  EXPECT_EQ(internal::JwtExpiry("a.!!!.c"), std::nullopt);
  WriteFile(path, live + "\n");
  handed_out_.push_back(live);
  auto made = TokenFileProvider::Make({path}, clock_, log_);
  auto& p = **made;
  EXPECT_EQ(GetOk(p), live);
  EXPECT_NE(Logs().find("valid for 3600 s"), std::string::npos) << Logs();
  Advance(3601s);  // expired and the file was not refreshed: an error, not a stale token
  auto r = Get(p);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("expired 1 s ago"), std::string::npos) << r.error();
}

TEST(FormEncodeTest, EncodesReservedCharacters) {
  EXPECT_EQ(internal::FormEncode("a b&c=d+e/f?g%h"), "a%20b%26c%3Dd%2Be%2Ff%3Fg%25h");
  EXPECT_EQ(internal::FormEncode("AZaz09-._~"), "AZaz09-._~");
}

}  // namespace
}  // namespace adu::client
