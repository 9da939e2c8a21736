#include "adu/client/operation_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace adu::client {
namespace {

// A full UpdateOperation as the spec documents it, with every field set.
constexpr char kFull[] = R"({
  "operationId": "e4491c53-5ed2-4ab3-9d2d-9a1b1c6a8b04",
  "status": "Failed",
  "update": {"updateId": {"provider": "Contoso", "name": "Toaster", "version": "1.0"},
             "description": "d", "friendlyName": "f"},
  "resourceLocation": "/deviceUpdate/blue/updates/providers/Contoso/names/Toaster/versions/1.0?api-version=2022-10-01",
  "error": {
    "code": "ImportFailed", "message": "import failed", "target": "manifest",
    "occurredDateTime": "2020-04-22T21:01:43.9401420+00:00",
    "details": [{"code": "D1", "message": "first detail"},
                {"code": "D2", "message": "second detail", "details": [{"code": "D2a", "message": "nested"}]}],
    "innererror": {"code": "Inner1", "message": "m1", "errorDetail": "e1",
      "innerError": {"code": "Inner2", "message": "m2",
        "innererror": {"code": "Inner3", "errorDetail": "e3"}}}
  },
  "traceId": "0af0cf7a4e6c4e4d8b1d4b0fe2e4c111",
  "lastActionDateTime": "2020-04-22T21:01:43.9401420+00:00",
  "createdDateTime": "2020-04-22T21:00:43.9401420+00:00",
  "etag": "\"a0f7b6f2-3f6c-4eb6-8a59-2f5411c23888\""
})";

std::string Minimal(const std::string& extra = "") {
  return R"({"operationId":"op1","status":"Running","lastActionDateTime":"2026-01-01T00:00:00Z",)"
         R"("createdDateTime":"2026-01-01T00:00:00Z")" +
         extra + "}";
}

TEST(OperationCodec, DecodesEveryField) {
  auto op = DecodeOperation(kFull);
  ASSERT_TRUE(op.ok()) << op.error();
  EXPECT_EQ(op->operation_id, "e4491c53-5ed2-4ab3-9d2d-9a1b1c6a8b04");
  EXPECT_EQ(op->status, "Failed");
  EXPECT_EQ(op->etag, "\"a0f7b6f2-3f6c-4eb6-8a59-2f5411c23888\"");
  EXPECT_EQ(op->trace_id, "0af0cf7a4e6c4e4d8b1d4b0fe2e4c111");
  EXPECT_EQ(op->last_action_at, "2020-04-22T21:01:43.940Z");
  EXPECT_EQ(op->created_at, "2020-04-22T21:00:43.940Z");
  EXPECT_EQ(op->resource_location,
            "/deviceUpdate/blue/updates/providers/Contoso/names/Toaster/versions/"
            "1.0?api-version=2022-10-01");
  ASSERT_TRUE(op->error.has_value());
  const ServiceError& e = *op->error;
  EXPECT_EQ(e.code, "ImportFailed");
  EXPECT_EQ(e.message, "import failed");
  EXPECT_EQ(e.target, "manifest");
  EXPECT_EQ(e.occurred_at, "2020-04-22T21:01:43.940Z");
  ASSERT_EQ(e.details.size(), 2u);
  EXPECT_EQ(e.details[0].code, "D1");
  EXPECT_EQ(e.details[0].message, "first detail");
  ASSERT_EQ(e.details[1].details.size(), 1u);
  EXPECT_EQ(e.details[1].details[0].code, "D2a");
  // innererror -> innerError -> innererror: both casings, outermost first.
  ASSERT_EQ(e.inner_chain.size(), 3u);
  EXPECT_EQ(e.inner_chain[0].code, "Inner1");
  EXPECT_EQ(e.inner_chain[0].message, "m1");
  EXPECT_EQ(e.inner_chain[0].error_detail, "e1");
  EXPECT_EQ(e.inner_chain[1].code, "Inner2");
  EXPECT_EQ(e.inner_chain[2].code, "Inner3");
  EXPECT_EQ(e.inner_chain[2].error_detail, "e3");
}

TEST(OperationCodec, InnerErrorCasingAtTheTopLevel) {
  auto op =
      DecodeOperation(Minimal(R"(,"error":{"code":"C","message":"M","innerError":{"code":"I"}})"));
  ASSERT_TRUE(op.ok()) << op.error();
  ASSERT_EQ(op->error->inner_chain.size(), 1u);
  EXPECT_EQ(op->error->inner_chain[0].code, "I");
}

TEST(OperationCodec, MinimalBodyHasNoOptionalFields) {
  auto op = DecodeOperation(Minimal());
  ASSERT_TRUE(op.ok()) << op.error();
  EXPECT_EQ(op->etag, "");
  EXPECT_EQ(op->trace_id, "");
  EXPECT_FALSE(op->error.has_value());
}

