// The emulator's behaviour. See docs/emulator.md for what each answer looks like and why.
#include "model.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "adu/core/text.h"
#include "json_writer.h"

namespace adu::emulator::detail {

namespace {

constexpr std::string_view kScope = "https://api.adu.microsoft.com/.default";
constexpr std::string_view kResource = "https://api.adu.microsoft.com/";
constexpr std::string_view kInFlightFilter = "status eq 'NotStarted' or status eq 'Running'";
constexpr std::string_view kNoNotModifiedVersion = "2026-06-01";

bool InFlight(std::string_view status) { return status != "Succeeded" && status != "Failed"; }

std::uint64_t Fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ull) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t Mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string Guid(std::uint64_t a, std::uint64_t b) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

std::string Hex(std::uint64_t v, int digits) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(v));
  return std::string(buf).substr(0, static_cast<std::size_t>(digits));
}

std::string TraceParent(std::uint64_t seed) {
  return "00-" + Hex(Mix(seed), 16) + Hex(Mix(seed + 1), 16) + "-" + Hex(Mix(seed + 2), 16) + "-00";
}

std::string ErrorBody(std::string_view code, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error").BeginObject();
  w.Field("code", code).Field("message", message);
  w.EndObject().EndObject();
  return w.Take();
}

HttpResponse Json(int status, std::string body,
                  std::string_view content_type = "application/json; charset=utf-8") {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (true) {
    const auto next = s.find(sep, pos);
    parts.push_back(s.substr(pos, next == std::string_view::npos ? next : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return parts;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string KindText(OperationKind k) { return k == OperationKind::kDevice ? "device" : "update"; }

bool ParseCount(const std::string& s, long long* out) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
  *out = std::stoll(s);
  return true;
}

// Where a legacy nextLink continues: shaped like the recorded Cosmos DB continuation token
// ([{"token":"+RID:~...#RT:1#TRC:<n>...","range":{...}}]); the emulator keeps its own state in it.
struct SkipState {
  long long skip = 0;
  long long top = -1;  // the total limit of the first request; -1 = none
  bool in_flight_only = false;
};

std::string SkipToken(const SkipState& st) {
  return "[{\"token\":\"+RID:~emu#RT:1#TRC:" + std::to_string(st.skip) +
         "#TOP:" + std::to_string(st.top) + "#FLT:" + (st.in_flight_only ? "1" : "0") +
         "\",\"range\":{\"min\":\"\",\"max\":\"FF\"}}]";
}

std::optional<SkipState> ParseSkipToken(const std::string& decoded) {
  auto number = [&](std::string_view tag, long long* out) {
    const auto at = decoded.find(tag);
    if (at == std::string::npos) return false;
    std::size_t pos = at + tag.size();
    const bool negative = pos < decoded.size() && decoded[pos] == '-';
    if (negative) ++pos;
    std::string digits;
    while (pos < decoded.size() && std::isdigit(static_cast<unsigned char>(decoded[pos]))) {
      digits += decoded[pos++];
    }
    if (!ParseCount(digits, out)) return false;
    if (negative) *out = -*out;
    return true;
  };
  SkipState st;
  long long flt = 0;
  if (!number("#TRC:", &st.skip) || !number("#TOP:", &st.top) || !number("#FLT:", &flt)) {
    return std::nullopt;
  }
  st.in_flight_only = flt == 1;
  return st;
}

// Percent-encodes all but letters, digits and "-_." (as the recorded token is: '~' is %7E).
std::string SkipTokenEncode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

std::string ServiceTimestamp(WallTime t, const TimestampForm& form) {
  using namespace std::chrono;
  const auto ticks =
      duration_cast<duration<std::int64_t, std::ratio<1, 10'000'000>>>(t.time_since_epoch())
          .count() +
      static_cast<std::int64_t>(form.offset_minutes) * 60 * 10'000'000;
  std::int64_t secs = ticks / 10'000'000;
  std::int64_t frac = ticks % 10'000'000;
  if (frac < 0) {
    frac += 10'000'000;
    --secs;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%07lld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  std::string out = buf;
  if (form.trim) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out + form.zone;
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  if (query.empty()) return out;
  for (const auto part : Split(query, '&')) {
    if (part.empty()) continue;
    const auto eq = part.find('=');
    const auto key = UrlDecode(part.substr(0, eq));
    const auto value =
        eq == std::string_view::npos ? std::string() : UrlDecode(part.substr(eq + 1));
    out.emplace(key, value);  // first occurrence wins
  }
  return out;
}

Model::Model(Scenario scenario, const Clock& clock, double time_scale)
    : scenario_(std::move(scenario)),
      clock_(clock),
      time_scale_(time_scale > 0 ? time_scale : 1.0),
      start_mono_(clock.Now()),
      start_wall_(clock.WallNow()) {
  ops_.reserve(scenario_.operations.size());
  for (const auto& spec : scenario_.operations) {
    index_.emplace(spec.id, ops_.size());
    OpState st;
    st.spec = spec;
    st.first_served.resize(spec.timeline.size());
    ops_.push_back(std::move(st));
  }
}

double Model::ScenarioNow() const {
  return std::chrono::duration<double>(clock_.Now() - start_mono_).count() * time_scale_;
}

WallTime Model::WallAt(double s) const {
  return start_wall_ + std::chrono::duration_cast<WallTime::duration>(
                           std::chrono::duration<double>(s / time_scale_));
}

Model::View Model::ViewAt(const OpState& op, double now) const {
  View v;
  const auto& tl = op.spec.timeline;
  const double t = now - op.spec.start;
  for (std::size_t i = 0; i < tl.size() && tl[i].at <= t; ++i) {
    v.exists = true;
    v.index = i;
  }
  if (!v.exists) return v;
  v.last_action = op.spec.start + tl[v.index].at;
  if (op.spec.churn > 0 && InFlight(tl[v.index].status)) {
    v.churn_step = static_cast<std::int64_t>(std::floor((t - tl[v.index].at) / op.spec.churn));
    v.last_action += static_cast<double>(v.churn_step) * op.spec.churn;
  }
  return v;
}

std::string Model::Etag(const OpState& op, const View& v) const {
  const std::uint64_t h = Fnv1a(op.spec.id);
  const std::uint64_t a = Mix(h ^ (v.index * 0x100000001b3ull));
  const std::uint64_t b = Mix(a ^ static_cast<std::uint64_t>(v.churn_step));
  // Appended piecewise: `"\"" + x + "\""` trips GCC 12's false -Wrestrict (PR 105329) at -O2.
  std::string etag = "\"";
  etag += Guid(a, b);
  etag += '"';
  return etag;
}

std::string Model::RenderOperation(const OpState& op, const View& v, const std::string& api_version,
                                   bool served) {
  const auto& spec = op.spec;
  const auto& status = spec.timeline[v.index].status;
  JsonWriter w;
  w.BeginObject();
  w.Field("operationId", spec.id).Field("status", status);
  if (spec.kind == OperationKind::kUpdate && status == "Succeeded") {
    w.Key("update").BeginObject().Key("updateId").BeginObject();
    w.Field("provider", spec.update.provider)
        .Field("name", spec.update.name)
        .Field("version", spec.update.version);
    w.EndObject().Field("description", "Imported by the Device Update emulator").EndObject();
    w.Field("resourceLocation", "/deviceUpdate/" + scenario_.instance_id + "/updates/providers/" +
                                    UrlEncode(spec.update.provider) + "/names/" +
                                    UrlEncode(spec.update.name) + "/versions/" +
                                    UrlEncode(spec.update.version) + "?api-version=" + api_version);
  }
  if (status == "Failed") {
    const ErrorSpec fallback{"OperationFailed", "The operation failed.", "", {}};
    const ErrorSpec& e = spec.error ? *spec.error : fallback;
    w.Key("error").BeginObject().Field("code", e.code).Field("message", e.message);
    if (!e.target.empty()) w.Field("target", e.target);
    // Error.innererror (the spec; the recorded service writes innerError), then
    // InnerError.innerError all the way down.
    for (std::size_t i = 0; i < e.inner_chain.size(); ++i) {
      const auto& level = e.inner_chain[i];
      w.Key(i == 0 ? std::string_view(scenario_.inner_error_key) : "innerError")
          .BeginObject()
          .Field("code", level.code);
      if (!level.message.empty()) w.Field("message", level.message);
      if (!level.error_detail.empty()) w.Field("errorDetail", level.error_detail);
    }
    for (std::size_t i = 0; i < e.inner_chain.size(); ++i) w.EndObject();
    w.Field("occurredDateTime", ServiceTimestamp(WallAt(v.last_action), scenario_.timestamps));
    w.EndObject();
  }
  w.Field("traceId", Hex(Mix(Fnv1a(spec.id)), 16) + Hex(Mix(Fnv1a(spec.id) + 7), 16));
  w.Field("lastActionDateTime", ServiceTimestamp(WallAt(v.last_action), scenario_.timestamps));
  w.Field("createdDateTime",
          ServiceTimestamp(WallAt(spec.start + spec.timeline.front().at), scenario_.timestamps));
  w.Field("etag", Etag(op, v));
  w.EndObject();
  if (served && !op.first_served[v.index]) {
    // First time this status reaches a client: the crash test compares this with what it stored.
    op.first_served[v.index] = clock_.WallNow();
  }
  return w.Take();
}

HttpResponse Model::NotFound(const std::string& what) const {
  if (scenario_.not_found_shape == NotFoundShape::kError) {
    return Json(404, ErrorBody("NotFound", what + " was not found."));
  }
  JsonWriter w;
  w.BeginObject()
      .Field("type", scenario_.problem_type)
      .Field("title", "Not Found")
      .Field("status", 404)
      .Field("traceId", TraceParent(Fnv1a(what) ^ static_cast<std::uint64_t>(
                                                      clock_.Now().time_since_epoch().count())))
      .EndObject();
  return Json(404, w.Take(), "application/problem+json; charset=utf-8");
}

bool Model::Admit(std::deque<MonoTime>& window, int limit, int* retry_after) {
  if (limit <= 0) return true;
  const auto now = clock_.Now();
  const auto horizon = std::chrono::seconds(60);
  while (!window.empty() && now - window.front() >= horizon) window.pop_front();
  if (static_cast<int>(window.size()) >= limit) {
    const double wait = std::chrono::duration<double>(window.front() + horizon - now).count();
    *retry_after = std::max(1, static_cast<int>(std::ceil(wait)));
    return false;
  }
  window.push_back(now);
  return true;
}

bool Model::BearerOk(const HttpRequest& req) {
  const std::string* auth = req.Header("Authorization");
  if (!auth || auth->size() < 7 ||
      !EqualsIgnoreCase(std::string_view(*auth).substr(0, 7), "Bearer ")) {
    return false;
  }
  const std::string token = auth->substr(7);
  const auto& fixed = scenario_.auth.tokens;
  if (std::find(fixed.begin(), fixed.end(), token) != fixed.end()) return true;
  const auto it = minted_.find(token);
  return it != minted_.end() && clock_.Now() < it->second;
}

std::string Model::MintToken() {
  ++token_serial_;
  const auto token = "emu." + Hex(Mix(token_serial_ ^ Fnv1a(scenario_.instance_id)), 16) + "." +
                     std::to_string(token_serial_);
  minted_[token] = clock_.Now() + std::chrono::seconds(scenario_.auth.token_lifetime);
  return token;
}

void Model::Record(const std::string& id, OperationKind kind, const HttpRequest& req, int status,
                   std::string_view fault) {
  auto& s = stats_[id];
  s.kind = KindText(kind);
  ++s.requests;
  const std::string* inm = req.Header("If-None-Match");
  if (inm) ++s.conditional;
  if (!fault.empty()) {
    ++s.faults;
    ++faults_;
  } else if (status == 200) {
    ++s.ok;
  } else if (status == 304) {
    ++s.not_modified;
  } else if (status == 404) {
    ++s.not_found;
  } else if (status == 429) {
    ++s.throttled;
  } else {
    ++s.other;
  }
  constexpr std::size_t kMaxRecords = 1000;
  if (s.records.size() >= kMaxRecords) {
    s.records.pop_front();
    ++s.dropped_records;
  }
  s.records.push_back({clock_.WallNow(), ScenarioNow(),
                       inm ? std::optional<std::string>(*inm) : std::nullopt, status,
                       std::string(fault)});
}

HttpResponse Model::Handle(const HttpRequest& req) {
  const std::string_view target(req.target);
  const auto qpos = target.find('?');
  const std::string_view path = target.substr(0, qpos);
  const auto query =
      ParseQuery(qpos == std::string_view::npos ? std::string_view() : target.substr(qpos + 1));

  if (path.starts_with("/_emulator/")) {
    if (path == "/_emulator/health") return Json(200, "{\"status\":\"ok\"}");
    if (path == "/_emulator/stats") {
      const auto it = query.find("operation");
      return Json(200, StatsJson(it == query.end() ? std::string_view() : it->second));
    }
    if (path == "/_emulator/timeline") return Json(200, TimelineJson());
    if (path == "/_emulator/reset-stats" && req.method == "POST") {
      ResetStats();
      return Json(200, "{}");
    }
    return Json(404, ErrorBody("NotFound", "No such emulator endpoint."));
  }

  std::lock_guard lock(mu_);
  ++total_requests_;
  if (path == "/metadata/identity/oauth2/token") return HandleImdsToken(req, query);
  {
    const auto parts = Split(path, '/');  // "", tenant, oauth2, v2.0, token
    if (parts.size() == 5 && parts[0].empty() && !parts[1].empty() && parts[2] == "oauth2" &&
        parts[3] == "v2.0" && parts[4] == "token") {
      return HandleAadToken(req, std::string(parts[1]));
    }
  }
  // /deviceupdate/{instance}/v2/...: the older path form of the recorded nextLinks.
  if (path.starts_with("/deviceUpdate/") || path.starts_with("/deviceupdate/")) {
    auto r = HandleDataPlane(req, path, query);
    if (scenario_.service_headers && !(r.status == 304 && scenario_.bare_304)) {
      AddServiceHeaders(r);
    }
    return r;
  }
  JsonWriter w;
  w.BeginObject()
      .Field("type", "https://tools.ietf.org/html/rfc7231#section-6.5.4")
      .Field("title", "Not Found")
      .Field("status", 404)
      .EndObject();
  return Json(404, w.Take(), "application/problem+json; charset=utf-8");
}

HttpResponse Model::HandleDataPlane(const HttpRequest& req, std::string_view path,
                                    const std::map<std::string, std::string>& query) {
  // "", deviceUpdate, instance, [v2,] collection, operations, [id]
  auto parts = Split(path, '/');
  const bool legacy = parts.size() >= 5 && parts[3] == "v2";
  if (legacy) parts.erase(parts.begin() + 3);
  if ((parts.size() != 5 && parts.size() != 6) || parts[4] != "operations" ||
      (parts[3] != "management" && parts[3] != "updates") ||
      (parts.size() == 6 && parts[5].empty())) {
    return NotFound("The resource");
  }
  if (req.method != "GET") {
    auto r = Json(405, ErrorBody("MethodNotAllowed", "Only GET is supported here."));
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  const OperationKind kind =
      parts[3] == "management" ? OperationKind::kDevice : OperationKind::kUpdate;
  if (scenario_.auth.bearer_required && !BearerOk(req)) {
    ++auth_failures_;
    auto r = Json(401, ErrorBody("Unauthorized", "Access token is missing, invalid or expired."));
    r.headers.emplace_back("WWW-Authenticate",
                           "Bearer authorization_uri=\"https://login.microsoftonline.com/common/"
                           "oauth2/authorize\", error=\"invalid_token\"");
    return r;
  }
  const auto av = query.find("api-version");
  std::string api_version;
  if (av != query.end() && !av->second.empty()) {
    api_version = av->second;
  } else if (legacy && av == query.end()) {
    api_version =
        "2022-10-01";  // the v2 path form predates api-version: a recorded nextLink has none
  } else {
    return Json(400, ErrorBody("MissingApiVersionParameter",
                               "The api-version query parameter (?api-version=) is required for "
                               "all requests."));
  }
  const auto& versions = scenario_.api_versions;
  if (!versions.empty() &&
      std::find(versions.begin(), versions.end(), api_version) == versions.end()) {
    return Json(400, ErrorBody("UnsupportedApiVersion",
                               "The HTTP resource does not support the api-version '" +
                                   api_version + "'."));
  }
  if (parts[2] != scenario_.instance_id) {
    return NotFound("Instance '" + std::string(parts[2]) + "'");
  }
  if (parts.size() == 6) return HandleGet(req, kind, UrlDecode(parts[5]), api_version);
  return HandleList(kind, query, api_version);
}

HttpResponse Model::HandleGet(const HttpRequest& req, OperationKind kind, const std::string& id,
                              const std::string& api_version) {
  const auto it = index_.find(id);
  OpState* op =
      it != index_.end() && ops_[it->second].spec.kind == kind ? &ops_[it->second] : nullptr;
  int request_number = 0;
  if (op) request_number = ++op->request_counter;

  int retry_after = 0;
  if (!Admit(get_window_, scenario_.get_per_minute, &retry_after)) {
    ++throttled_;
    Record(id, kind, req, 429, {});
    auto r = Json(429, ErrorBody("TooManyRequests", "Rate limit exceeded; retry later."));
    r.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return r;
  }

  const FaultSpec* fault = nullptr;
  if (op) {
    for (const auto& f : op->spec.faults) {
      if (f.Matches(request_number)) {
        fault = &f;
        break;
      }
    }
  }
  if (fault && fault->kind == FaultKind::kStatus) {
    auto r = Json(fault->status, ErrorBody("InjectedFault", "Fault injected by the emulator."));
    if (fault->retry_after)
      r.headers.emplace_back("Retry-After", std::to_string(*fault->retry_after));
    Record(id, kind, req, fault->status, "status");
    return r;
  }
  if (fault && fault->kind == FaultKind::kReset) {
    HttpResponse r;
    r.action = Action::kReset;
    Record(id, kind, req, 0, "reset");
    return r;
  }
  if (fault && fault->kind == FaultKind::kEmpty) {
    Record(id, kind, req, 200, "empty");
    return Json(200, "");
  }

  const View view = op ? ViewAt(*op, ScenarioNow()) : View{};
  if (!view.exists) {
    auto r = NotFound("Operation '" + id + "'");
    Record(id, kind, req, 404, fault ? FaultKindName(fault->kind) : std::string_view());
    if (fault) {
      // Misbehave on the 404 too, so a fault scheduled before the operation appears still shows.
      if (fault->kind == FaultKind::kTruncated) r.body.resize(r.body.size() / 2);
      if (fault->kind == FaultKind::kStall) {
        r.action = Action::kStall;
        r.stall_seconds = fault->seconds;
      }
      if (fault->kind == FaultKind::kTrickle) {
        r.action = Action::kTrickle;
        r.bytes_per_second = fault->bytes_per_second;
      }
    }
    return r;
  }

  const auto& status = op->spec.timeline[view.index].status;
  const std::string etag = Etag(*op, view);
  const bool in_flight = InFlight(status);
  const std::string* inm = req.Header("If-None-Match");
  const bool matches = inm && (*inm == etag || *inm == "*");
  const bool allow_304 = scenario_.not_modified && api_version != kNoNotModifiedVersion;
  if (matches && allow_304 && !fault) {
    HttpResponse r;
    r.status = 304;
    Record(id, kind, req, 304, {});
    if (scenario_.bare_304) return r;  // the recorded service: not even the ETag
    r.headers.emplace_back("ETag", etag);
    if (in_flight && scenario_.retry_after_on_304) {
      r.headers.emplace_back("Retry-After", std::to_string(scenario_.retry_after));
    }
    return r;
  }
  auto r = Json(200, RenderOperation(*op, view, api_version, fault == nullptr));
  if (scenario_.etag_header) r.headers.emplace_back("ETag", etag);
  if (in_flight) r.headers.emplace_back("Retry-After", std::to_string(scenario_.retry_after));
  if (!fault) {
    Record(id, kind, req, 200, {});
    return r;
  }
  Record(id, kind, req, 200, FaultKindName(fault->kind));
  switch (fault->kind) {
    case FaultKind::kTruncated:
      r.body.resize(r.body.size() / 2);
      break;
    case FaultKind::kStall:
      r.action = Action::kStall;
      r.stall_seconds = fault->seconds;
      break;
    case FaultKind::kTrickle:
      r.action = Action::kTrickle;
      r.bytes_per_second = fault->bytes_per_second;
      break;
    case FaultKind::kOversized: {
      // Still valid JSON, just enormous: the client must refuse it by size, not by parse error.
      const std::string head = ",\"padding\":\"";
      const std::size_t fixed = r.body.size() + head.size() + 1;
      const std::size_t pad = fault->bytes > fixed ? fault->bytes - fixed : 0;
      r.body.pop_back();
      r.body += head;
      r.body.append(pad, 'x');
      r.body += "\"}";
      break;
    }
    default:
      break;
  }
  return r;
}

HttpResponse Model::HandleList(OperationKind kind, const std::map<std::string, std::string>& query,
                               const std::string& api_version) {
  ++list_calls_;
  int retry_after = 0;
  if (!Admit(list_window_, scenario_.list_per_minute, &retry_after)) {
    ++throttled_;
    auto r = Json(429, ErrorBody("TooManyRequests", "Rate limit exceeded; retry later."));
    r.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return r;
  }
  bool in_flight_only = false;
  std::string filter_raw;
  auto filter = query.find("filter");
  if (filter == query.end()) filter = query.find("$filter");
  if (filter != query.end()) {
    filter_raw = filter->second;
    if (!EqualsIgnoreCase(CollapseSpaces(filter->second), kInFlightFilter)) {
      return Json(400, ErrorBody("BadRequest", "Invalid filter '" + filter->second +
                                                   "'. Only \"status eq 'NotStarted' or status "
                                                   "eq 'Running'\" is supported."));
    }
    in_flight_only = true;
  }
  long long top = -1, skip = 0;
  if (const auto t = query.find("top"); t != query.end() && !ParseCount(t->second, &top)) {
    return Json(400, ErrorBody("BadRequest", "Invalid top '" + t->second + "'."));
  }
  if (const auto s = query.find("skip"); s != query.end() && !ParseCount(s->second, &skip)) {
    return Json(400, ErrorBody("BadRequest", "Invalid skip '" + s->second + "'."));
  }
  if (const auto token = query.find("$skipToken"); token != query.end()) {
    const auto state = ParseSkipToken(token->second);
    if (!state) return Json(400, ErrorBody("BadRequest", "Invalid $skipToken."));
    skip = state->skip;
    top = state->top;
    in_flight_only = state->in_flight_only;
  }
  const double now = ScenarioNow();
  std::vector<std::pair<const OpState*, View>> matching;
  for (const auto& op : ops_) {
    if (op.spec.kind != kind) continue;
    const View v = ViewAt(op, now);
    if (!v.exists) continue;
    if (in_flight_only && !InFlight(op.spec.timeline[v.index].status)) continue;
    matching.emplace_back(&op, v);
  }
  const auto total = top >= 0 ? std::min<long long>(top, static_cast<long long>(matching.size()))
                              : static_cast<long long>(matching.size());
  const long long end = std::min<long long>(total, skip + scenario_.page_size);
  std::string body = "{\"value\":[";
  for (long long i = skip; i < end; ++i) {
    if (i > skip) body += ',';
    body += RenderOperation(*matching[static_cast<std::size_t>(i)].first,
                            matching[static_cast<std::size_t>(i)].second, api_version);
  }
  body += ']';
  if (end < total) {
    body += ",\"nextLink\":\"";
    JsonWriter::AppendEscaped(body,
                              NextLink(kind, api_version, in_flight_only, filter_raw, top, end));
    body += '"';
  }
  body += '}';
  return Json(200, std::move(body));
}

std::string Model::NextLink(OperationKind kind, const std::string& api_version, bool in_flight_only,
                            const std::string& filter_raw, long long top, long long end) const {
  const std::string collection = kind == OperationKind::kDevice ? "/management" : "/updates";
  if (scenario_.next_link_form == NextLinkForm::kLegacy) {
    // The recorded form: lower-case deviceupdate, /v2/, no api-version, $top = the page size and
    // the position in an opaque, percent-encoded JSON continuation token.
    return "/deviceupdate/" + scenario_.instance_id + "/v2" + collection +
           "/operations?$top=" + std::to_string(scenario_.page_size) +
           "&$skipToken=" + SkipTokenEncode(SkipToken({end, top, in_flight_only}));
  }
  std::string next = "/deviceUpdate/" + scenario_.instance_id + collection +
                     "/operations?api-version=" + UrlEncode(api_version);
  if (in_flight_only) next += "&filter=" + UrlEncode(filter_raw);
  if (top >= 0) next += "&top=" + std::to_string(top);
  next += "&skip=" + std::to_string(end);
  return next;
}

void Model::AddServiceHeaders(HttpResponse& r) {
  const std::uint64_t seed = Mix(static_cast<std::uint64_t>(total_requests_) ^ 0x5eed);
  r.headers.emplace_back("Cache-Control", "max-age=60, private");
  // Twice, as recorded: a client must not trip over a repeated header.
  r.headers.emplace_back("mise-correlation-id", Guid(Mix(seed), Mix(seed + 1)));
  r.headers.emplace_back("mise-correlation-id", Guid(Mix(seed + 2), Mix(seed + 3)));
  r.headers.emplace_back("traceparent", TraceParent(seed));
  r.headers.emplace_back("x-ms-correlation-request-id", Guid(Mix(seed + 4), Mix(seed + 5)));
}

namespace {

HttpResponse AadError(int status, std::string_view error, int code, const std::string& description,
                      WallTime now) {
  const std::string trace =
      Guid(Mix(static_cast<std::uint64_t>(code)), Mix(now.time_since_epoch().count()));
  const std::string corr = Guid(Mix(trace.size() + static_cast<std::uint64_t>(code)), Mix(code));
  std::string stamp = ServiceTimestamp(now);
  stamp = stamp.substr(0, 19) + "Z";
  JsonWriter w;
  w.BeginObject()
      .Field("error", error)
      .Field("error_description", "AADSTS" + std::to_string(code) + ": " + description +
                                      " Trace ID: " + trace + " Correlation ID: " + corr +
                                      " Timestamp: " + stamp)
      .Key("error_codes")
      .BeginArray()
      .Int(code)
      .EndArray()
      .Field("timestamp", stamp)
      .Field("trace_id", trace)
      .Field("correlation_id", corr)
      .Field("error_uri", "https://login.microsoftonline.com/error?code=" + std::to_string(code))
      .EndObject();
  return Json(status, w.Take());
}

}  // namespace

HttpResponse Model::HandleAadToken(const HttpRequest& req, const std::string& tenant) {
  ++token_requests_;
  const auto now = clock_.WallNow();
  if (req.method != "POST") {
    ++token_failures_;
    return AadError(
        405, "invalid_request", 900561,
        "The endpoint only accepts POST requests. Received a " + req.method + " request.", now);
  }
  const auto form = ParseQuery(req.body);
  auto field = [&](const char* name) -> const std::string* {
    const auto it = form.find(name);
    return it == form.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto missing = [&](const char* name) {
    ++token_failures_;
    return AadError(
        400, "invalid_request", 900144,
        std::string("The request body must contain the following parameter: '") + name + "'.", now);
  };
  const std::string* grant = field("grant_type");
  if (!grant) return missing("grant_type");
  if (*grant != "client_credentials") {
    ++token_failures_;
    return AadError(400, "unsupported_grant_type", 70003,
                    "The app requested an unsupported grant type '" + *grant + "'.", now);
  }
  const auto& clients = scenario_.auth.clients;
  const bool tenant_known = std::any_of(clients.begin(), clients.end(),
                                        [&](const auto& c) { return c.tenant == tenant; });
  if (!tenant_known) {
    ++token_failures_;
    return AadError(400, "invalid_request", 90002,
                    "Tenant '" + tenant +
                        "' not found. Check to make sure you have the correct "
                        "tenant ID and are signing into the correct cloud.",
                    now);
  }
  const std::string* client_id = field("client_id");
  if (!client_id) return missing("client_id");
  const auto client = std::find_if(clients.begin(), clients.end(), [&](const auto& c) {
    return c.tenant == tenant && c.client_id == *client_id;
  });
  if (client == clients.end()) {
    ++token_failures_;
    return AadError(400, "unauthorized_client", 700016,
                    "Application with identifier '" + *client_id +
                        "' was not found in the directory '" + tenant + "'.",
                    now);
  }
  const std::string* secret = field("client_secret");
  if (!secret) {
    ++token_failures_;
    return AadError(401, "invalid_client", 7000218,
                    "The request body must contain the following parameter: 'client_assertion' "
                    "or 'client_secret'.",
                    now);
  }
  if (*secret != client->client_secret) {
    ++token_failures_;
    return AadError(401, "invalid_client", 7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    "app '" +
                        *client_id + "'.",
                    now);
  }
  const std::string* scope = field("scope");
  if (!scope) return missing("scope");
  if (*scope != kScope) {
    ++token_failures_;
    if (!std::string_view(*scope).ends_with("/.default")) {
      return AadError(400, "invalid_scope", 1002012,
                      "The provided value for scope " + *scope +
                          " is not valid. Client credential flows must have a scope value with "
                          "/.default suffixed to the resource identifier (application ID URI).",
                      now);
    }
    return AadError(400, "invalid_resource", 500011,
                    "The resource principal named " + scope->substr(0, scope->size() - 9) +
                        " was not found in the tenant named " + tenant + ".",
                    now);
  }
  const int lifetime = scenario_.auth.token_lifetime;
  JsonWriter w;
  w.BeginObject()
      .Field("token_type", "Bearer")
      .Field("expires_in", lifetime)
      .Field("ext_expires_in", lifetime)
      .Field("access_token", MintToken())
      .EndObject();
  auto r = Json(200, w.Take());
  r.headers.emplace_back("Cache-Control", "no-store, no-cache");
  return r;
}

HttpResponse Model::HandleImdsToken(const HttpRequest& req,
                                    const std::map<std::string, std::string>& query) {
  ++token_requests_;
  auto fail = [&](std::string_view error, const std::string& description) {
    ++token_failures_;
    JsonWriter w;
    w.BeginObject().Field("error", error).Field("error_description", description).EndObject();
    return Json(400, w.Take());
  };
  if (req.method != "GET") return fail("invalid_request", "Only GET is supported");
  const std::string* metadata = req.Header("Metadata");
  if (!metadata || !EqualsIgnoreCase(*metadata, "true")) {
    return fail("invalid_request", "Required metadata header not specified");
  }
  const auto version = query.find("api-version");
  if (version == query.end() || version->second.empty()) {
    return fail("invalid_request", "Required query variable 'api-version' is missing");
  }
  if (!scenario_.auth.managed_identity) return fail("invalid_request", "Identity not found");
  const auto wanted = query.find("client_id");
  const auto& configured = scenario_.auth.managed_identity_client_id;
  if (wanted != query.end() && !configured.empty() && wanted->second != configured) {
    return fail("invalid_request", "Identity not found");
  }
  const auto resource = query.find("resource");
  if (resource == query.end() || resource->second.empty()) {
    return fail("invalid_request", "Required query variable 'resource' is missing");
  }
  if (resource->second != kResource && resource->second + "/" != kResource) {
    return fail("invalid_resource", "AADSTS500011: The resource principal named " +
                                        resource->second + " was not found in the tenant.");
  }
  const int lifetime = scenario_.auth.token_lifetime;
  const auto epoch =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.WallNow().time_since_epoch()).count();
  JsonWriter w;
  w.BeginObject()
      .Field("access_token", MintToken())
      .Field("client_id", configured.empty() ? "00000000-0000-0000-0000-000000000000" : configured)
      .Field("expires_in", std::to_string(lifetime))  // a string, as IMDS sends it
      .Field("expires_on", std::to_string(epoch + lifetime))
      .Field("ext_expires_in", std::to_string(lifetime))
      .Field("not_before", std::to_string(epoch))
      .Field("resource", kResource)
      .Field("token_type", "Bearer")
      .EndObject();
  return Json(200, w.Take());
}

void Model::BeginRequest() {
  const int now = ++in_progress_;
  int peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

void Model::EndRequest() { --in_progress_; }

std::string Model::StatsJson(std::string_view only) const {
  std::lock_guard lock(mu_);
  JsonWriter w;
  w.BeginObject();
  // The global counters appear twice: under "global" and, for brevity in tests, at top level.
  auto globals = [&] {
    w.Field("total_requests", total_requests_)
        .Field("throttled", throttled_)
        .Field("token_requests", token_requests_)
        .Field("token_failures", token_failures_)
        .Field("auth_failures", auth_failures_)
        .Field("list_calls", list_calls_)
        .Field("faults", faults_)
        .Field("peak_concurrent_requests", peak_.load());
  };
  globals();
  w.Key("scenario_time").Double(ScenarioNow());
  w.Key("global").BeginObject();
  globals();
  w.EndObject();
  w.Key("operations").BeginObject();
  for (const auto& [id, s] : stats_) {
    if (!only.empty() && id != only) continue;
    w.Key(id).BeginObject();
    w.Field("kind", s.kind)
        .Field("requests", s.requests)
        .Field("conditional_requests", s.conditional)
        .Field("ok", s.ok)
        .Field("not_modified", s.not_modified)
        .Field("not_found", s.not_found)
        .Field("throttled", s.throttled)
        .Field("faults", s.faults)
        .Field("other", s.other)
        .Field("dropped_records", s.dropped_records);
    w.Key("log").BeginArray();
    for (const auto& r : s.records) {
      w.BeginObject()
          .Field("time", ServiceTimestamp(r.time))
          .Key("scenario_time")
          .Double(r.scenario_time);
      w.Key("if_none_match");
      if (r.if_none_match) {
        w.String(*r.if_none_match);
      } else {
        w.Null();
      }
      w.Field("status", r.status);
      if (!r.fault.empty()) w.Field("fault", r.fault);
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

std::string Model::TimelineJson() const {
  std::lock_guard lock(mu_);
  const double now = ScenarioNow();
  struct Row {
    double at;
    const OpState* op;
    std::size_t index;
  };
  std::vector<Row> rows;
  for (const auto& op : ops_) {
    for (std::size_t i = 0; i < op.spec.timeline.size(); ++i) {
      const double at = op.spec.start + op.spec.timeline[i].at;
      if (at <= now) rows.push_back({at, &op, i});
    }
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.at < b.at; });
  JsonWriter w;
  w.BeginObject().Key("scenario_time").Double(now).Key("changes").BeginArray();
  for (const auto& r : rows) {
    w.BeginObject()
        .Field("operation_id", r.op->spec.id)
        .Field("kind", KindText(r.op->spec.kind))
        .Field("status", r.op->spec.timeline[r.index].status)
        .Key("scenario_time")
        .Double(r.at)
        .Field("effective_at", ServiceTimestamp(WallAt(r.at)));
    w.Key("first_served_at");
    if (const auto& served = r.op->first_served[r.index]) {
      w.String(ServiceTimestamp(*served));
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

void Model::ResetStats() {
  std::lock_guard lock(mu_);
  stats_.clear();
  total_requests_ = throttled_ = token_requests_ = token_failures_ = auth_failures_ = list_calls_ =
      faults_ = 0;
  peak_.store(in_progress_.load());
}

}  // namespace adu::emulator::detail
