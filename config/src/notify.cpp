#include "notify.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

#include "adu/core/url.h"
#include "files.h"
#include "text.h"

namespace adu::config {

namespace {

using internal::Resolve;

using namespace std::chrono_literals;
using internal::Diagnostics;
using internal::MapReader;
using internal::Need;
using internal::Quote;

constexpr std::array<std::string_view, 3> kFormatNames = {"json", "slack", "teams"};
constexpr Duration kMinTargetTimeout = 100ms;
constexpr Duration kMaxTargetTimeout = 1h;
constexpr Duration kMinRetryFor = 1s;
constexpr Duration kMaxRetryFor = std::chrono::hours(24 * 365);
constexpr size_t kMaxNameLength = 64;

// [a-z0-9-]+: the name becomes a metric label, a file name (<name>-secret) and an outbox key.
Status CheckTargetName(std::string_view name) {
  if (name.size() > kMaxNameLength) {
    return Status::Error(Quote(name.substr(0, 64)) + "... is too long (at most 64 characters)");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return Status::Error(Quote(name) + ": illegal character " + Quote(name.substr(i, 1)) +
                           " at position " + std::to_string(i + 1) +
                           " (allowed: a-z, 0-9 and \"-\")");
    }
  }
  return Status::Ok();
}

// Opened and closed, never read: a typo in the path fails at load time, not at the first event.
Status CheckReadable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::Error(Quote(path) + ": cannot read it: " + std::strerror(errno));
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) return Status::Error(Quote(path) + " is not a regular file");
  return Status::Ok();
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// https to anywhere, http to loopback only: the body and the signature travel in clear text.
Status CheckWebhookUrl(const std::string& url) {
  auto parsed = ParseUrl(url);
  if (!parsed) return parsed.status();
  if (parsed->scheme == "http" && !IsLoopbackHost(parsed->host)) {
    return Status::Error(
        "http:// is only allowed to a loopback host (127.0.0.0/8, ::1, "
        "localhost); use https://");
  }
  return Status::Ok();
}

void ReadSecretFile(const MapReader& w, const std::filesystem::path& base_dir,
                    const std::string& name, WebhookConfig& out) {
  if (auto v = w.String("secret_file")) {
    const std::string path = Resolve(base_dir, *v);
    if (Status s = CheckReadable(path); !s) {
      w.Error("secret_file", s.message());
      return;
    }
    out.secret_file = path;
    return;
  }
  // systemd's LoadCredential= puts it there; absent means "unsigned", not an error.
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
    const std::string path = std::string(dir) + "/" + name + "-secret";
    if (IsRegularFile(path)) {
      if (Status s = CheckReadable(path); !s) {
        w.Error("secret_file", s.message() + " (the default secret file)");
        return;
      }
      out.secret_file = path;
    }
  }
}

std::optional<WebhookConfig> ReadWebhook(const MapReader& entry, Diagnostics& diag,
                                         const std::filesystem::path& base_dir,
                                         const std::string& name) {
  MapReader w(diag, entry.Get("webhook"), entry.MarkOf("webhook"), entry.PathOf("webhook"),
              {"url", "format", "secret_file", "timeout"});
  if (!w.valid()) return std::nullopt;
  WebhookConfig out;
  if (auto url = w.String("url", Need::kRequired)) {
    if (Status s = CheckWebhookUrl(*url); !s) w.Error("url", s.message());
    out.url = *url;
  }
  if (auto i = w.Choice("format", kFormatNames)) out.format = NotifyFormat(*i);
  ReadSecretFile(w, base_dir, name, out);
  w.Dur("timeout", out.timeout, kMinTargetTimeout, kMaxTargetTimeout);
  return out;
}

