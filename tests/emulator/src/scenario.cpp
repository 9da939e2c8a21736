// YAML -> Scenario. yaml-cpp throws; every exception is caught here and turned into a Result.
#include "adu/emulator/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace adu::emulator {

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kStatus:
      return "status";
    case FaultKind::kTruncated:
      return "truncated";
    case FaultKind::kEmpty:
      return "empty";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kStall:
      return "stall";
    case FaultKind::kTrickle:
      return "trickle";
    case FaultKind::kOversized:
      return "oversized";
  }
  return "unknown";
}

bool FaultSpec::Matches(int n) const {
  if (every > 0 && n % every == 0) return true;
  return request > 0 && n >= request && n < request + std::max(times, 1);
}

namespace {

// Thrown inside this file only; carries the node position.
struct SpecError {
  std::string message;
};

[[noreturn]] void Fail(const YAML::Node& node, const std::string& what) {
  const YAML::Mark m = node.Mark();
  throw SpecError{std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + what};
}

void CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed) {
  if (!map.IsMap()) Fail(map, "expected a mapping");
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (!allowed.count(key)) Fail(kv.first, "unknown key '" + key + "'");
  }
}

template <typename T>
T Get(const YAML::Node& node, const std::string& what) {
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    Fail(node, "invalid value for '" + what + "'");
  }
}

template <typename T>
void Opt(const YAML::Node& map, const char* key, T& out) {
  if (const auto n = map[key]; n && !n.IsNull()) out = Get<T>(n, key);
}

const std::set<std::string> kStatuses = {"NotStarted", "Running", "Succeeded", "Failed"};

OperationKind ParseKindNode(const YAML::Node& n) {
  const auto s = Get<std::string>(n, "kind");
  if (s == "device") return OperationKind::kDevice;
  if (s == "update") return OperationKind::kUpdate;
  Fail(n, "kind must be device or update");
}

ErrorSpec ParseError(const YAML::Node& n) {
  CheckKeys(n, {"code", "message", "target", "innererror"});
  ErrorSpec e;
  e.code = n["code"] ? Get<std::string>(n["code"], "code") : "Failed";
  e.message = n["message"] ? Get<std::string>(n["message"], "message") : "The operation failed.";
  Opt(n, "target", e.target);
  // innererror: {code, message, errorDetail, innerError: {...}}
  YAML::Node inner = n["innererror"];
  while (inner && !inner.IsNull()) {
    CheckKeys(inner, {"code", "message", "errorDetail", "innerError"});
    if (!inner["code"]) Fail(inner, "innererror needs a code");
    InnerErrorSpec level;
    level.code = Get<std::string>(inner["code"], "code");
    Opt(inner, "message", level.message);
    Opt(inner, "errorDetail", level.error_detail);
    e.inner_chain.push_back(std::move(level));
    inner = inner["innerError"];
  }
  return e;
}

FaultSpec ParseFault(const YAML::Node& n) {
  CheckKeys(n, {"request", "times", "every", "kind", "status", "retry_after", "seconds",
                "bytes_per_second", "bytes"});
  FaultSpec f;
  const auto kind = n["kind"] ? Get<std::string>(n["kind"], "kind") : std::string("status");
  static const std::pair<const char*, FaultKind> kKinds[] = {
      {"status", FaultKind::kStatus},      {"truncated", FaultKind::kTruncated},
      {"empty", FaultKind::kEmpty},        {"reset", FaultKind::kReset},
      {"stall", FaultKind::kStall},        {"trickle", FaultKind::kTrickle},
      {"oversized", FaultKind::kOversized}};
  bool found = false;
  for (const auto& [name, k] : kKinds) {
    if (kind == name) {
      f.kind = k;
      found = true;
    }
  }
  if (!found) Fail(n["kind"], "unknown fault kind '" + kind + "'");
  Opt(n, "request", f.request);
  Opt(n, "times", f.times);
  Opt(n, "every", f.every);
  Opt(n, "status", f.status);
  if (n["retry_after"]) f.retry_after = Get<int>(n["retry_after"], "retry_after");
  Opt(n, "seconds", f.seconds);
  Opt(n, "bytes_per_second", f.bytes_per_second);
  Opt(n, "bytes", f.bytes);
  if (f.request <= 0 && f.every <= 0) Fail(n, "a fault needs request: N or every: N");
  if (f.status < 100 || f.status > 599) Fail(n, "status must be 100..599");
  if (f.bytes_per_second <= 0) Fail(n, "bytes_per_second must be > 0");
  return f;
}

