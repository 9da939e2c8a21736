// The bodies a notification target sends for an event: `format: json` (the project's own event
// object), `slack` (an incoming-webhook message) and `teams` (an Adaptive Card message as Teams
// workflow webhooks take it). Pure functions of the event: the same event always yields the same
// bytes, so a retry sends what the first attempt sent. Every string from the event is escaped, so
// the body is valid JSON (and valid UTF-8) whatever the service or the configuration held.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adu/core/notify.h"

namespace adu {

enum class NotifyFormat { kJson, kSlack, kTeams };
std::string_view NotifyFormatName(NotifyFormat format);  // "json" | "slack" | "teams"
std::optional<NotifyFormat> ParseNotifyFormat(std::string_view name);

// {"event_id", "instance_id", "kind", "operation_id", "from_status" (null when first seen),
//  "to_status", "observed_at", "snapshot_id" (a number), "error_code", "error_message",
//  "trace_id" (null when absent), "snapshot" (the stored body, its bytes verbatim)}. A stored body
// that is not a JSON object (it always is: the codec parsed it before it was stored) is null.
std::string RenderEventJson(const NotificationEvent& event);

// {"text": "<mrkdwn>"}: Slack's incoming webhooks need `text`; `&`, `<` and `>` are escaped as
// Slack's message formatting asks, so a hostile string cannot mention a channel or make a link.
std::string RenderSlackMessage(const NotificationEvent& event);

// {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//  "contentUrl":null,"content":{AdaptiveCard 1.4: a title TextBlock and a FactSet}}]}.
std::string RenderTeamsMessage(const NotificationEvent& event);

// The body for `format`.
std::string RenderEventBody(NotifyFormat format, const NotificationEvent& event);

}  // namespace adu
