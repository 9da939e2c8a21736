// The emulator's behaviour without sockets: one parsed HTTP request in, one answer (plus how to
// misbehave while sending it) out. Thread-safe: every public member may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adu/core/clock.h"
#include "adu/emulator/scenario.h"

namespace adu::emulator::detail {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

// How the transport sends the answer.
enum class Action {
  kNormal,
  kReset,    // no answer: abort the connection (RST)
  kStall,    // wait stall_seconds (real time), then answer normally
  kTrickle,  // headers at once, then the body at bytes_per_second
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>>
      headers;  // Content-Length is added by the sender
  std::string body;
  Action action = Action::kNormal;
  double stall_seconds = 0;
  int bytes_per_second = 0;
};

class Model {
 public:
  // `clock` must outlive the model. Scenario seconds pass `time_scale` times faster than `clock`.
  Model(Scenario scenario, const Clock& clock, double time_scale);

  HttpResponse Handle(const HttpRequest& request);

  // Concurrency accounting by the transport: a request is in progress from its last byte read to
  // the last byte of its answer written.
  void BeginRequest();
  void EndRequest();

  std::string StatsJson(std::string_view only_operation = {}) const;
  std::string TimelineJson() const;
  void ResetStats();

 private:
  struct RequestRecord {
    WallTime time;
    double scenario_time;
    std::optional<std::string> if_none_match;
    int status;  // 0: no answer (connection reset)
    std::string fault;
  };
  struct OpStats {
    std::string kind;
    std::int64_t requests = 0, conditional = 0, ok = 0, not_modified = 0, not_found = 0,
                 throttled = 0, faults = 0, other = 0, dropped_records = 0;
    std::deque<RequestRecord> records;
  };
  struct OpState {
    OperationSpec spec;
    int request_counter = 0;  // fault numbering; never reset
    // Per timeline entry; mutable because rendering (under mu_) records it.
    mutable std::vector<std::optional<WallTime>> first_served;
  };
  struct View {
    bool exists = false;
    std::size_t index = 0;
    double last_action = 0;  // scenario seconds
    std::int64_t churn_step = 0;
  };

  double ScenarioNow() const;
  WallTime WallAt(double scenario_seconds) const;
  View ViewAt(const OpState& op, double now) const;
  std::string Etag(const OpState& op, const View& view) const;
  // `served`: the body really reaches the client (not a faulted answer), so it counts for the
  // timeline's first_served_at.
  std::string RenderOperation(const OpState& op, const View& view, const std::string& api_version,
                              bool served = true);

  HttpResponse HandleDataPlane(const HttpRequest& req, std::string_view path,
                               const std::map<std::string, std::string>& query);
  HttpResponse HandleGet(const HttpRequest& req, OperationKind kind, const std::string& id,
                         const std::string& api_version);
  HttpResponse HandleList(OperationKind kind, const std::map<std::string, std::string>& query,
                          const std::string& api_version);
  HttpResponse HandleAadToken(const HttpRequest& req, const std::string& tenant);
  HttpResponse HandleImdsToken(const HttpRequest& req,
                               const std::map<std::string, std::string>& query);
  HttpResponse NotFound(const std::string& what) const;
  std::string NextLink(OperationKind kind, const std::string& api_version, bool in_flight_only,
                       const std::string& filter_raw, long long top, long long end) const;
  void AddServiceHeaders(HttpResponse& r);
  bool Admit(std::deque<MonoTime>& window, int limit, int* retry_after);
  bool BearerOk(const HttpRequest& req);
  std::string MintToken();
  void Record(const std::string& id, OperationKind kind, const HttpRequest& req, int status,
              std::string_view fault);

  const Scenario scenario_;
  const Clock& clock_;
  const double time_scale_;
  const MonoTime start_mono_;
  const WallTime start_wall_;

  mutable std::mutex mu_;
  std::vector<OpState> ops_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, OpStats> stats_;
  std::deque<MonoTime> get_window_, list_window_;
  std::unordered_map<std::string, MonoTime> minted_;  // token -> expiry
  std::uint64_t token_serial_ = 0;
  std::int64_t total_requests_ = 0, throttled_ = 0, token_requests_ = 0, token_failures_ = 0,
               auth_failures_ = 0, list_calls_ = 0, faults_ = 0;
  std::atomic<int> in_progress_{0};
  std::atomic<int> peak_{0};
};

// Timestamps in the service's form: by default 2020-04-22T21:01:43.9401420+00:00; `form` shows
// the same instant in another zone and/or with trailing zero digits trimmed
// (2020-04-22T21:01:43.940142Z, 2020-04-22T14:01:43.940142-07:00, 2026-06-24T22:53:22Z).
std::string ServiceTimestamp(WallTime t, const TimestampForm& form = {});
std::string UrlDecode(std::string_view s);
std::string UrlEncode(std::string_view s);
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace adu::emulator::detail
