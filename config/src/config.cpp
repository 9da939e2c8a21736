// LoadConfig and friends: the schema of adu-opwatch's configuration, walked with MapReader.
#include "adu/config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "files.h"
#include "notify.h"
#include "schema.h"
#include "text.h"
#include "url.h"

namespace adu::config {
namespace {

using namespace std::chrono_literals;
using internal::Diagnostics;
using internal::MapReader;
using internal::Need;
using internal::Quote;
using internal::Resolve;

constexpr std::array<std::string_view, 4> kAuthMethodNames = {"none", "token_file", "client_secret",
                                                              "managed_identity"};
constexpr std::array<std::string_view, 3> kUseListNames = {"auto", "always", "never"};
constexpr std::array<std::string_view, 2> kHttpTransportNames = {"cpprest", "curl"};
constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> kKindNames = {"device", "update"};

// Every key of the schema, for "did you mean" hints about a key written at the wrong level.
constexpr std::array<std::string_view, 39> kAllPaths = {
    "endpoint",
    "instance_id",
    "api_version",
    "auth",
    "auth.method",
    "auth.tenant_id",
    "auth.client_id",
    "auth.client_secret_file",
    "auth.authority_host",
    "auth.token_file",
    "auth.identity_endpoint",
    "poll",
    "poll.interval",
    "poll.request_timeout",
    "poll.backoff_max",
    "poll.max_concurrency",
    "poll.requests_per_minute",
    "poll.list_requests_per_minute",
    "poll.stop_on_terminal",
    "poll.use_list",
    "storage",
    "storage.retention",
    "storage.max_errors_per_operation",
    "http",
    "http.transport",
    "metrics",
    "metrics.listen",
    "metrics.textfile",
    "database",
    "log_level",
    "watch",
    "watch_file",
    "notify",
    "notify_retry_for",
    "discover",
    "discover.kinds",
    "discover.interval",
    "discover.resync",
    "discover.max_age",
};

// Bounds that catch unit mistakes ("30ms" meant as "30s") without constraining real use.
constexpr Duration kMinInterval = 100ms;
constexpr Duration kMaxInterval = std::chrono::hours(24 * 7);
constexpr Duration kMinTimeout = 100ms;
constexpr Duration kMaxTimeout = 10min;
constexpr Duration kMinBackoff = 100ms;
constexpr Duration kMaxBackoff = 24h;
constexpr Duration kMinRetention = 1s;
constexpr Duration kMaxRetention = std::chrono::hours(24 * 36500);
constexpr int kMaxConcurrency = 256;
constexpr int kNoMax = 2147483647;
constexpr size_t kMaxIdLength = 256;
// discover: resync below a minute would spend the list budget on unfiltered passes; max_age
// beyond 7d is pointless (the service lists completed operations for 7 days only).
constexpr Duration kMinDiscoverInterval = 10s;
constexpr Duration kMaxDiscoverInterval = 1h;
constexpr Duration kMinResync = 1min;
constexpr Duration kMaxResync = std::chrono::hours(24 * 7);
constexpr Duration kMinMaxAge = 1min;
constexpr Duration kMaxMaxAge = std::chrono::hours(24 * 7);

// The watch list with where each entry was written, for messages.
struct WatchItems {
  std::vector<WatchEntry> entries;
  std::vector<YAML::Mark> marks;
};

// ^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$, explained. `what` names the thing for the message.
Status CheckIdentifier(std::string_view text, std::string_view what) {
  const auto bad = [&](const std::string& why) {
    std::string shown(text.substr(0, 64));
    if (text.size() > 64) shown += "...";
    return Status::Error(Quote(shown) + " is not a valid " + std::string(what) + ": " + why);
  };
  if (text.empty()) return Status::Error("an empty " + std::string(what) + " is not valid");
  if (text.size() > kMaxIdLength) {
    return bad("too long (" + std::to_string(text.size()) + " characters, at most " +
               std::to_string(kMaxIdLength) + ")");
  }
  const auto alnum = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!alnum(text.front())) {
    return bad("it must start with a letter or a digit, not " + Quote(text.substr(0, 1)));
  }
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (!alnum(c) && c != '.' && c != '_' && c != '-') {
      return bad("illegal character " + Quote(text.substr(i, 1)) + " at position " +
                 std::to_string(i + 1) + R"( (allowed: letters, digits, ".", "_", "-"))");
    }
  }
  return Status::Ok();
}