OperationSpec ParseOperation(const YAML::Node& n) {
  CheckKeys(n,
            {"id", "kind", "start", "appear_at", "timeline", "churn", "error", "update", "faults"});
  OperationSpec op;
  if (!n["id"]) Fail(n, "an operation needs an id");
  op.id = Get<std::string>(n["id"], "id");
  if (op.id.empty() || op.id.size() > 256) Fail(n["id"], "id must be 1 to 256 characters");
  if (op.id.find_first_of("/?#% ") != std::string::npos) Fail(n["id"], "id has URL characters");
  if (n["kind"]) op.kind = ParseKindNode(n["kind"]);
  Opt(n, "start", op.start);
  if (const auto a = n["appear_at"]) {
    // The second the operation appears (its createdDateTime); the timeline is relative to it.
    if (n["start"]) Fail(a, "appear_at and start are the same thing: give one");
    op.start = Get<double>(a, "appear_at");
  }
  Opt(n, "churn", op.churn);
  const auto tl = n["timeline"];
  if (!tl || !tl.IsSequence() || tl.size() == 0) Fail(n, "an operation needs a timeline list");
  for (const auto& e : tl) {
    CheckKeys(e, {"at", "status"});
    TimelineEntry entry;
    Opt(e, "at", entry.at);
    if (!e["status"]) Fail(e, "timeline entry needs a status");
    entry.status = Get<std::string>(e["status"], "status");
    if (!kStatuses.count(entry.status)) {
      // Model-as-string in the service: other statuses are allowed but worth a warning in docs.
      if (entry.status.empty()) Fail(e["status"], "empty status");
    }
    if (!op.timeline.empty() && entry.at < op.timeline.back().at) {
      Fail(e, "timeline must be sorted by at");
    }
    op.timeline.push_back(std::move(entry));
  }
  if (n["error"]) op.error = ParseError(n["error"]);
  if (const auto u = n["update"]) {
    CheckKeys(u, {"provider", "name", "version"});
    Opt(u, "provider", op.update.provider);
    Opt(u, "name", op.update.name);
    Opt(u, "version", op.update.version);
  }
  if (const auto faults = n["faults"]) {
    if (!faults.IsSequence()) Fail(faults, "faults must be a list");
    for (const auto& f : faults) op.faults.push_back(ParseFault(f));
  }
  return op;
}

// Bulk operations for benchmarks: deterministic for a given seed.
void Generate(const YAML::Node& n, std::vector<OperationSpec>& out) {
  CheckKeys(n, {"count", "kind", "prefix", "changing_fraction", "duration", "seed", "churn",
                "appear_at", "appear_every", "status"});
  int count = 0;
  Opt(n, "count", count);
  if (count < 0 || count > 1'000'000) Fail(n, "count must be 0..1000000");
  OperationKind kind = n["kind"] ? ParseKindNode(n["kind"]) : OperationKind::kDevice;
  std::string prefix;
  double fraction = 0, duration = 60, churn = 0;
  unsigned seed = 1;
  Opt(n, "prefix", prefix);
  Opt(n, "changing_fraction", fraction);
  Opt(n, "duration", duration);
  Opt(n, "seed", seed);
  Opt(n, "churn", churn);
  // The i-th operation appears at appear_at + i * appear_every (negative: created before the
  // emulator started, e.g. days ago); `status` gives every one that status from the start.
  double appear_at = 0, appear_every = 0;
  std::string fixed_status;
  Opt(n, "appear_at", appear_at);
  Opt(n, "appear_every", appear_every);
  Opt(n, "status", fixed_status);
  if (appear_every < 0) Fail(n["appear_every"], "appear_every must be >= 0");
  if (n["status"] && fixed_status.empty()) Fail(n["status"], "empty status");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < count; ++i) {
    OperationSpec op;
    op.kind = kind;
    op.churn = churn;
    if (prefix.empty()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", seed, static_cast<unsigned>(i));
      op.id = buf;
    } else {
      op.id = prefix + "-" + std::to_string(i);
    }
    op.start = appear_at + appear_every * i;
    if (!fixed_status.empty()) {
      op.timeline = {{0, fixed_status}};
    } else if (unit(rng) < fraction) {
      const double running = unit(rng) * duration / 2;
      const double done = running + unit(rng) * (duration - running);
      op.timeline = {{0, "NotStarted"}, {running, "Running"}};
      op.timeline.push_back({done, unit(rng) < 0.8 ? "Succeeded" : "Failed"});
    } else {
      op.timeline = {{0, "Running"}};
    }
    out.push_back(std::move(op));
  }
}

