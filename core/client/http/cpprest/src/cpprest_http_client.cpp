// The only translation unit that knows cpprestsdk's HTTP client. See cpprest_http_client.h.
#include "adu/client/cpprest_http_client.h"

#include <cpprest/http_client.h>
#include <pplx/threadpool.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

#include "adu/core/text.h"
#include "url.h"

namespace adu::client {
namespace {

// cpprest closes the socket from the thread that cancels, while a composed asio read may be
// starting its next step on an I/O thread: a race inside cpprest (its issue #1547: SIGSEGV in
// epoll_reactor::start_op on a closed descriptor; seen here under ThreadSanitizer on a deadline).
// So cancellation always runs as a handler on cpprest's I/O service, which the daemon gives one
// thread (InitializeIoThreads): there it is serialised with every read and write step.
void CancelOnIoThread(const pplx::cancellation_token_source& cts) {
  crossplat::threadpool::shared_instance().service().post([cts]() { cts.cancel(); });
}

namespace http = web::http;
using SteadyTime = std::chrono::steady_clock::time_point;

// One request in flight.
struct Call {
  uint64_t id = 0;
  SteadyTime deadline;
  std::chrono::milliseconds timeout{0};
  size_t max_body = 0;
  pplx::cancellation_token_source cts;
  HttpClient::DoneCallback done;  // moved out by the one Finish() that runs
  std::atomic<bool> finished{false};
  std::atomic<bool> cancelled{false};
  std::atomic<bool> too_large{false};
  HttpResponse response;  // status and headers, filled when the headers arrive
};

// Shared with every continuation, so a continuation never touches a destroyed object.
class State {
 public:
  explicit State(CpprestOptions options) : options_(std::move(options)) {}

  std::shared_ptr<http::client::http_client> ClientFor(const std::string& origin) {
    std::lock_guard lock(mu_);
    auto& slot = clients_[origin];
    if (!slot) {
      http::client::http_client_config config;
      config.set_timeout(
          std::chrono::duration_cast<std::chrono::microseconds>(options_.step_timeout));
      config.set_validate_certificates(true);
      config.set_max_redirects(0);
      slot = std::make_shared<http::client::http_client>(web::uri(origin), config);
    }
    return slot;
  }

  // False once shutdown began: the call is not started (the caller reports kCancelled).
  bool Register(const std::shared_ptr<Call>& call) {
    bool earlier = false;
    {
      std::lock_guard lock(mu_);
      if (closing_) return false;
      call->id = ++next_id_;
      in_flight_.emplace(call->id, call);
      timers_.emplace(call->deadline, call->id);
      ++outstanding_;
      // The timer thread sleeps until the earliest deadline: it only needs waking when this one
      // is earlier still (or the first). Waking it for every request cost a context switch per
      // poll (bench/b2.py).
      earlier = timers_.begin()->second == call->id;
    }
    if (earlier) cv_.notify_all();
    return true;
  }

  // Refuses every later Send(): a callback running during the destructor's drain (a token
  // refresh, a 401 retry) must not start a request on a client that is going away.
  void Close() {
    std::lock_guard lock(mu_);
    closing_ = true;
  }

  // Delivers `result` unless the call already finished (deadline, cancel and cpprest race).
  void Finish(const std::shared_ptr<Call>& call, HttpResult result) {
    if (call->finished.exchange(true)) return;
    {
      std::lock_guard lock(mu_);
      in_flight_.erase(call->id);
      timers_.erase({call->deadline, call->id});
    }
    auto done = std::move(call->done);
    done(std::move(result));
  }

  // The cpprest chain of a call has ended: nothing of cpprest refers to it any more.
  void ChainEnded() {
    bool none_left = false;
    {
      std::lock_guard lock(mu_);
      none_left = --outstanding_ == 0;
    }
    if (none_left) cv_.notify_all();  // only Drain() waits for this, and only for zero
  }