std::string DuplicateMessage(const OperationKey& key, const std::string& first,
                             const std::string& second) {
  return "operation ID " + Quote(key.id) + " (" + std::string(KindName(key.kind)) +
         ") is listed twice: at " + first + " and at " + second;
}

// Records where each document starts, nothing else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// yaml-cpp 0.7's LoadAll() never returns (and allocates without bound) on some invalid input,
// e.g. a document starting with "," (jbeder/yaml-cpp#1040, fixed upstream by #1319; found by the
// config fuzz target). The parser then reports document after document at the same position, so
// one cheap pass that stops there tells whether LoadAll() would terminate.
bool ParserStalls(const std::string& content, Diagnostics& diag) {
  std::istringstream in(content);
  YAML::Parser parser(in);
  DocumentStarts docs;
  while (parser.HandleNextDocument(docs)) {
    const size_t n = docs.starts.size();
    if (n >= 2 && docs.starts[n - 1].pos == docs.starts[n - 2].pos) {
      diag.Add(docs.starts[n - 1], "", "YAML syntax error: unexpected character");
      return true;
    }
  }
  return false;
}

// Parses one YAML document. False when it is not valid YAML (reported); `out` stays undefined
// when the text holds no document at all.
bool ParseDocument(const std::string& content, Diagnostics& diag, YAML::Node& out) {
  std::vector<YAML::Node> docs;
  try {
    if (ParserStalls(content, diag)) return false;
    docs = YAML::LoadAll(content);
  } catch (const YAML::ParserException& e) {
    diag.Add(e.mark, "", "YAML syntax error: " + e.msg);
    return false;
  } catch (const YAML::Exception& e) {
    diag.Add(e.mark, "", "YAML error: " + e.msg);
    return false;
  }
  if (docs.size() > 1) {
    diag.Add(docs[1].Mark(), "", "a second YAML document (---): the file must hold exactly one");
    return false;
  }
  if (!docs.empty()) out = docs.front();
  return true;
}

// How a watch list is read: which list it is and the service its Operation-Locations must name.
struct WatchListContext {
  std::string path;  // "watch"
  OperationOrigin source = OperationOrigin::kConfig;
  const WatchListTarget* target = nullptr;  // nullptr: Operation-Locations cannot be checked
};

// The key an item's text names: an operation ID, or the kind and ID of an Operation-Location.
// `kind` is the item's own `kind:` (the map form), when it has one.
std::optional<OperationKey> ReadWatchKey(Diagnostics& diag, const WatchListContext& ctx,
                                         const std::string& text, const YAML::Mark& mark,
                                         const std::string& path,
                                         std::optional<OperationKind> kind) {
  if (!IsOperationLocation(text)) {
    if (Status s = ValidateOperationId(text); !s) {
      diag.Add(mark, path, s.message());
      return std::nullopt;
    }
    return OperationKey{kind.value_or(OperationKind::kDevice), text};
  }
  auto key = ParseOperationLocation(text, ctx.target ? *ctx.target : WatchListTarget{});
  if (!key) {
    diag.Add(mark, path, key.error());
    return std::nullopt;
  }
  return *key;
}