TEST(OperationCodec, EachRequiredFieldMissingIsAnError) {
  const std::string all[] = {"operationId", "status", "lastActionDateTime", "createdDateTime"};
  for (const auto& missing : all) {
    std::string body = "{";
    for (const auto& f : all) {
      if (f == missing) continue;
      if (body.size() > 1) body += ",";
      body += "\"" + f + "\":\"x\"";
    }
    body += "}";
    auto op = DecodeOperation(body);
    ASSERT_FALSE(op.ok()) << missing;
    EXPECT_NE(op.error().find(missing), std::string::npos) << op.error();
  }
}

TEST(OperationCodec, WrongTypesAreErrors) {
  for (
      const char* bad :
      {R"({"operationId":1,"status":"Running","lastActionDateTime":"a","createdDateTime":"b"})",
       R"({"operationId":"o","status":["Running"],"lastActionDateTime":"a","createdDateTime":"b"})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":5,"createdDateTime":"b"})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":{}})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","etag":7})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","traceId":true})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","error":"boom"})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","error":{"code":1}})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","error":{"details":{}}})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","error":{"innererror":[]}})",
       R"({"operationId":"o","status":"Running","lastActionDateTime":"a","createdDateTime":"b","update":"x"})",
       R"({"operationId":"","status":"Running","lastActionDateTime":"a","createdDateTime":"b"})"}) {
    EXPECT_FALSE(DecodeOperation(bad).ok()) << bad;
  }
}

TEST(OperationCodec, NotAnObjectTruncatedOrEmptyIsAnError) {
  const std::string full = kFull;
  for (const std::string& bad :
       {std::string(), std::string("   "), std::string("[]"), std::string("\"Running\""),
        std::string("null"), std::string("42"), full.substr(0, full.size() / 2),
        full.substr(0, full.size() - 2), std::string("{\"operationId\":\"o\"")}) {
    EXPECT_FALSE(DecodeOperation(bad).ok()) << bad;
  }
}

TEST(OperationCodec, DeepNestingIsRejectedWithoutRecursingIntoIt) {
  std::string deep = Minimal(",\"x\":" + std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_FALSE(DecodeOperation(deep).ok());
  // Brackets inside strings don't count.
  EXPECT_TRUE(DecodeOperation(Minimal(",\"x\":\"" + std::string(1000, '[') + "\"")).ok());
}

TEST(OperationCodec, UnknownStatusAndUnknownFieldsAreAccepted) {
  auto op = DecodeOperation(Minimal(R"(,"status2":1,"newThing":{"a":[1,2,3]},"traceId":null)"));
  ASSERT_TRUE(op.ok()) << op.error();
  auto odd = DecodeOperation(
      R"({"operationId":"o","status":"Cancelling","lastActionDateTime":"a","createdDateTime":"b"})");
  ASSERT_TRUE(odd.ok()) << odd.error();
  EXPECT_EQ(odd->status, "Cancelling");
}

TEST(ServiceErrorCodec, ErrorObjectShape) {
  auto e = DecodeServiceError(404, "application/json; charset=utf-8",
                              R"({"error":{"code":"OperationNotFound","message":"no such op"}})");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->code, "OperationNotFound");
  EXPECT_EQ(e->message, "no such op");
}

TEST(ServiceErrorCodec, ProblemJsonShape) {
  auto e = DecodeServiceError(
      404, "application/problem+json; charset=utf-8",
      R"({"type":"https://tools.ietf.org/html/rfc7231#section-6.5.4","title":"Not Found","status":404,"traceId":"00-abc-def-00"})");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->code, "https://tools.ietf.org/html/rfc7231#section-6.5.4");
  EXPECT_EQ(e->message, "Not Found");
  EXPECT_EQ(e->trace_id, "00-abc-def-00");

  auto d = DecodeServiceError(500, "application/problem+json",
                              R"({"title":"Server Error","detail":"db down","status":500})");
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->code, "Server Error");
  EXPECT_EQ(d->message, "Server Error: db down");
}

TEST(ServiceErrorCodec, NeitherShapeIsAnError) {
  EXPECT_FALSE(DecodeServiceError(500, "text/html", "<html>oops</html>").ok());
  EXPECT_FALSE(DecodeServiceError(500, "application/json", "").ok());
  EXPECT_FALSE(DecodeServiceError(500, "application/json", "{}").ok());
  EXPECT_FALSE(DecodeServiceError(500, "application/json", R"({"error":{}})").ok());
}

TEST(OperationPageCodec, DecodesItemsAndNextLink) {
  const std::string body =
      R"({"value":[)" + Minimal(R"(,"etag":"\"e1\"")") + "," +
      R"({"operationId":"op2","status":"NotStarted","lastActionDateTime":"a","createdDateTime":"b","etag":"W/\"e2\""})" +
      R"(],"nextLink":"/deviceUpdate/i/management/operations?skipToken=abc"})";
  auto page = DecodeOperationPage(body);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].operation.operation_id, "op1");
  EXPECT_EQ(page->items[0].etag, "\"e1\"");
  EXPECT_EQ(page->items[1].etag, "W/\"e2\"");
  // The item body is that item's JSON, decodable on its own.
  auto again = DecodeOperation(page->items[1].body);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(again->operation_id, "op2");
  EXPECT_EQ(again->etag, "W/\"e2\"");
  EXPECT_EQ(page->next_link, "/deviceUpdate/i/management/operations?skipToken=abc");
  EXPECT_TRUE(page->skipped.empty());
}

