// The notification bodies (json, slack, teams) parsed back with simdjson: the fields each format
// needs are there, and hostile strings (quotes, newlines, control bytes, invalid UTF-8) still
// yield valid JSON that carries them.
#include "adu/core/notify_body.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace adu {
namespace {

NotificationEvent SampleEvent() {
  NotificationEvent e;
  e.event_id = "blue:42";
  e.instance_id = "blue";
  e.key = {OperationKind::kUpdate, "op-1"};
  e.from_status = "Running";
  e.to_status = "Failed";
  e.observed_at = "2026-12-02T01:00:00.000Z";
  e.snapshot_id = 42;
  e.error_code = "ImportFailed";
  e.error_message = "bad manifest";
  e.trace_id = "t-1";
  e.snapshot_body = R"({"operationId":"op-1","status":"Failed","x":[1,2.5,"\u00e9"]})";
  return e;
}

// Hostile text: a quote, a backslash, a newline, control bytes, invalid UTF-8, Slack markup.
const std::string kHostile =
    std::string("say \"hi\"\\ \n\tline2 \x01\x1f\x7f bad:\xff\xc3 <!channel> &") +
    std::string(1, '\0') + "end";

struct Parsed {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

// Parses `json` into `p`; fails the test when it is not valid JSON (simdjson checks UTF-8 too).
::testing::AssertionResult Parse(const std::string& json, Parsed& p) {
  auto r = p.parser.parse(simdjson::padded_string(json));
  if (r.error()) {
    return ::testing::AssertionFailure() << simdjson::error_message(r.error()) << ": " << json;
  }
  p.root = r.value();
  return ::testing::AssertionSuccess();
}

std::string Str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

TEST(NotifyBody, JsonHasExactlyTheContractKeysAndTheSnapshotVerbatim) {
  const auto e = SampleEvent();
  const std::string json = RenderEventJson(e);
  Parsed p;
  ASSERT_TRUE(Parse(json, p));
  std::vector<std::string> keys;
  for (auto field : simdjson::dom::object(p.root)) keys.emplace_back(field.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"event_id", "instance_id", "kind", "operation_id",
                                      "from_status", "to_status", "observed_at", "snapshot_id",
                                      "error_code", "error_message", "trace_id", "snapshot"}));
  EXPECT_EQ(Str(p.root["event_id"]), "blue:42");
  EXPECT_EQ(Str(p.root["kind"]), "update");
  EXPECT_EQ(Str(p.root["operation_id"]), "op-1");
  EXPECT_EQ(Str(p.root["from_status"]), "Running");
  EXPECT_EQ(Str(p.root["to_status"]), "Failed");
  EXPECT_EQ(int64_t(p.root["snapshot_id"]), 42);
  EXPECT_EQ(Str(p.root["error_message"]), "bad manifest");
  EXPECT_EQ(Str(p.root["snapshot"]["status"]), "Failed");
  // The stored bytes appear unchanged (not re-serialised).
  EXPECT_NE(json.find(e.snapshot_body), std::string::npos);
}

TEST(NotifyBody, JsonUsesNullForWhatIsAbsent) {
  auto e = SampleEvent();
  e.from_status.reset();
  e.trace_id.reset();
  e.error_code.reset();
  e.error_message.reset();
  e.snapshot_body = "not json";
  Parsed p;
  ASSERT_TRUE(Parse(RenderEventJson(e), p));
  for (const char* key : {"from_status", "trace_id", "error_code", "error_message", "snapshot"}) {
    EXPECT_TRUE(p.root[key].is_null()) << key;
  }
}

TEST(NotifyBody, HostileStringsStayValidJsonInEveryFormat) {
  auto e = SampleEvent();
  e.error_message = kHostile;
  e.error_code = kHostile;
  e.key.id = kHostile;
  for (const auto format : {NotifyFormat::kJson, NotifyFormat::kSlack, NotifyFormat::kTeams}) {
    const std::string body = RenderEventBody(format, e);
    Parsed p;
    EXPECT_TRUE(Parse(body, p)) << NotifyFormatName(format);
    EXPECT_EQ(body.find('\n'), std::string::npos) << NotifyFormatName(format);
    EXPECT_EQ(body.find('\0'), std::string::npos) << NotifyFormatName(format);
  }
  Parsed p;
  ASSERT_TRUE(Parse(RenderEventJson(e), p));
  const std::string back = Str(p.root["error_message"]);
  EXPECT_TRUE(back.starts_with("say \"hi\"\\ \n\tline2 \x01\x1f\x7f bad:")) << back;
  EXPECT_NE(back.find("\xef\xbf\xbd"), std::string::npos);  // invalid bytes became U+FFFD
  EXPECT_TRUE(back.ends_with(std::string(1, '\0') + "end"));
}

TEST(NotifyBody, SlackIsAnIncomingWebhookTextMessageWithEscapedMarkup) {
  auto e = SampleEvent();
  e.error_message = "<!channel> & <https://evil.example|click>";
  Parsed p;
  ASSERT_TRUE(Parse(RenderSlackMessage(e), p));
  const std::string text = Str(p.root["text"]);
  EXPECT_NE(text.find("`op-1`"), std::string::npos) << text;
  EXPECT_NE(text.find("*Failed*"), std::string::npos) << text;
  EXPECT_NE(text.find("was Running"), std::string::npos) << text;
  EXPECT_NE(text.find("&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
}

TEST(NotifyBody, TeamsIsAnAdaptiveCardMessage) {
  Parsed p;
  ASSERT_TRUE(Parse(RenderTeamsMessage(SampleEvent()), p));
  EXPECT_EQ(Str(p.root["type"]), "message");
  auto attachment = p.root["attachments"].at(0);
  EXPECT_EQ(Str(attachment["contentType"]), "application/vnd.microsoft.card.adaptive");
  EXPECT_TRUE(attachment["contentUrl"].is_null());
  auto card = attachment["content"];
  EXPECT_EQ(Str(card["$schema"]), "http://adaptivecards.io/schemas/adaptive-card.json");
  EXPECT_EQ(Str(card["type"]), "AdaptiveCard");
  EXPECT_EQ(Str(card["version"]), "1.4");
  auto body = simdjson::dom::array(card["body"]);
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(Str(body.at(0)["type"]), "TextBlock");
  EXPECT_NE(Str(body.at(0)["text"]).find("op-1"), std::string::npos);
  EXPECT_EQ(Str(body.at(1)["type"]), "FactSet");
  std::string facts;
  for (auto f : simdjson::dom::array(body.at(1)["facts"])) {
    facts += Str(f["title"]) + "=" + Str(f["value"]) + ";";
  }
  EXPECT_NE(facts.find("Status=Running -> Failed;"), std::string::npos) << facts;
  EXPECT_NE(facts.find("Error=ImportFailed: bad manifest;"), std::string::npos) << facts;
  EXPECT_NE(facts.find("Event id=blue:42;"), std::string::npos) << facts;
}

TEST(NotifyBody, FormatNamesRoundTrip) {
  for (const auto f : {NotifyFormat::kJson, NotifyFormat::kSlack, NotifyFormat::kTeams}) {
    EXPECT_EQ(ParseNotifyFormat(NotifyFormatName(f)), f);
  }
  EXPECT_EQ(ParseNotifyFormat("JSON"), std::nullopt);
  EXPECT_EQ(ParseNotifyFormat("xml"), std::nullopt);
}

}  // namespace
}  // namespace adu