// One item of a watch list: a plain string (an ID or an Operation-Location) or a map.
std::optional<WatchEntry> ReadWatchItem(Diagnostics& diag, const WatchListContext& ctx,
                                        const YAML::Node& list, const YAML::Node& item,
                                        const std::string& item_path) {
  WatchEntry entry;
  entry.source = ctx.source;
  entry.origin = diag.Origin(item.Mark());
  if (item.IsScalar()) {
    auto key = ReadWatchKey(diag, ctx, item.Scalar(), item.Mark(), item_path, std::nullopt);
    if (!key) return std::nullopt;
    entry.key = std::move(*key);
    return entry;
  }
  if (!item.IsMap()) {
    // yaml-cpp places an empty item at the next token (often the next line): point at the
    // list instead; the index in the key path says which item.
    diag.Add(item.IsNull() ? list.Mark() : item.Mark(), item_path,
             "expected an operation ID or a map with id, kind and interval, found " +
                 std::string(internal::NodeKind(item)));
    return std::nullopt;
  }
  MapReader r(diag, item, item.Mark(), item_path, {"id", "kind", "interval"});
  auto id = r.String("id", Need::kRequired);
  std::optional<OperationKind> kind;
  if (auto i = r.Choice("kind", kKindNames)) kind = OperationKind(*i);
  entry.interval = r.Dur("interval", kMinInterval, kMaxInterval);
  if (!id) return std::nullopt;
  auto key = ReadWatchKey(diag, ctx, *id, r.MarkOf("id"), r.PathOf("id"), kind);
  if (!key) return std::nullopt;
  if (kind && *kind != key->kind) {
    r.Error("kind", std::string(KindName(*kind)) + ", but the Operation-Location in id names " +
                        (key->kind == OperationKind::kUpdate ? "an update" : "a device") +
                        " operation");
    return std::nullopt;
  }
  entry.key = std::move(*key);
  return entry;
}

void ReadWatchList(Diagnostics& diag, const YAML::Node& list, const WatchListContext& ctx,
                   WatchItems& out) {
  if (!list.IsDefined() || list.IsNull()) return;  // empty: valid, the daemon idles
  if (!list.IsSequence()) {
    diag.Add(list.Mark(), ctx.path,
             "expected a list of operation IDs, found " + std::string(internal::NodeKind(list)));
    return;
  }
  std::map<OperationKey, size_t> seen;
  size_t index = 0;
  for (const YAML::Node& item : list) {
    const std::string item_path = ctx.path + "[" + std::to_string(index++) + "]";
    auto entry = ReadWatchItem(diag, ctx, list, item, item_path);
    if (!entry) continue;
    if (auto it = seen.find(entry->key); it != seen.end()) {
      diag.Add(item.Mark(), item_path,
               DuplicateMessage(entry->key, out.entries[it->second].origin, entry->origin));
      continue;
    }
    seen.emplace(entry->key, out.entries.size());
    out.entries.push_back(std::move(*entry));
    out.marks.push_back(item.Mark());
  }
}

// Both IDs end up in URLs and request bodies: the identifier rule keeps them inert.
void ReadIdentifier(const MapReader& a, std::string_view key, std::string_view what,
                    std::string& out) {
  auto v = a.String(key);
  if (!v) return;
  if (Status s = CheckIdentifier(*v, what); s)
    out = *v;
  else
    a.Error(key, s.message());
}

// Every key of auth:, each checked on its own (whatever the method).
void ReadAuthKeys(const MapReader& a, const std::filesystem::path& base_dir, AuthConfig& auth) {
  ReadIdentifier(a, "tenant_id", "tenant ID", auth.tenant_id);
  ReadIdentifier(a, "client_id", "client ID", auth.client_id);
  if (auto v = a.String("client_secret_file")) auth.client_secret_file = Resolve(base_dir, *v);
  if (auto v = a.String("authority_host")) {
    if (auto url = internal::NormalizeBaseUrl(*v))
      auth.authority_host = *url;
    else
      a.Error("authority_host", url.error());
  }
  if (auto v = a.String("token_file")) auth.token_file = Resolve(base_dir, *v);
  if (auto v = a.String("identity_endpoint")) {
    if (auto url = internal::NormalizeIdentityEndpoint(*v))
      auth.identity_endpoint = *url;
    else
      a.Error("identity_endpoint", url.error());
  }
}

// The keys that auth.method needs.
void RequireKeysOfMethod(const MapReader& a, AuthMethod method) {
  const auto require = [&](std::string_view key) {
    if (!a.Has(key)) {
      a.Error(key, "required key is missing (auth.method " + std::string(AuthMethodName(method)) +
                       " needs it)");
    }
  };
  switch (method) {
    case AuthMethod::kClientSecret:
      require("tenant_id");
      require("client_id");
      break;
    case AuthMethod::kTokenFile:
      require("token_file");
      break;
    case AuthMethod::kNone:
    case AuthMethod::kManagedIdentity:
      break;
  }
}

