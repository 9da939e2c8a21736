// Watch entries written as the Operation-Location (or Location) value the service returned.
#include <optional>
#include <vector>

#include "adu/config/config.h"
#include "adu/core/url.h"
#include "text.h"

namespace adu::config {
namespace {

using internal::Quote;

constexpr std::string_view kExpectedForms =
    "expected [https://HOST]/deviceUpdate/INSTANCE/management/operations/ID (a device operation) "
    "or [https://HOST]/deviceUpdate/INSTANCE/updates/operations/ID (an update operation)";

// The port a URL means when it names none.
int EffectivePort(const UrlParts& url) {
  if (url.port != 0) return url.port;
  return url.scheme == "https" ? 443 : 80;
}

// A full URL must point where the daemon sends its requests: a location on another host (or
// scheme, or port) belongs to another account.
Status CheckSameOrigin(std::string_view text, const UrlParts& url, const std::string& endpoint) {
  if (endpoint.empty()) return Status::Ok();  // the endpoint's own error is reported
  auto ours = ParseUrl(endpoint);
  if (!ours) return Status::Ok();
  if (url.scheme == ours->scheme && url.host == ours->host &&
      EffectivePort(url) == EffectivePort(*ours)) {
    return Status::Ok();
  }
  return Status::Error(Quote(text) + " is on " + url.Authority() + ", not on the endpoint " +
                       endpoint + " (an operation of another account cannot be watched here)");
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);  // the leading '/'
  for (size_t at; (at = path.find('/')) != std::string_view::npos;) {
    segments.push_back(path.substr(0, at));
    path.remove_prefix(at + 1);
  }
  segments.push_back(path);
  return segments;
}

// The parts of an Operation-Location, as written.
struct LocationParts {
  std::optional<UrlParts> url;  // absent for a path
  std::string_view instance;
  std::string_view collection;  // "management" | "updates"
  std::string_view id;
};

// Splits `text` along the service's path form; says what is wrong when it is not that form.
Result<LocationParts> SplitLocation(std::string_view text) {
  LocationParts parts;
  std::string_view path = text;
  if (!text.starts_with('/')) {
    auto url = ParseUrl(text);
    if (!url) return url.status();
    parts.url = *url;
    path = text.substr(text.size() - url->rest.size());  // `rest` is the tail of `text`
  }
  if (path.find('#') != std::string_view::npos) {
    return Status::Error(Quote(text) + " has a fragment (#...): not an Operation-Location");
  }
  path = path.substr(0, path.find('?'));  // the api-version is the configuration's
  std::vector<std::string_view> seg =
      path.empty() ? std::vector<std::string_view>{} : SplitPath(path);
  // The oldest API versions put "v2" after the instance.
  if (seg.size() == 6 && seg[2] == "v2") seg.erase(seg.begin() + 2);
  if (seg.size() != 5 || !EqualsIgnoreCase(seg[0], "deviceUpdate") || seg[1].empty() ||
      seg[3] != "operations" || (seg[2] != "management" && seg[2] != "updates")) {
    return Status::Error(Quote(text) + " is neither an operation ID nor an Operation-Location: " +
                         std::string(kExpectedForms));
  }
  parts.instance = seg[1];
  parts.collection = seg[2];
  parts.id = seg[4];
  return parts;
}

Result<OperationKey> ParseLocation(std::string_view text, const WatchListTarget& target) {
  if (target.instance_id.empty()) {
    return Status::Error(
        Quote(text) +
        " is an Operation-Location: it can only be checked against the "
        "configuration's endpoint and instance_id (load it with the configuration)");
  }
  auto parts = SplitLocation(text);
  if (!parts) return parts.status();
  if (parts->url) {
    if (Status s = CheckSameOrigin(text, *parts->url, target.endpoint); !s) return s;
  }
  if (parts->instance != target.instance_id) {
    return Status::Error(Quote(text) + " names the instance " + Quote(parts->instance) +
                         ", not instance_id " + Quote(target.instance_id) +
                         " (an operation of another instance cannot be watched here)");
  }
  if (Status s = ValidateOperationId(parts->id); !s) {
    return Status::Error(Quote(text) + ": " + s.message());
  }
  const OperationKind kind =
      parts->collection == "updates" ? OperationKind::kUpdate : OperationKind::kDevice;
  return OperationKey{kind, std::string(parts->id)};
}

}  // namespace

bool IsOperationLocation(std::string_view text) {
  return text.starts_with('/') || text.find("://") != std::string_view::npos;
}

Result<OperationKey> ParseOperationLocation(std::string_view text, const WatchListTarget& target) {
  auto key = ParseLocation(text, target);
  if (!key) return key.status().WithCodeOf(StatusCode::kConfig);
  return key;
}

}  // namespace adu::config
