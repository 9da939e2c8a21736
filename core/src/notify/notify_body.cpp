#include "adu/core/notify_body.h"

#include <vector>

#include "adu/core/json_object.h"
#include "adu/core/text.h"

namespace adu {
namespace {

// The snapshot as embedded: verbatim when it is a JSON object, else null. Only the outer braces
// are checked: the body was parsed by the codec before it was stored, so it is whole JSON.
std::string_view SnapshotJson(const std::string& body) {
  const std::string_view trimmed = TrimSpace(body);
  if (trimmed.size() >= 2 && trimmed.front() == '{' && trimmed.back() == '}') return trimmed;
  return "null";
}

std::string OrNone(const std::optional<std::string>& s) { return s ? *s : "(none)"; }

// Slack mrkdwn: the three characters Slack's formatting reserves, escaped as its docs ask.
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// Inside `code`: a backtick would end the span early, so it becomes a quote.
std::string SlackCode(std::string_view text) {
  std::string out = SlackEscape(text);
  for (char& c : out) {
    if (c == '`') c = '\'';
  }
  return "`" + out + "`";
}

// "device operation op-1 (instance blue) is now Failed (was Running)"
std::string Headline(const NotificationEvent& e, bool slack) {
  auto code = [slack](std::string_view s) { return slack ? SlackCode(s) : std::string(s); };
  std::string to = e.to_status.value_or("(no status)");
  if (slack) to = "*" + SlackEscape(to) + "*";
  std::string line = std::string(KindName(e.key.kind)) + " operation " + code(e.key.id) +
                     " (instance " + code(e.instance_id) + ") is now " + to;
  line += e.from_status ? " (was " + (slack ? SlackEscape(*e.from_status) : *e.from_status) + ")"
                        : " (first seen)";
  return line;
}

std::string Fact(std::string_view title, const std::string& value) {
  return JsonObject().Str("title", std::string(title)).Str("value", value).Done();
}

std::string TeamsCard(const NotificationEvent& e) {
  const std::string title = JsonObject()
                                .Str("type", "TextBlock")
                                .Str("text", "adu-opwatch: " + Headline(e, false))
                                .Str("weight", "Bolder")
                                .Str("size", "Medium")
                                .Bool("wrap", true)
                                .Done();
  std::vector<std::string> facts = {
      Fact("Instance", e.instance_id),
      Fact("Operation", std::string(KindName(e.key.kind)) + " " + e.key.id),
      Fact("Status", OrNone(e.from_status) + " -> " + OrNone(e.to_status)),
      Fact("Observed at", e.observed_at)};
  if (e.error_code || e.error_message) {
    facts.push_back(Fact("Error", OrNone(e.error_code) + ": " + OrNone(e.error_message)));
  }
  if (e.trace_id) facts.push_back(Fact("Trace id", *e.trace_id));
  facts.push_back(Fact("Event id", e.event_id));
  const std::string fact_set =
      JsonObject().Str("type", "FactSet").Raw("facts", JsonArray(facts)).Done();
  return JsonObject()
      .Str("$schema", "http://adaptivecards.io/schemas/adaptive-card.json")
      .Str("type", "AdaptiveCard")
      .Str("version", "1.4")
      .Raw("body", JsonArray({title, fact_set}))
      .Done();
}

}  // namespace

std::string_view NotifyFormatName(NotifyFormat format) {
  switch (format) {
    case NotifyFormat::kJson:
      return "json";
    case NotifyFormat::kSlack:
      return "slack";
    case NotifyFormat::kTeams:
      return "teams";
  }
  return "json";
}

std::optional<NotifyFormat> ParseNotifyFormat(std::string_view name) {
  for (const auto f : {NotifyFormat::kJson, NotifyFormat::kSlack, NotifyFormat::kTeams}) {
    if (name == NotifyFormatName(f)) return f;
  }
  return std::nullopt;
}

std::string RenderEventJson(const NotificationEvent& e) {
  JsonObject o;
  o.Str("event_id", e.event_id)
      .Str("instance_id", e.instance_id)
      .Str("kind", std::string(KindName(e.key.kind)))
      .Str("operation_id", e.key.id);
  o.Str("from_status", e.from_status).Str("to_status", e.to_status);
  o.Str("observed_at", e.observed_at).Int("snapshot_id", e.snapshot_id);
  o.Str("error_code", e.error_code).Str("error_message", e.error_message);
  o.Str("trace_id", e.trace_id).Raw("snapshot", SnapshotJson(e.snapshot_body));
  return o.Done();
}

std::string RenderSlackMessage(const NotificationEvent& e) {
  std::string text = "*adu-opwatch*: " + Headline(e, true);
  if (e.error_code || e.error_message) {
    text += "\n*Error:* " + SlackCode(OrNone(e.error_code)) + " " +
            SlackEscape(OrNone(e.error_message));
  }
  text += "\nObserved at " + SlackEscape(e.observed_at) + ", event " + SlackCode(e.event_id);
  return JsonObject().Str("text", text).Done();
}

std::string RenderTeamsMessage(const NotificationEvent& e) {
  const std::string attachment = JsonObject()
                                     .Str("contentType", "application/vnd.microsoft.card.adaptive")
                                     .Raw("contentUrl", "null")
                                     .Raw("content", TeamsCard(e))
                                     .Done();
  return JsonObject().Str("type", "message").Raw("attachments", JsonArray({attachment})).Done();
}

std::string RenderEventBody(NotifyFormat format, const NotificationEvent& event) {
  switch (format) {
    case NotifyFormat::kSlack:
      return RenderSlackMessage(event);
    case NotifyFormat::kTeams:
      return RenderTeamsMessage(event);
    case NotifyFormat::kJson:
      break;
  }
  return RenderEventJson(event);
}

}  // namespace adu