void ReadAuth(const MapReader& top, Diagnostics& diag, const std::filesystem::path& base_dir,
              AuthConfig& auth) {
  if (!top.Has("auth")) {
    top.Error("auth", "required key is missing (add auth: with a method: " +
                          internal::JoinChoices(kAuthMethodNames) + ")");
    return;
  }
  MapReader a(diag, top.Get("auth"), top.MarkOf("auth"), "auth",
              {"method", "tenant_id", "client_id", "client_secret_file", "authority_host",
               "token_file", "identity_endpoint"});
  const auto method = a.Choice("method", kAuthMethodNames, Need::kRequired);
  if (method) auth.method = AuthMethod(*method);
  ReadAuthKeys(a, base_dir, auth);
  if (method && a.valid()) RequireKeysOfMethod(a, auth.method);
}

void ReadPoll(const MapReader& top, Diagnostics& diag, PollConfig& poll) {
  MapReader p(diag, top.Get("poll"), top.MarkOf("poll"), "poll",
              {"interval", "request_timeout", "backoff_max", "max_concurrency",
               "requests_per_minute", "list_requests_per_minute", "stop_on_terminal", "use_list"});
  p.Dur("interval", poll.interval, kMinInterval, kMaxInterval);
  p.Dur("request_timeout", poll.request_timeout, kMinTimeout, kMaxTimeout);
  p.Dur("backoff_max", poll.backoff_max, kMinBackoff, kMaxBackoff);
  p.Int("max_concurrency", poll.max_concurrency, 1, kMaxConcurrency);
  p.Int("requests_per_minute", poll.requests_per_minute, 1, kNoMax);
  p.Int("list_requests_per_minute", poll.list_requests_per_minute, 1, kNoMax);
  p.Bool("stop_on_terminal", poll.stop_on_terminal);
  if (auto i = p.Choice("use_list", kUseListNames)) poll.use_list = UseList(*i);
}

void ReadStorage(const MapReader& top, Diagnostics& diag, StorageConfig& storage) {
  MapReader s(diag, top.Get("storage"), top.MarkOf("storage"), "storage",
              {"retention", "max_errors_per_operation"});
  const YAML::Node retention = s.Get("retention");
  if (retention.IsScalar() && retention.Scalar() == "forever") {
    storage.retention.reset();
  } else {
    storage.retention = s.Dur("retention", kMinRetention, kMaxRetention);
  }
  s.Int("max_errors_per_operation", storage.max_errors_per_operation, 1, kNoMax);
}

void ReadHttp(const MapReader& top, Diagnostics& diag, HttpConfig& http) {
  MapReader h(diag, top.Get("http"), top.MarkOf("http"), "http", {"transport"});
  if (auto i = h.Choice("transport", kHttpTransportNames)) http.transport = HttpTransport(*i);
}

// "file:line:col" of a key's value, for errors the daemon finds when it applies the setting.
std::string PositionOf(const Diagnostics& diag, const YAML::Mark& mark) {
  return diag.file() + ":" + std::to_string(mark.line < 0 ? 1 : mark.line + 1) + ":" +
         std::to_string(mark.column < 0 ? 1 : mark.column + 1);
}

void ReadMetrics(const MapReader& top, Diagnostics& diag, const std::filesystem::path& base_dir,
                 MetricsConfig& metrics) {
  MapReader m(diag, top.Get("metrics"), top.MarkOf("metrics"), "metrics", {"listen", "textfile"});
  if (auto v = m.String("listen")) {
    if (auto listen = ParseListenAddress(*v)) {
      metrics.listen = *listen;
      metrics.listen_origin = PositionOf(diag, m.MarkOf("listen"));
    } else {
      m.Error("listen", listen.error());
    }
  }
  if (auto v = m.String("textfile")) {
    // node_exporter's textfile collector reads only *.prom files: any other name would be
    // written and never collected.
    const std::string name = std::filesystem::path(*v).filename().string();
    if (name.size() <= 5 || !name.ends_with(".prom")) {
      m.Error("textfile", Quote(*v) +
                              ": the file name must end in .prom (node_exporter's textfile "
                              "collector reads only those)");
    } else {
      metrics.textfile = Resolve(base_dir, *v);
      metrics.textfile_origin = PositionOf(diag, m.MarkOf("textfile"));
    }
  }
}

