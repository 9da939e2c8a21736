// The only translation unit that knows libcurl. See curl_http_client.h.
#include "adu/client/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adu/core/text.h"
#include "url.h"

namespace adu::client {
namespace {

TransportError Refused(std::string why) {
  return TransportError{TransportErrorKind::kNetwork, "request refused: " + std::move(why)};
}

// One request: owned by the I/O thread once queued.
struct Transfer {
  HttpRequest request;
  HttpClient::DoneCallback done;
  uint64_t generation = 0;  // CancelAll() calls before this Send()
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {0};
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (t->response.body.size() + len > t->request.max_body_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  t->response.body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear();  // a new response (after a 1xx): keep only the final one's
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    t->response.headers.emplace_back(std::string(TrimSpace(line.substr(0, colon))),
                                     std::string(TrimSpace(line.substr(colon + 1))));
  }
  return size * n;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, options_.max_connections);
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, options_.max_connections);
    thread_ = std::thread([this] { Loop(); });
  }

  ~CurlHttpClient() override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    for (CURL* e : free_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);
  }

  void Send(HttpRequest request, DoneCallback done) override {
    if (auto why = UnsafeHeaderReason(request.headers)) {
      done(Refused(std::move(*why)));
      return;
    }
    if (!IsSafeHeaderText(request.url) || !IsSafeHeaderText(request.method) ||
        request.method.empty()) {
      done(Refused("CR/LF/NUL in the URL or method"));
      return;
    }
    if (!internal::ParseAbsoluteUrl(request.url)) {
      done(Refused("not an absolute http(s) URL"));
      return;
    }
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    bool refused = false;
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      refused = closing_;
      if (!refused) {
        t->generation = cancel_generation_;
        // The I/O thread takes the whole queue per wakeup: one wakeup per batch of Send()s.
        wake = incoming_.empty();
        incoming_.push_back(std::move(t));
      }
    }
    if (refused) {
      Deliver(std::move(t), TransportError{TransportErrorKind::kCancelled,
                                           "cancelled: the HTTP client is shutting down"});
      return;
    }
    if (wake) curl_multi_wakeup(multi_);
  }

  void CancelAll() override {
    {
      std::lock_guard lock(mu_);
      ++cancel_generation_;
    }
    curl_multi_wakeup(multi_);
  }

 private:
  // I/O thread.
  void Loop() {
    std::vector<std::unique_ptr<Transfer>> fresh;
    while (true) {
      bool closing;
      uint64_t cancel_generation;
      {
        std::lock_guard lock(mu_);
        closing = closing_;
        cancel_generation = cancel_generation_;
        fresh.assign(std::make_move_iterator(incoming_.begin()),
                     std::make_move_iterator(incoming_.end()));
        incoming_.clear();
      }
      for (auto& t : fresh) {
        if (closing || t->generation < cancel_generation) {
          Deliver(std::move(t), TransportError{TransportErrorKind::kCancelled, "cancelled"});
        } else {
          Start(std::move(t));
        }
      }
      fresh.clear();
      // Cancelled: every transfer sent before the last CancelAll() (or all, when closing).
      if (closing || cancel_generation > handled_generation_) {
        std::vector<CURL*> victims;
        for (auto& [easy, t] : active_) {
          if (closing || t->generation < cancel_generation) victims.push_back(easy);
        }
        for (CURL* easy : victims) {
          Finish(easy, TransportError{TransportErrorKind::kCancelled, "cancelled"});
        }
        handled_generation_ = cancel_generation;
      }
      if (closing) {
        // Callbacks of cancelled requests may have queued more (refused now, closing_ is set).
        std::lock_guard lock(mu_);
        if (incoming_.empty()) break;
        continue;
      }
      int running = 0;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL* easy = msg->easy_handle;
        const CURLcode code = msg->data.result;
        Complete(easy, code);
      }
      // Sleeps until a socket is ready, curl's next timeout, or a wakeup; no timer of our own.
      long timeout = -1;
      curl_multi_timeout(multi_, &timeout);
      if (timeout < 0 || timeout > kIdleWaitMs) timeout = kIdleWaitMs;
      curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout), nullptr);
    }
  }

  void Start(std::unique_ptr<Transfer> t) {
    CURL* easy;
    if (!free_.empty()) {
      easy = free_.back();
      free_.pop_back();
      curl_easy_reset(easy);
    } else {
      easy = curl_easy_init();
    }
    if (easy == nullptr) {
      Deliver(std::move(t), TransportError{TransportErrorKind::kNetwork, "curl_easy_init failed"});
      return;
    }
    t->easy = easy;
    const HttpRequest& r = t->request;
    curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, r.deadline.count())));
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body_bytes));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    bool has_user_agent = false;
    for (const auto& [name, value] : r.headers) {
      has_user_agent = has_user_agent || EqualsIgnoreCase(name, "User-Agent");
      // "Name;" is curl's way to send a header with an empty value.
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      t->headers = curl_slist_append(t->headers, line.c_str());
    }
    t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
    if (!has_user_agent) curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    if (r.method == "GET") {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
    } else {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    if (!r.body.empty() || r.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
    if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      Release(*t);
      Deliver(std::move(t),
              TransportError{TransportErrorKind::kNetwork, "curl_multi_add_handle failed"});
      return;
    }
    active_.emplace(easy, std::move(t));
  }

  void Complete(CURL* easy, CURLcode code) {
    auto it = active_.find(easy);
    if (it == active_.end()) return;
    Transfer& t = *it->second;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      t.response.status = static_cast<int>(status);
      Finish(easy, std::move(t.response));
      return;
    }
    if (t.too_large || code == CURLE_FILESIZE_EXCEEDED) {
      Finish(easy, TransportError{TransportErrorKind::kTooLarge,
                                  "response body larger than " +
                                      std::to_string(t.request.max_body_bytes) + " bytes"});
    } else if (code == CURLE_OPERATION_TIMEDOUT) {
      Finish(easy, TransportError{TransportErrorKind::kTimeout,
                                  "no complete answer within " +
                                      std::to_string(t.request.deadline.count()) + " ms"});
    } else {
      // curl's messages name hosts and errno texts, never header values.
      Finish(easy, TransportError{TransportErrorKind::kNetwork,
                                  std::string(curl_easy_strerror(code)) +
                                      (t.error[0] != 0 ? std::string(": ") + t.error : "")});
    }
  }

  // Removes a started transfer from the multi handle and delivers its result.
  void Finish(CURL* easy, HttpResult result) {
    auto it = active_.find(easy);
    if (it == active_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    Release(*t);
    Deliver(std::move(t), std::move(result));
  }

  void Release(Transfer& t) {
    curl_slist_free_all(t.headers);
    t.headers = nullptr;
    if (t.easy != nullptr) {
      // Keep a few easy handles: reset and reuse beats init and cleanup per request.
      if (free_.size() < 16) {
        free_.push_back(t.easy);
      } else {
        curl_easy_cleanup(t.easy);
      }
      t.easy = nullptr;
    }
  }

  static void Deliver(std::unique_ptr<Transfer> t, HttpResult result) {
    auto done = std::move(t->done);
    t.reset();
    done(std::move(result));
  }

  static constexpr long kIdleWaitMs = 24L * 3600 * 1000;  // "forever": woken by curl_multi_wakeup

  const CurlOptions options_;
  CURLM* multi_ = nullptr;
  std::thread thread_;

  std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> incoming_;
  uint64_t cancel_generation_ = 0;
  bool closing_ = false;

  // I/O thread only.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> free_;
  uint64_t handled_generation_ = 0;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(const CurlOptions& options) {
  return std::make_unique<CurlHttpClient>(options);
}

}  // namespace adu::client
