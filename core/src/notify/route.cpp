#include "adu/core/notify_outbox.h"
#include "adu/core/text.h"

namespace adu {

bool RouteMatches(const NotifyRoute& route, const std::optional<std::string>& to_status) {
  if (route.on_any) return true;
  if (!to_status) return false;
  const std::string status = ToLower(*to_status);
  for (const std::string& s : route.on) {
    if (ToLower(s) == status) return true;
  }
  return false;
}

std::string NotificationEventId(const std::string& instance_id, int64_t snapshot_id) {
  return instance_id + ":" + std::to_string(snapshot_id);
}

}  // namespace adu
