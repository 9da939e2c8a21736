// The configuration of adu-opwatch: plain structs, the YAML loader and its validation.
//
// Contract
// - LoadConfig() reads one YAML file (and the watch file it names), validates every key and returns
//   either a complete Config (every default filled in) or ONE error line of the form
//   `FILE:LINE:COL: key.path: message` (1-based line and column), with StatusCode::kConfig (every
//   error of LoadConfig, LoadWatchFile, MergeWatchLists, ParseOperationLocation and
//   ValidateOperationId has that code). The
//   daemon prints that line and exits 78 (EX_CONFIG).
// - Nothing here touches the network: URLs are validated as strings only. Secrets are never read:
//   `auth.client_secret_file` is just a path.
// - Relative paths in the file (watch_file, database, token_file, client_secret_file) are resolved
//   against the directory of the configuration file, so the daemon's working directory never
//   matters.
// - Files are opened without blocking (a FIFO at the path is an error, not a hang).
//
// Thread-safety: every function is reentrant and keeps no state; the structs are plain values,
// comparable member by member (`==`), so a reload compares sections instead of listing fields.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adu/core/domain.h"
#include "adu/core/result.h"

namespace adu::config {

enum class AuthMethod { kNone, kTokenFile, kClientSecret, kManagedIdentity };
// "none" | "token_file" | "client_secret" | "managed_identity"
std::string_view AuthMethodName(AuthMethod method);

// poll.use_list: when the engine refreshes in-flight operations with one paged list call.
enum class UseList { kAuto, kAlways, kNever };
std::string_view UseListName(UseList use_list);  // "auto" | "always" | "never"

// http.transport: the HTTP client library. cpprest is the default; curl (libcurl's multi
// interface, one I/O thread) costs less CPU per poll (docs/performance.md).
enum class HttpTransport { kCpprest, kCurl };
std::string_view HttpTransportName(HttpTransport transport);  // "cpprest" | "curl"

struct HttpConfig {
  HttpTransport transport = HttpTransport::kCpprest;

  bool operator==(const HttpConfig&) const = default;
};

struct AuthConfig {
  AuthMethod method = AuthMethod::kNone;
  std::string tenant_id;  // client_secret: required
  std::string client_id;  // client_secret: required; managed_identity: optional
  std::string
      client_secret_file;  // client_secret: optional (empty: $CREDENTIALS_DIRECTORY/client-secret)
  // Normalised `scheme://host[:port]`, no trailing slash.
  std::string authority_host = "https://login.microsoftonline.com";
  std::string token_file;  // token_file: required
  // A full URL (path allowed); https, or http to loopback or exactly 169.254.169.254.
  std::string identity_endpoint = "http://169.254.169.254/metadata/identity/oauth2/token";

  bool operator==(const AuthConfig&) const = default;
};

struct PollConfig {
  Duration interval = std::chrono::seconds(30);
  Duration request_timeout = std::chrono::seconds(10);
  Duration backoff_max = std::chrono::minutes(5);
  int max_concurrency = 4;            // 1..256
  int requests_per_minute = 510;      // >= 1
  int list_requests_per_minute = 50;  // >= 1
  bool stop_on_terminal = true;
  UseList use_list = UseList::kAuto;

  bool operator==(const PollConfig&) const = default;
};

struct StorageConfig {
  std::optional<Duration> retention;    // nullopt: keep everything ("forever" or absent)
  int max_errors_per_operation = 1000;  // >= 1

  bool operator==(const StorageConfig&) const = default;
};

// metrics.listen: where the Prometheus endpoint listens. `host` is an IP address as written
// (IPv6 without brackets); "localhost" is read as 127.0.0.1. Port 0 picks a free port (logged).
struct ListenAddress {
  std::string host;
  int port = 0;
  std::string ToString() const;  // "127.0.0.1:9469", "[::1]:9469"
  bool operator==(const ListenAddress&) const = default;
};

// `metrics:` (docs/metrics.md). Both are off when absent. The origins say where each was written
// (`file:line:col`), for errors found only when the daemon applies them (a port in use, a
// directory that is not writable).
struct MetricsConfig {
  std::optional<ListenAddress> listen;
  std::optional<std::string> textfile;  // resolved against the config file's directory; *.prom
  std::string listen_origin;
  std::string textfile_origin;
  bool operator==(const MetricsConfig&) const = default;
};

// discover: which of the service's lists the daemon reads to find operations by itself.
struct DiscoverConfig {
  std::vector<OperationKind> kinds;             // empty: discovery off (the v1 behaviour)
  Duration interval = std::chrono::minutes(1);  // in-flight lists read this often; 10s..1h
  std::optional<Duration> resync = std::chrono::hours(1);  // unfiltered pass; nullopt = "off"
  Duration max_age = std::chrono::hours(24 * 7);  // older operations are not taken in; 1m..7d
  std::string origin;                             // "file:line" of the `discover` key, or ""

  bool enabled() const { return !kinds.empty(); }
  bool operator==(const DiscoverConfig&) const = default;
};

struct WatchEntry {
  OperationKey key;
  std::optional<Duration> interval;  // per-operation override of poll.interval
  std::string origin;                // "file:line" where it was declared, for messages
  // Which list named it: the configuration's `watch` (kConfig) or the watch file (kWatchFile).
  OperationOrigin source = OperationOrigin::kConfig;