// A list of non-empty strings, or nullopt (reported).
std::optional<std::vector<std::string>> ReadStringList(const MapReader& entry, std::string_view key,
                                                       Diagnostics& diag) {
  const YAML::Node list = entry.Get(key);
  if (!list.IsSequence() || list.size() == 0) {
    entry.Error(key,
                "expected a non-empty list, found " +
                    std::string(list.IsSequence() ? "an empty list" : internal::NodeKind(list)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  size_t index = 0;
  for (const YAML::Node& item : list) {
    const std::string path = entry.PathOf(key) + "[" + std::to_string(index++) + "]";
    if (!item.IsScalar() || item.Scalar().empty()) {
      diag.Add(item.IsNull() ? list.Mark() : item.Mark(), path,
               "expected a non-empty string, found " + std::string(internal::NodeKind(item)));
      return std::nullopt;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

void ReadOn(const MapReader& entry, Diagnostics& diag, NotifyTargetConfig& out) {
  if (!entry.Has("on")) {
    entry.Error("on", "required key is missing (a list of statuses, or [any])");
    return;
  }
  auto on = ReadStringList(entry, "on", diag);
  if (!on) return;
  for (const std::string& status : *on) {
    if (internal::ToLower(status) == "any") {
      if (on->size() != 1) {
        entry.Error("on", "\"any\" already means every status: list it alone");
        return;
      }
      out.on_any = true;
      return;
    }
  }
  out.on = std::move(*on);
}

void ReadExec(const MapReader& entry, Diagnostics& diag, NotifyTargetConfig& out) {
  auto argv = ReadStringList(entry, "exec", diag);
  if (!argv) return;
  const std::string& program = argv->front();
  if (!std::filesystem::path(program).is_absolute()) {
    entry.Error("exec", Quote(program) + " is not an absolute path (no shell, no $PATH search)");
    return;
  }
  if (!IsRegularFile(program) || ::access(program.c_str(), X_OK) != 0) {
    entry.Error("exec", Quote(program) + " is not an executable file");
    return;
  }
  out.exec = std::move(*argv);
}

// Exactly one of webhook and exec; `timeout` at this level belongs to exec.
void ReadTarget(const MapReader& entry, Diagnostics& diag, const std::filesystem::path& base_dir,
                const YAML::Mark& where, const std::string& path, NotifyTargetConfig& out) {
  const bool webhook = entry.Has("webhook");
  const bool exec = entry.Has("exec");
  if (webhook == exec) {
    diag.Add(where, path,
             webhook ? "has both webhook and exec: give exactly one kind of target"
                     : "needs a target: webhook (a map with url) or exec (an argv list)");
    return;
  }
  if (webhook) {
    if (entry.Has("timeout")) {
      entry.Error("timeout", "a webhook's timeout goes under webhook: (webhook.timeout)");
    }
    out.webhook = ReadWebhook(entry, diag, base_dir, out.name);
    return;
  }
  ReadExec(entry, diag, out);
  entry.Dur("timeout", out.exec_timeout, kMinTargetTimeout, kMaxTargetTimeout);
}

}  // namespace

std::string_view NotifyFormatName(NotifyFormat format) {
  return kFormatNames[static_cast<size_t>(format)];
}

namespace internal {

void ReadNotify(const MapReader& top, Diagnostics& diag, const std::filesystem::path& base_dir,
                Config& cfg) {
  top.Dur("notify_retry_for", cfg.notify_retry_for, kMinRetryFor, kMaxRetryFor);
  const YAML::Node list = top.Get("notify");
  if (!list.IsDefined() || list.IsNull()) return;
  if (!list.IsSequence()) {
    top.Error("notify", "expected a list of targets, found " + std::string(NodeKind(list)));
    return;
  }
  std::map<std::string, std::string> seen;  // name -> origin
  size_t index = 0;
  for (const YAML::Node& item : list) {
    const std::string path = "notify[" + std::to_string(index++) + "]";
    MapReader entry(diag, item, item.IsNull() ? list.Mark() : item.Mark(), path,
                    {"name", "on", "webhook", "exec", "timeout"});
    if (!entry.valid()) continue;
    NotifyTargetConfig target;
    target.origin = diag.Origin(item.Mark());
    if (auto name = entry.String("name", Need::kRequired)) {
      if (Status s = CheckTargetName(*name); !s) {
        entry.Error("name", s.message());
      } else if (auto it = seen.find(*name); it != seen.end()) {
        entry.Error("name", "target " + Quote(*name) + " is defined twice: at " + it->second +
                                " and at " + target.origin);
      } else {
        seen.emplace(*name, target.origin);
      }
      target.name = *name;
    }
    ReadOn(entry, diag, target);
    ReadTarget(entry, diag, base_dir, item.Mark(), path, target);
    cfg.notify.push_back(std::move(target));
  }
}

std::string NotifySummary(const Config& cfg) {
  if (cfg.notify.empty()) return "no targets";
  std::string out;
  for (const NotifyTargetConfig& t : cfg.notify) {
    if (!out.empty()) out += "; ";
    out += t.name + " (";
    if (t.webhook) {
      auto url = ParseUrl(t.webhook->url);
      out += "webhook " + (url ? url->Authority() : std::string("?")) + ", " +
             std::string(NotifyFormatName(t.webhook->format)) +
             (t.webhook->secret_file.empty() ? ", unsigned" : ", signed");
    } else {
      out += "exec " + t.exec.front();
    }
    out += ", on " + (t.on_any ? std::string("any") : t.on.front());
    for (size_t i = 1; i < t.on.size(); ++i) out += "|" + t.on[i];
    out += ")";
  }
  return out + ", retried for " + FormatDuration(cfg.notify_retry_for);
}

}  // namespace internal
}  // namespace adu::config