  void CancelAll() {
    std::vector<std::shared_ptr<Call>> calls;
    {
      std::lock_guard lock(mu_);
      const auto now = std::chrono::steady_clock::now();
      for (auto& [id, call] : in_flight_) {
        call->cancelled = true;
        timers_.erase({call->deadline, id});
        timers_.emplace(now, id);  // the timer thread delivers kCancelled, never this caller
        calls.push_back(call);
      }
    }
    cv_.notify_all();
    for (auto& call : calls) CancelOnIoThread(call->cts);
  }

  // Timer thread: delivers deadlines and cancellations. Sleeps until the earliest deadline.
  void RunTimers() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (timers_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const auto [when, id] = *timers_.begin();
      if (std::chrono::steady_clock::now() < when) {
        cv_.wait_until(lock, when);
        continue;
      }
      timers_.erase(timers_.begin());
      const auto it = in_flight_.find(id);
      if (it == in_flight_.end()) continue;
      auto call = it->second;
      lock.unlock();
      CancelOnIoThread(call->cts);  // aborts the connection; cpprest's chain then ends on its own
      if (call->cancelled) {
        Finish(call, TransportError{TransportErrorKind::kCancelled, "cancelled"});
      } else {
        Finish(call, TransportError{TransportErrorKind::kTimeout,
                                    "no complete answer within " +
                                        std::to_string(call->timeout.count()) + " ms"});
      }
      lock.lock();
    }
  }

  void StopTimers() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }

  // Waits until every cpprest chain has ended; false when `timeout` expired first.
  bool Drain(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return outstanding_ == 0; });
  }

  void DestroyClients() {
    std::map<std::string, std::shared_ptr<http::client::http_client>> clients;
    {
      std::lock_guard lock(mu_);
      clients.swap(clients_);
    }
  }

  const CpprestOptions& options() const { return options_; }

 private:
  const CpprestOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<http::client::http_client>> clients_;
  std::unordered_map<uint64_t, std::shared_ptr<Call>> in_flight_;
  std::set<std::pair<SteadyTime, uint64_t>> timers_;
  uint64_t next_id_ = 0;
  size_t outstanding_ = 0;
  bool stopping_ = false;
  bool closing_ = false;
};

TransportError Refused(std::string why) {
  return TransportError{TransportErrorKind::kNetwork, "request refused: " + std::move(why)};
}

class CpprestHttpClient final : public HttpClient {
 public:
  explicit CpprestHttpClient(const CpprestOptions& options)
      : state_(std::make_shared<State>(options)), timer_([s = state_] { s->RunTimers(); }) {}

  ~CpprestHttpClient() override {
    state_->Close();
    state_->CancelAll();
    const bool drained = state_->Drain(state_->options().drain_timeout);
    state_->StopTimers();
    timer_.join();
    if (drained) {
      state_->DestroyClients();
    } else {
      // A cpprest chain is still running: destroying its client under it crashes (notably with
      // TLS). Leak the state deliberately; this only happens at exit with a wedged request.
      new std::shared_ptr<State>(state_);  // NOLINT: intentional leak
    }
  }

  void Send(HttpRequest request, DoneCallback done) override {
    if (auto refused = CheckRequest(request)) {
      done(std::move(*refused));
      return;
    }
    const auto url = internal::ParseAbsoluteUrl(request.url);
    auto call = std::make_shared<Call>();
    call->timeout = request.deadline;
    call->max_body = request.max_body_bytes;
    call->deadline = std::chrono::steady_clock::now() + request.deadline;
    call->done = std::move(done);

    std::shared_ptr<http::client::http_client> client;
    http::http_request message;
    try {
      client = state_->ClientFor(url->Origin());
      message = BuildMessage(request, url->path_query);
    } catch (const std::exception& e) {
      auto cb = std::move(call->done);
      cb(Refused(std::string("invalid request: ") + e.what()));
      return;
    }
    CapDownload(message, call);
    if (!state_->Register(call)) {
      auto cb = std::move(call->done);
      cb(TransportError{TransportErrorKind::kCancelled,
                        "cancelled: the HTTP client is shutting down"});
      return;
    }
    try {
      StartChain(*client, message, call, state_);
    } catch (const std::exception& e) {
      state_->Finish(call, Classify(*call, e.what()));
      state_->ChainEnded();
    }
  }

  void CancelAll() override { state_->CancelAll(); }