// discover.kinds: a list of distinct kinds; [] (or no list) leaves discovery off.
void ReadDiscoverKinds(const MapReader& d, Diagnostics& diag, std::vector<OperationKind>& kinds) {
  const YAML::Node list = d.Get("kinds");
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    d.Error("kinds", "expected a list of kinds such as [device, update], found " +
                         std::string(internal::NodeKind(list)));
    return;
  }
  std::map<OperationKind, size_t> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node item = list[i];
    const std::string path = d.PathOf("kinds") + "[" + std::to_string(i) + "]";
    // An empty item has no position of its own: point at the list.
    const YAML::Mark mark = item.IsNull() ? list.Mark() : item.Mark();
    if (!item.IsScalar()) {
      diag.Add(mark, path,
               "expected one of " + internal::JoinChoices(kKindNames) + ", found " +
                   std::string(internal::NodeKind(item)));
      continue;
    }
    const auto kind = ParseKind(item.Scalar());
    if (!kind) {
      diag.Add(mark, path, internal::NotAChoiceMessage(item.Scalar(), kKindNames));
      continue;
    }
    if (auto it = seen.find(*kind); it != seen.end()) {
      diag.Add(mark, path,
               Quote(item.Scalar()) + " is listed twice (already " + d.PathOf("kinds") + "[" +
                   std::to_string(it->second) + "])");
      continue;
    }
    seen.emplace(*kind, i);
    kinds.push_back(*kind);
  }
}

void ReadDiscover(const MapReader& top, Diagnostics& diag, DiscoverConfig& discover) {
  if (!top.Has("discover")) return;
  discover.origin = diag.Origin(top.KeyMarkOf("discover"));
  MapReader d(diag, top.Get("discover"), top.MarkOf("discover"), "discover",
              {"kinds", "interval", "resync", "max_age"});
  if (!d.valid()) return;
  ReadDiscoverKinds(d, diag, discover.kinds);
  d.Dur("interval", discover.interval, kMinDiscoverInterval, kMaxDiscoverInterval);
  const YAML::Node resync = d.Get("resync");
  if (resync.IsScalar() && resync.Scalar() == "off") {
    discover.resync.reset();
  } else if (auto r = d.Dur("resync", kMinResync, kMaxResync)) {
    discover.resync = *r;
  }
  d.Dur("max_age", discover.max_age, kMinMaxAge, kMaxMaxAge);
}

void ReadConfig(Diagnostics& diag, const YAML::Node& root, const std::filesystem::path& base_dir,
                Config& cfg, WatchItems& watch) {
  MapReader top(
      diag, root, root.Mark(), "",
      {"endpoint", "instance_id", "api_version", "auth", "poll", "storage", "http", "metrics",
       "database", "log_level", "watch", "watch_file", "discover", "notify", "notify_retry_for"});
  if (!top.valid()) return;
  if (auto v = top.String("endpoint", Need::kRequired)) {
    if (auto url = internal::NormalizeBaseUrl(*v))
      cfg.endpoint = *url;
    else
      top.Error("endpoint", url.error());
  }
  if (auto v = top.String("instance_id", Need::kRequired)) {
    // It becomes a path segment of every request.
    if (Status s = CheckIdentifier(*v, "instance name"); s)
      cfg.instance_id = *v;
    else
      top.Error("instance_id", s.message());
  }
  if (auto v = top.String("api_version")) {
    // It becomes the api-version query parameter.
    if (Status s = CheckIdentifier(*v, "API version"); s)
      cfg.api_version = *v;
    else
      top.Error("api_version", s.message());
  }
  ReadAuth(top, diag, base_dir, cfg.auth);
  ReadPoll(top, diag, cfg.poll);
  ReadStorage(top, diag, cfg.storage);
  ReadHttp(top, diag, cfg.http);
  ReadMetrics(top, diag, base_dir, cfg.metrics);
  if (auto v = top.String("database")) cfg.database = Resolve(base_dir, *v);
  if (auto i = top.Choice("log_level", kLogLevels)) cfg.log_level = std::string(kLogLevels[*i]);
  ReadDiscover(top, diag, cfg.discover);
  const WatchListTarget target{cfg.endpoint, cfg.instance_id};
  ReadWatchList(diag, top.Get("watch"), {"watch", OperationOrigin::kConfig, &target}, watch);
  if (auto v = top.String("watch_file")) cfg.watch_file = Resolve(base_dir, *v);
  internal::ReadNotify(top, diag, base_dir, cfg);
}

