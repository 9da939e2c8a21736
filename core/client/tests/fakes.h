// Test doubles for the client's seams: an HttpClient that records requests and answers from a
// script (inline or on demand) and a scripted TokenProvider; the hand-driven clock is the shared
// test support's.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "adu/client/http_client.h"
#include "adu/core/clock.h"
#include "adu/core/token_provider.h"
#include "adu/testing/fake_clock.h"

namespace adu::client::testing {

class FakeHttpClient : public HttpClient {
 public:
  // Canned answers, consumed in order by Send(). When the script is empty, Send() parks the
  // request until Complete() is called.
  void Enqueue(HttpResult r) { script_.push_back(std::move(r)); }
  void EnqueueResponse(int status, std::string body = "",
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse resp;
    resp.status = status;
    resp.body = std::move(body);
    resp.headers = std::move(headers);
    Enqueue(std::move(resp));
  }

  void Send(HttpRequest request, DoneCallback done) override {
    requests.push_back(request);
    if (script_.empty()) {
      parked_.push_back(std::move(done));
      return;
    }
    HttpResult r = std::move(script_.front());
    script_.pop_front();
    done(std::move(r));
  }

  void CancelAll() override {
    ++cancel_calls;
    if (!cancel_parked) return;
    auto parked = std::move(parked_);
    parked_.clear();
    for (auto& done : parked) done(TransportError{TransportErrorKind::kCancelled, "cancelled"});
  }

  // Answers the oldest parked request.
  void Complete(HttpResult r) {
    auto done = std::move(parked_.front());
    parked_.pop_front();
    done(std::move(r));
  }

  size_t parked() const { return parked_.size(); }

  std::vector<HttpRequest> requests;
  int cancel_calls = 0;
  bool cancel_parked = true;  // false: CancelAll() leaves parked requests to Complete()

 private:
  std::deque<HttpResult> script_;
  std::deque<DoneCallback> parked_;
};

class FakeTokenProvider : public TokenProvider {
 public:
  // Each GetToken() consumes the next answer; the last one repeats.
  std::vector<Result<std::optional<std::string>>> answers{std::optional<std::string>()};
  std::vector<std::string> invalidated;
  int get_calls = 0;

  void GetToken(TokenCallback done) override {
    const size_t i = std::min<size_t>(static_cast<size_t>(get_calls), answers.size() - 1);
    ++get_calls;
    done(answers[i]);
  }
  void Invalidate(const std::string& token) override { invalidated.push_back(token); }
};

using adu::testing::FakeClock;  // tests/support

inline std::optional<std::string> HeaderOf(const HttpRequest& r, std::string_view name) {
  HttpResponse tmp;
  tmp.headers = r.headers;
  return tmp.Header(name);
}

}  // namespace adu::client::testing