 private:
  // Why `request` is refused before anything is sent, or nullopt when it may be sent.
  static std::optional<TransportError> CheckRequest(const HttpRequest& request) {
    if (auto why = UnsafeHeaderReason(request.headers)) return Refused(std::move(*why));
    if (!IsSafeHeaderText(request.url) || !IsSafeHeaderText(request.method)) {
      return Refused("CR/LF/NUL in the URL or method");
    }
    if (!internal::ParseAbsoluteUrl(request.url)) return Refused("not an absolute http(s) URL");
    return std::nullopt;
  }

  // The cpprest message for `request` (may throw on what cpprest refuses).
  http::http_request BuildMessage(const HttpRequest& request, const std::string& path_query) const {
    http::http_request message;
    message.set_method(request.method);
    message.set_request_uri(web::uri(path_query));
    std::string content_type = "application/octet-stream";
    bool has_user_agent = false;
    for (const auto& [name, value] : request.headers) {
      if (EqualsIgnoreCase(name, "Content-Type")) {
        content_type = value;
        continue;
      }
      has_user_agent = has_user_agent || EqualsIgnoreCase(name, "User-Agent");
      message.headers().add(name, value);
    }
    if (!has_user_agent) message.headers().add("User-Agent", state_->options().user_agent);
    if (!request.body.empty()) message.set_body(request.body, content_type);
    return message;
  }

  // Aborts the download as soon as it passes the cap, before the excess is buffered.
  static void CapDownload(http::http_request& message, const std::shared_ptr<Call>& call) {
    message.set_progress_handler(
        [c = call](http::message_direction::direction dir, utility::size64_t bytes) {
          if (dir == http::message_direction::download && bytes > c->max_body) {
            c->too_large = true;
            throw std::length_error("response body too large");
          }
        });
  }

  // Sends `message`; the continuations fill `call` and finish it (never block: .get() is only
  // called on completed tasks).
  static void StartChain(http::client::http_client& client, http::http_request& message,
                         const std::shared_ptr<Call>& call, const std::shared_ptr<State>& state) {
    client.request(message, call->cts.get_token())
        .then([call](pplx::task<http::http_response> t) {
          http::http_response resp = t.get();  // completed task: does not block
          call->response.status = resp.status_code();
          for (const auto& [name, value] : resp.headers()) {
            call->response.headers.emplace_back(name, value);
          }
          if (resp.headers().content_length() > call->max_body) {
            call->too_large = true;
            call->cts.cancel();  // on the I/O thread already: drop the connection, skip the body
            throw std::length_error("response body too large");
          }
          return resp.extract_vector();
        })
        .then([call, state](pplx::task<std::vector<unsigned char>> t) {
          state->Finish(call, BodyResult(*call, std::move(t)));
          state->ChainEnded();
        });
  }

  // The response with its body, or the error the chain ended with.
  static HttpResult BodyResult(Call& call, pplx::task<std::vector<unsigned char>> t) {
    try {
      std::vector<unsigned char> body = t.get();  // completed task: does not block
      if (body.size() > call.max_body) {
        call.too_large = true;
        throw std::length_error("response body too large");
      }
      call.response.body.assign(body.begin(), body.end());
      return std::move(call.response);
    } catch (const std::exception& e) {
      return Classify(call, e.what());
    } catch (...) {
      return Classify(call, "unknown error");
    }
  }

  static TransportError Classify(const Call& call, const std::string& what) {
    if (call.too_large) {
      return {TransportErrorKind::kTooLarge,
              "response body larger than " + std::to_string(call.max_body) + " bytes"};
    }
    if (call.cancelled) return {TransportErrorKind::kCancelled, "cancelled"};
    if (std::chrono::steady_clock::now() >= call.deadline) {
      return {TransportErrorKind::kTimeout,
              "no complete answer within " + std::to_string(call.timeout.count()) + " ms"};
    }
    return {TransportErrorKind::kNetwork, what};
  }

  std::shared_ptr<State> state_;
  std::thread timer_;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCpprestHttpClient(const CpprestOptions& options) {
  return std::make_unique<CpprestHttpClient>(options);
}

}  // namespace adu::client