  bool operator==(const WatchEntry&) const = default;
};

// notify[].webhook.format: the body the webhook is sent (docs/notifications.md).
enum class NotifyFormat { kJson, kSlack, kTeams };
std::string_view NotifyFormatName(NotifyFormat format);  // "json" | "slack" | "teams"

struct WebhookConfig {
  std::string url;  // as written (a secret: never logged whole); https, or http to loopback
  NotifyFormat format = NotifyFormat::kJson;
  // Resolved against the config file's directory; "" when absent and no
  // $CREDENTIALS_DIRECTORY/<name>-secret exists (then nothing is signed). Checked readable, never
  // read here.
  std::string secret_file;
  Duration timeout = std::chrono::seconds(10);

  bool operator==(const WebhookConfig&) const = default;
};

// One `notify:` entry: exactly one of `webhook` and `exec` is set.
struct NotifyTargetConfig {
  std::string name;             // [a-z0-9-]+, unique
  std::vector<std::string> on;  // statuses whose arrival fires, as written; empty when on_any
  bool on_any = false;          // `on: [any]`: every transition, first seen included
  std::optional<WebhookConfig> webhook;
  std::vector<std::string> exec;  // argv; argv[0] an absolute path to an executable file
  Duration exec_timeout = std::chrono::seconds(30);
  std::string origin;  // "file:line" of the entry

  bool operator==(const NotifyTargetConfig&) const = default;
};

struct Config {
  std::string path;      // the configuration file as given
  std::string endpoint;  // normalised: "https://host[:port]" or "http://<loopback>:port", no slash
  std::string instance_id;
  std::string api_version = "2022-10-01";
  AuthConfig auth;
  PollConfig poll;
  StorageConfig storage;
  HttpConfig http;
  MetricsConfig metrics;
  std::string database = "/var/lib/adu-opwatch/operations.db";
  std::string log_level = "info";         // trace | debug | info | warn | error
  std::optional<std::string> watch_file;  // resolved against the config file's directory
  std::vector<WatchEntry> watch;          // `watch` merged with the watch file's list
  DiscoverConfig discover;
  std::vector<NotifyTargetConfig> notify;              // `notify:`, in file order
  Duration notify_retry_for = std::chrono::hours(24);  // then an event is abandoned

  bool operator==(const Config&) const = default;
};

// "250ms", "30s", "5m", "1h", "2d", combinations such as "1m30s", decimal fractions such as "1.5s"
// (the result must be a whole number of milliseconds). Surrounding whitespace is ignored. Errors on
// empty text, a sign, a missing or unknown unit, and overflow.
Result<Duration> ParseDuration(std::string_view text);
// The shortest form ParseDuration reads back to the same value: "250ms", "30s", "1m30s", "2d".
std::string FormatDuration(Duration d);

// Reads and validates the configuration file and its watch file.
Result<Config> LoadConfig(const std::string& path);

// The service a watch list belongs to: an entry written as an Operation-Location must name the
// endpoint's scheme, host and port (when it is a full URL) and this instance.
struct WatchListTarget {
  std::string endpoint;  // as in Config::endpoint (normalised)
  std::string instance_id;
};

// Reads a watch file: a YAML list in the same form as `watch` (an empty file is an empty list).
// Duplicates within the file are errors. Every entry's source is kWatchFile. Without a target, an
// entry written as an Operation-Location is an error (it cannot be checked).
Result<std::vector<WatchEntry>> LoadWatchFile(const std::string& path);
Result<std::vector<WatchEntry>> LoadWatchFile(const std::string& path,
                                              const WatchListTarget& target);

// True when a watch entry's text is written as an Operation-Location (a URL, or a path starting
// with '/') rather than as an operation ID.
bool IsOperationLocation(std::string_view text);

// The operation an `Operation-Location` (or `Location`) value of the service names:
//   [scheme://host[:port]]/deviceUpdate/INSTANCE[/v2]/management/operations/ID[?query]  (device)
//   [scheme://host[:port]]/deviceUpdate/INSTANCE[/v2]/updates/operations/ID[?query]     (update)
// The `deviceUpdate` prefix in any case (the 2021 preview and the recorded service write
// `deviceupdate`); every other segment as the service writes it. The query (`?api-version=...`)
// is ignored: requests use Config::api_version. A full URL must be on `target.endpoint` (same
// scheme, host and port; a missing port is the scheme's default); INSTANCE must be
// `target.instance_id`; ID must pass ValidateOperationId. The error quotes `text` and says what is
// wrong, without a key path.
Result<OperationKey> ParseOperationLocation(std::string_view text, const WatchListTarget& target);

// `a` followed by `b`. The same (kind, id) twice is an error naming the ID and both origins:
// `ORIGIN_B: watch: operation ID "X" (device) is listed twice: at ORIGIN_A and at ORIGIN_B`.
Result<std::vector<WatchEntry>> MergeWatchLists(std::vector<WatchEntry> a,
                                                std::vector<WatchEntry> b);

// check-config's one-screen summary. Never prints a secret (and never reads the secret file).
std::string Summary(const Config& config);

// `HOST:PORT` for metrics.listen: HOST an IPv4 address, `[IPv6]` or `localhost`; PORT 0..65535.
// The error describes what is wrong with `text` without a key path.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// 127.0.0.0/8, ::1 (with or without brackets, any spelling), localhost (any case).
bool IsLoopbackHost(std::string_view host);

// ^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$. The error says what is wrong (empty, first character,
// illegal character and its position, too long); used for operation IDs and instance_id.
Status ValidateOperationId(std::string_view id);

}  // namespace adu::config