// "Z" or "+hh:mm" / "-hh:mm".
int ZoneOffsetMinutes(const YAML::Node& n, const std::string& zone) {
  if (zone == "Z") return 0;
  const bool shape = zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' &&
                     std::isdigit(static_cast<unsigned char>(zone[1])) &&
                     std::isdigit(static_cast<unsigned char>(zone[2])) &&
                     std::isdigit(static_cast<unsigned char>(zone[4])) &&
                     std::isdigit(static_cast<unsigned char>(zone[5]));
  if (!shape) Fail(n, "timestamps zone must be Z or +hh:mm / -hh:mm");
  const int hours = std::stoi(zone.substr(1, 2));
  const int minutes = std::stoi(zone.substr(4, 2));
  if (hours > 23 || minutes > 59) Fail(n, "timestamps zone out of range");
  return (zone[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
}

// `profile: recorded`: every answer form as the public recordings show it.
void ApplyRecordedProfile(Scenario& s) {
  s.timestamps.zone = "Z";
  s.timestamps.trim = true;
  s.inner_error_key = "innerError";
  s.etag_header = false;
  s.bare_304 = true;
  s.next_link_form = NextLinkForm::kLegacy;
  s.page_size = 100;
  s.problem_type = std::string(kProblemType9110);
  s.service_headers = true;
}

void ParseAnswerForms(const YAML::Node& root, Scenario& s) {
  if (const auto p = root["profile"]) {
    const auto v = Get<std::string>(p, "profile");
    if (v == "recorded") {
      ApplyRecordedProfile(s);
    } else if (v != "spec") {
      Fail(p, "profile must be spec or recorded");
    }
  }
  if (const auto t = root["timestamps"]) {
    CheckKeys(t, {"zone", "trim"});
    Opt(t, "zone", s.timestamps.zone);
    Opt(t, "trim", s.timestamps.trim);
  }
  s.timestamps.offset_minutes = ZoneOffsetMinutes(root["timestamps"], s.timestamps.zone);
  Opt(root, "inner_error_key", s.inner_error_key);
  if (s.inner_error_key != "innererror" && s.inner_error_key != "innerError") {
    Fail(root["inner_error_key"], "inner_error_key must be innererror or innerError");
  }
  Opt(root, "etag_header", s.etag_header);
  Opt(root, "bare_304", s.bare_304);
  if (const auto n = root["next_link"]) {
    const auto v = Get<std::string>(n, "next_link");
    if (v == "current") {
      s.next_link_form = NextLinkForm::kCurrent;
    } else if (v == "legacy") {
      s.next_link_form = NextLinkForm::kLegacy;
    } else {
      Fail(n, "next_link must be current or legacy");
    }
  }
  Opt(root, "problem_type", s.problem_type);
  Opt(root, "service_headers", s.service_headers);
}

Scenario ParseRoot(const YAML::Node& root) {
  Scenario s;
  if (!root || root.IsNull()) return s;
  CheckKeys(root, {"instance_id", "api_versions", "not_modified", "not_found_shape", "limits",
                   "retry_after", "retry_after_on_304", "page_size", "auth", "operations",
                   "generate", "profile", "timestamps", "inner_error_key", "etag_header",
                   "bare_304", "next_link", "problem_type", "service_headers"});
  ParseAnswerForms(root, s);
  Opt(root, "instance_id", s.instance_id);
  if (root["api_versions"])
    s.api_versions = Get<std::vector<std::string>>(root["api_versions"], "api_versions");
  Opt(root, "not_modified", s.not_modified);
  if (const auto n = root["not_found_shape"]) {
    const auto v = Get<std::string>(n, "not_found_shape");
    if (v == "problem") {
      s.not_found_shape = NotFoundShape::kProblem;
    } else if (v == "error") {
      s.not_found_shape = NotFoundShape::kError;
    } else {
      Fail(n, "not_found_shape must be problem or error");
    }
  }
  if (const auto l = root["limits"]) {
    CheckKeys(l, {"get_per_minute", "list_per_minute"});
    Opt(l, "get_per_minute", s.get_per_minute);
    Opt(l, "list_per_minute", s.list_per_minute);
  }
  Opt(root, "retry_after", s.retry_after);
  Opt(root, "retry_after_on_304", s.retry_after_on_304);
  Opt(root, "page_size", s.page_size);
  if (s.page_size <= 0) Fail(root["page_size"], "page_size must be > 0");
  if (const auto a = root["auth"]) {
    CheckKeys(a, {"mode", "tokens", "clients", "managed_identity", "token_lifetime"});
    if (const auto m = a["mode"]) {
      const auto v = Get<std::string>(m, "mode");
      if (v != "none" && v != "bearer") Fail(m, "auth mode must be none or bearer");
      s.auth.bearer_required = v == "bearer";
    }
    if (a["tokens"]) s.auth.tokens = Get<std::vector<std::string>>(a["tokens"], "tokens");
    if (const auto cs = a["clients"]) {
      if (!cs.IsSequence()) Fail(cs, "clients must be a list");
      for (const auto& c : cs) {
        CheckKeys(c, {"tenant", "client_id", "client_secret"});
        ClientCredentialSpec cred;
        Opt(c, "tenant", cred.tenant);
        Opt(c, "client_id", cred.client_id);
        Opt(c, "client_secret", cred.client_secret);
        if (cred.tenant.empty() || cred.client_id.empty())
          Fail(c, "a client needs tenant and client_id");
        s.auth.clients.push_back(std::move(cred));
      }
    }
    if (const auto mi = a["managed_identity"]) {
      CheckKeys(mi, {"enabled", "client_id"});
      s.auth.managed_identity = true;
      Opt(mi, "enabled", s.auth.managed_identity);
      Opt(mi, "client_id", s.auth.managed_identity_client_id);
    }
    Opt(a, "token_lifetime", s.auth.token_lifetime);
  }
  std::set<std::string> ids;
  auto add = [&](OperationSpec op, const YAML::Node& where) {
    if (!ids.insert(op.id).second) Fail(where, "duplicate operation id '" + op.id + "'");
    s.operations.push_back(std::move(op));
  };
  if (const auto ops = root["operations"]) {
    if (!ops.IsSequence()) Fail(ops, "operations must be a list");
    for (const auto& o : ops) add(ParseOperation(o), o);
  }
  if (const auto g = root["generate"]) {
    std::vector<OperationSpec> generated;
    if (g.IsSequence()) {
      for (const auto& item : g) Generate(item, generated);
    } else {
      Generate(g, generated);
    }
    for (auto& op : generated) add(std::move(op), g);
  }
  return s;
}

}  // namespace

Result<Scenario> ParseScenario(std::string_view yaml, std::string_view source) {
  try {
    return ParseRoot(YAML::Load(std::string(yaml)));
  } catch (const SpecError& e) {
    return Status::Error(std::string(source) + ":" + e.message);
  } catch (const YAML::Exception& e) {
    return Status::Error(std::string(source) + ":" + std::to_string(e.mark.line + 1) + ":" +
                         std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::Error("cannot read scenario file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return ParseScenario(text.str(), path);
}

}  // namespace adu::emulator