Result<WatchItems> ParseWatchItems(const std::string& path, const std::string& content,
                                   const WatchListTarget* target) {
  Diagnostics diag(path);
  YAML::Node root;
  WatchItems items;
  if (ParseDocument(content, diag, root)) {
    if (root.IsMap()) {
      diag.Add(root.Mark(), "",
               "a watch file is a YAML list of operation IDs (lines starting with \"- \"), "
               "found a map");
    } else {
      ReadWatchList(diag, root, {"watch", OperationOrigin::kWatchFile, target}, items);
    }
  }
  if (!diag.ok()) return diag.First();
  return items;
}

}  // namespace

std::string_view AuthMethodName(AuthMethod method) {
  return kAuthMethodNames[static_cast<size_t>(method)];
}

std::string_view HttpTransportName(HttpTransport transport) {
  return kHttpTransportNames[static_cast<size_t>(transport)];
}

std::string_view UseListName(UseList use_list) {
  return kUseListNames[static_cast<size_t>(use_list)];
}

Status ValidateOperationId(std::string_view id) {
  return CheckIdentifier(id, "operation ID").WithCodeOf(StatusCode::kConfig);
}

namespace {

Result<std::vector<WatchEntry>> LoadWatchFileFor(const std::string& path,
                                                 const WatchListTarget* target) {
  auto content = internal::ReadRegularFile(path, "watch file");
  if (!content) return content.status().WithCodeOf(StatusCode::kConfig);
  auto items = ParseWatchItems(path, *content, target);
  if (!items) return items.status().WithCodeOf(StatusCode::kConfig);
  return std::move(items->entries);
}

}  // namespace

Result<std::vector<WatchEntry>> LoadWatchFile(const std::string& path) {
  return LoadWatchFileFor(path, nullptr);
}

Result<std::vector<WatchEntry>> LoadWatchFile(const std::string& path,
                                              const WatchListTarget& target) {
  return LoadWatchFileFor(path, &target);
}