TEST(OperationPageCodec, LastPageAndBadItems) {
  auto page = DecodeOperationPage(R"({"value":[{"operationId":"x"}, 5, )" + Minimal() + "]}");
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->skipped.size(), 2u);
  EXPECT_FALSE(page->next_link.has_value());

  auto null_link = DecodeOperationPage(R"({"value":[],"nextLink":null})");
  ASSERT_TRUE(null_link.ok());
  EXPECT_FALSE(null_link->next_link.has_value());
}

// What a list item is stored as: its bytes exactly as they stand in the page. cpprest sorted the
// keys and dropped the whitespace; this page keeps both, and escapes, and odd number forms.
TEST(OperationPageCodec, ItemBodiesAreTheBytesOfThePage) {
  const std::string first = R"({
    "operationId": "op1",
    "status":  "Running",
    "traceId" : "t\u00e9\/x",
    "lastActionDateTime": "2026-06-24T22:53:22Z",
    "createdDateTime": "2026-06-24T22:53:22.002276Z",
    "progress": 1.50e2,
    "etag": "\"e1\""
  })";
  const std::string second =
      R"({"status":"NotStarted","operationId":"op2","createdDateTime":"a","lastActionDateTime":"b"})";
  const std::string body =
      "{ \"value\" :\n  [ " + first + " ,\n\t" + second + "\r\n  ] ,\"nextLink\":null }\n";
  auto page = DecodeOperationPage(body);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].body, first);
  EXPECT_EQ(page->items[1].body, second);
  EXPECT_EQ(page->items[0].operation.trace_id, "t\u00e9/x");
}

// The page's first `value` is the one decoded and stored (never items of two different arrays).
TEST(OperationPageCodec, ARepeatedValueKeyUsesTheFirst) {
  const std::string body = R"({"value":[)" + Minimal() + R"(],"value":[]})";
  auto page = DecodeOperationPage(body);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].body, Minimal());
}

TEST(OperationCodec, TimestampsAreNormalisedToUtcWhateverTheForm) {
  auto op = DecodeOperation(
      R"({"operationId":"o","status":"Failed","createdDateTime":"2026-06-24T22:53:22Z",)"
      R"("lastActionDateTime":"2020-04-22T14:01:43.940142-07:00",)"
      R"("error":{"code":"c","occurredDateTime":"2026-06-24T22:53:22.002276Z"}})");
  ASSERT_TRUE(op.ok()) << op.error();
  EXPECT_EQ(op->created_at, "2026-06-24T22:53:22.000Z");
  EXPECT_EQ(op->last_action_at, "2020-04-22T21:01:43.940Z");
  EXPECT_EQ(op->error->occurred_at, "2026-06-24T22:53:22.002Z");
  // One that does not parse is kept as received (and still required to be present).
  auto odd = DecodeOperation(Minimal().replace(Minimal().find("2026-01-01T00:00:00Z"), 20, "soon"));
  ASSERT_TRUE(odd.ok()) << odd.error();
  EXPECT_EQ(odd->last_action_at, "soon");
}

TEST(OperationPageCodec, MalformedPagesAreErrors) {
  for (const char* bad :
       {"", "[]", "{}", R"({"value":{}})", R"({"value":[],"nextLink":3})", R"({"value":[)"}) {
    EXPECT_FALSE(DecodeOperationPage(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace adu::client

namespace adu::client {
namespace {

// Untrusted bytes never crash the decoders: deterministic mutations of valid documents (byte
// flips, truncations, insertions of JSON punctuation) run under ASan/UBSan.
TEST(CodecRobustness, MutatedDocumentsNeverCrash) {
  const std::string seeds[] = {kFull, R"({"value":[)" + std::string(kFull) + R"(],"nextLink":"x"})",
                               R"({"type":"t","title":"T","status":404,"traceId":"x"})"};
  const char kPunct[] = "{}[]\":,\\0-eE.nul";
  uint32_t rng = 12345;
  auto next = [&rng] {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
  };
  int decoded = 0;
  for (const auto& seed : seeds) {
    for (int i = 0; i < 1500; ++i) {
      std::string s = seed;
      const int edits = 1 + static_cast<int>(next() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        const size_t pos = next() % s.size();
        switch (next() % 4) {
          case 0:
            s[pos] = static_cast<char>(next() & 0xff);
            break;
          case 1:
            s.resize(pos);
            break;
          case 2:
            s.insert(pos, 1, kPunct[next() % (sizeof kPunct - 1)]);
            break;
          default:
            s.erase(pos, 1 + next() % 8);
            break;
        }
      }
      decoded += DecodeOperation(s).ok();
      decoded += DecodeOperationPage(s).ok();
      decoded += DecodeServiceError(500, "application/problem+json", s).ok();
    }
  }
  EXPECT_GT(decoded, 0);  // some mutations stay valid: the loop really exercised the decoders
}

}  // namespace
}  // namespace adu::client