Result<std::vector<WatchEntry>> MergeWatchLists(std::vector<WatchEntry> a,
                                                std::vector<WatchEntry> b) {
  std::vector<WatchEntry> merged = std::move(a);
  merged.insert(merged.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
  std::map<OperationKey, size_t> seen;
  for (size_t i = 0; i < merged.size(); ++i) {
    const auto [it, inserted] = seen.emplace(merged[i].key, i);
    if (!inserted) {
      const WatchEntry& first = merged[it->second];
      return Status::Config(merged[i].origin + ": watch: " +
                            DuplicateMessage(merged[i].key, first.origin, merged[i].origin));
    }
  }
  return merged;
}

namespace {

Result<Config> LoadConfigFile(const std::string& path) {
  auto content = internal::ReadRegularFile(path, "configuration file");
  if (!content) return content.status();

  Diagnostics diag(path, kAllPaths);
  YAML::Node root;
  if (!ParseDocument(*content, diag, root)) return diag.First();
  if (!root.IsDefined() || root.IsNull()) {
    return Status::Error(path +
                         ":1:1: empty configuration (it needs at least endpoint, instance_id "
                         "and auth; see /usr/share/doc/adu-opwatch/configuration.md)");
  }

  Config cfg;
  cfg.path = path;
  const std::filesystem::path base_dir = std::filesystem::path(path).parent_path();
  WatchItems watch;
  ReadConfig(diag, root, base_dir, cfg, watch);
  if (!diag.ok()) return diag.First();

  WatchItems from_file;
  if (cfg.watch_file) {
    auto content = internal::ReadRegularFile(*cfg.watch_file, "watch file");
    if (!content) {
      // Reported where the configuration names the file.
      const YAML::Mark mark = static_cast<const YAML::Node&>(root)["watch_file"].Mark();
      return Status::Error(path + ":" + std::to_string(mark.line + 1) + ":" +
                           std::to_string(mark.column + 1) + ": watch_file: " + content.error());
    }
    const WatchListTarget target{cfg.endpoint, cfg.instance_id};
    auto loaded = ParseWatchItems(*cfg.watch_file, *content, &target);
    if (!loaded) return loaded.status();
    from_file = std::move(*loaded);
    // Cross-file duplicates, reported at their place in the watch file.
    Diagnostics file_diag(*cfg.watch_file);
    std::map<OperationKey, const WatchEntry*> in_config;
    for (const WatchEntry& e : watch.entries) in_config.emplace(e.key, &e);
    for (size_t i = 0; i < from_file.entries.size(); ++i) {
      const WatchEntry& e = from_file.entries[i];
      if (auto it = in_config.find(e.key); it != in_config.end()) {
        file_diag.Add(from_file.marks[i], "watch[" + std::to_string(i) + "]",
                      DuplicateMessage(e.key, it->second->origin, e.origin));
      }
    }
    if (!file_diag.ok()) return file_diag.First();
  }

  auto merged = MergeWatchLists(std::move(watch.entries), std::move(from_file.entries));
  if (!merged) return merged.status();
  cfg.watch = std::move(*merged);
  return cfg;
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  // Every way loading can fail (an unreadable file, bad YAML, a bad value) is the user's
  // configuration to fix: one code for all of them, so the daemon exits 78 on each.
  auto loaded = LoadConfigFile(path);
  if (!loaded) return loaded.status().WithCodeOf(StatusCode::kConfig);
  return loaded;
}

namespace {

// check-config's auth line. Identifiers and paths only: the secret itself is never read, so it
// cannot be printed.
std::string AuthSummary(const AuthConfig& a) {
  std::string auth(AuthMethodName(a.method));
  switch (a.method) {
    case AuthMethod::kNone:
      return auth + " (no Authorization header: for the emulator and tests)";
    case AuthMethod::kTokenFile:
      return auth + " (bearer token read from " + a.token_file + ")";
    case AuthMethod::kClientSecret:
      return auth + " (tenant " + a.tenant_id + ", client " + a.client_id + ", secret from " +
             (a.client_secret_file.empty() ? "$CREDENTIALS_DIRECTORY/client-secret"
                                           : a.client_secret_file) +
             ", authority " + a.authority_host + ")";
    case AuthMethod::kManagedIdentity:
      return auth + " (" +
             (a.client_id.empty() ? std::string("system-assigned identity")
                                  : "user-assigned identity, client " + a.client_id) +
             ", endpoint " + a.identity_endpoint + ")";
  }
  return auth;
}

// check-config's "watching" line.
std::string WatchSummary(const std::vector<WatchEntry>& watch, bool discovering) {
  if (watch.empty() && discovering) {
    return "0 operations listed: discovery finds the instance's operations (see discover)";
  }
  if (watch.empty()) {
    return "0 operations: empty watch list: the daemon idles until the watch file lists something";
  }
  size_t updates = 0;
  size_t own_interval = 0;
  for (const WatchEntry& e : watch) {
    updates += e.key.kind == OperationKind::kUpdate ? 1 : 0;
    own_interval += e.interval ? 1 : 0;
  }
  std::string w =
      std::to_string(watch.size()) + (watch.size() == 1 ? " operation (" : " operations (") +
      std::to_string(watch.size() - updates) + " device, " + std::to_string(updates) + " update)";
  if (own_interval > 0) {
    w += ", " + std::to_string(own_interval) +
         (own_interval == 1 ? " with its own interval" : " with their own interval");
  }
  return w;
}

// "2", "2.7": a per-minute figure, to one decimal when it is not whole.
std::string FormatPerMinute(double per_minute) {
  const auto tenths = static_cast<long long>(per_minute * 10 + 0.5);
  std::string text = std::to_string(tenths / 10);
  if (tenths % 10 != 0) text += "." + std::to_string(tenths % 10);
  return text;
}

// check-config's "discover cost" row: the list calls one pass spends against the list budget.
std::string DiscoverCost(const DiscoverConfig& d, int budget) {
  const size_t n = d.kinds.size();
  const double per_minute =
      static_cast<double>(n) * 60000.0 / static_cast<double>(d.interval.count());
  std::string cost = "1 list call per page of up to 100 operations, per kind: at least " +
                     std::to_string(n) + (n == 1 ? " call" : " calls") + " per pass every " +
                     FormatDuration(d.interval) + " = " + FormatPerMinute(per_minute) + " of the " +
                     std::to_string(budget) +
                     " list calls/minute (shared with the list refresh), which read up to " +
                     std::to_string(static_cast<long long>(budget) * 100) +
                     " operations a minute; a resync costs 1 call per 100 operations listed "
                     "(completed ones stay listed 7 days)";
  if (per_minute > budget) cost += "; more than the budget: passes will run late";
  return cost;
}

// check-config's discovery rows: what the lists are read for, what that costs of the list
// budget, and what they cannot show.
std::vector<std::pair<std::string_view, std::string>> DiscoverSummary(const Config& c) {
  const DiscoverConfig& d = c.discover;
  if (!d.enabled()) {
    return {{"discover",
             "off: only the watch list is polled (discover: kinds: [device, update] "
             "watches every operation of the instance)"}};
  }
  std::string kinds;
  for (OperationKind k : d.kinds) {
    kinds += (kinds.empty() ? "" : " and ") + std::string(KindName(k));
  }
  const std::string resync = d.resync
                                 ? "every operation (unfiltered) every " + FormatDuration(*d.resync)
                                 : std::string("no unfiltered resync (resync off)");
  const bool updates =
      std::find(d.kinds.begin(), d.kinds.end(), OperationKind::kUpdate) != d.kinds.end();
  return {
      {"discover", kinds + " lists: in-flight operations every " + FormatDuration(d.interval) +
                       ", " + resync + ", operations created within " + FormatDuration(d.max_age)},
      {"discover cost", DiscoverCost(d, c.poll.list_requests_per_minute)},
      {"discover gap", updates ? "update delete operations are not returned by the update list: "
                                 "they still need the watch list"
                               : "update operations are not discovered (kinds without update): "
                                 "they need the watch list"},
  };
}

}  // namespace

std::string Summary(const Config& c) {
  std::ostringstream out;
  const auto row = [&](std::string_view label, const std::string& value) {
    out << label << std::string(label.size() < 15 ? 15 - label.size() : 1, ' ') << value << '\n';
  };
  row("configuration", c.path);
  row("endpoint", c.endpoint);
  row("instance", c.instance_id);
  row("api-version", c.api_version);

  row("auth", AuthSummary(c.auth));

  row("watching", WatchSummary(c.watch, c.discover.enabled()));
  row("watch file", c.watch_file ? *c.watch_file : std::string("(none)"));
  for (const auto& [label, value] : DiscoverSummary(c)) row(label, value);
  row("database", c.database);
  row("interval", FormatDuration(c.poll.interval) + " per operation (request timeout " +
                      FormatDuration(c.poll.request_timeout) + ", backoff up to " +
                      FormatDuration(c.poll.backoff_max) + ", " +
                      (c.poll.stop_on_terminal ? "stops" : "keeps polling") +
                      " at Succeeded/Failed)");
  row("budget", std::to_string(c.poll.requests_per_minute) + " requests/minute, " +
                    std::to_string(c.poll.list_requests_per_minute) +
                    " list calls/minute, at most " + std::to_string(c.poll.max_concurrency) +
                    " in flight, use_list " + std::string(UseListName(c.poll.use_list)));
  row("storage", (c.storage.retention ? "retention " + FormatDuration(*c.storage.retention) +
                                            " after an operation ends"
                                      : std::string("keep everything")) +
                     ", at most " + std::to_string(c.storage.max_errors_per_operation) +
                     " errors per operation");
  row("metrics", (c.metrics.listen ? "endpoint http://" + c.metrics.listen->ToString() + "/metrics"
                                   : std::string("no endpoint")) +
                     (c.metrics.textfile ? ", textfile " + *c.metrics.textfile
                                         : std::string(", no textfile")));
  row("notify", internal::NotifySummary(c));
  row("log level", c.log_level);
  return out.str();
}

}  // namespace adu::config
