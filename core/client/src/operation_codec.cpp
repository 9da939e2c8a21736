// The codec over simdjson 3 (Debian's libsimdjson-dev). The whole body is validated by the DOM
// parser (UTF-8, every number and literal) before anything is read; a list page is then walked a
// second time with the on-demand parser, whose `raw_json()` gives each item's bytes exactly as
// they stand in the page, so a list item is stored byte for byte like a GET body. Both parsers
// return error codes: nothing here throws (Guarded() is the last line of defence for bad_alloc).
#include "adu/client/operation_codec.h"

#include <simdjson.h>

#include <exception>
#include <string>

#include "adu/core/time_format.h"
#include "json_dom.h"

namespace adu::client {
namespace dom = simdjson::dom;
namespace ondemand = simdjson::ondemand;

namespace {

using internal::JsonField;
using Parsed = internal::ParsedJson;

Status Parse(std::string_view body, Parsed& out) {
  return internal::ParseJson(body, kMaxJsonDepth, out);
}

// A string field. Absent or null: `out` untouched, an error only when `required`.
Status GetString(dom::object obj, std::string_view key, bool required, std::string& out) {
  const auto v = JsonField(obj, key);
  if (!v) {
    if (required) return Status::Error("missing required field '" + std::string(key) + "'");
    return Status::Ok();
  }
  std::string_view text;
  if (v->get_string().get(text) != simdjson::SUCCESS) {
    return Status::Error("field '" + std::string(key) + "' is not a string");
  }
  out.assign(text);
  if (required && out.empty()) return Status::Error("field '" + std::string(key) + "' is empty");
  return Status::Ok();
}

// A timestamp field, normalised here once for every consumer (FormatTimestamp's UTC form); one
// that does not parse is kept as received.
Status GetTimestamp(dom::object obj, std::string_view key, bool required, std::string& out) {
  Status s = GetString(obj, key, required, out);
  if (s && !out.empty()) out = NormalizeTimestamp(out);
  return s;
}

// `innererror` (Error) or `innerError` (InnerError); the service uses both, tolerate either.
std::optional<dom::element> InnerOf(dom::object obj) {
  auto v = JsonField(obj, "innererror");
  if (!v) v = JsonField(obj, "innerError");
  return v;
}

Status DecodeInnerChain(std::optional<dom::element> inner, std::vector<InnerError>& chain) {
  for (int depth = 0; inner && depth < kMaxErrorDepth; ++depth) {
    dom::object obj;
    if (inner->get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Error("innererror is not an object");
    }
    InnerError e;
    Status s = GetString(obj, "code", false, e.code);
    if (s) s = GetString(obj, "message", false, e.message);
    if (s) s = GetString(obj, "errorDetail", false, e.error_detail);
    if (!s) return Status::Error("innererror: " + s.message());
    chain.push_back(std::move(e));
    inner = InnerOf(obj);
  }
  return Status::Ok();
}

Status DecodeError(dom::element v, int depth, ServiceError& out) {
  dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) return Status::Error("error is not an object");
  Status s = GetString(obj, "code", false, out.code);
  if (s) s = GetString(obj, "message", false, out.message);
  if (s) s = GetString(obj, "target", false, out.target);
  if (s) s = GetTimestamp(obj, "occurredDateTime", false, out.occurred_at);
  if (!s) return Status::Error("error: " + s.message());
  if (const auto details = JsonField(obj, "details")) {
    dom::array list;
    if (details->get_array().get(list) != simdjson::SUCCESS) {
      return Status::Error("error.details is not an array");
    }
    if (depth < kMaxErrorDepth) {
      for (dom::element d : list) {
        ServiceError child;
        if (Status ds = DecodeError(d, depth + 1, child); !ds) {
          return Status::Error("error.details: " + ds.message());
        }
        out.details.push_back(std::move(child));
      }
    }
  }
  return DecodeInnerChain(InnerOf(obj), out.inner_chain);
}

Result<Operation> DecodeOperationValue(dom::element v) {
  dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::Error("operation is not a JSON object");
  }
  Operation op;
  Status s = GetString(obj, "operationId", true, op.operation_id);
  if (s) s = GetString(obj, "status", true, op.status);
  if (s) s = GetTimestamp(obj, "lastActionDateTime", true, op.last_action_at);
  if (s) s = GetTimestamp(obj, "createdDateTime", true, op.created_at);
  if (s) s = GetString(obj, "etag", false, op.etag);
  if (s) s = GetString(obj, "traceId", false, op.trace_id);
  if (s) s = GetString(obj, "resourceLocation", false, op.resource_location);
  if (!s) return s;
  if (const auto update = JsonField(obj, "update"); update && !update->is_object()) {
    return Status::Error("field 'update' is not an object");
  }
  if (const auto err = JsonField(obj, "error")) {
    ServiceError e;
    if (Status es = DecodeError(*err, 0, e); !es) return es;
    op.error = std::move(e);
  }
  return op;
}

template <typename F>
auto Guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::Error(std::string("invalid JSON: ") + e.what());
  }
}

bool JsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The bytes of each element of the page's `value` array, in order, as they stand in the page
// (an element that is not an object gets an empty span: DecodeOperationValue rejects it anyway).
// `text` was validated by Parse, so a failure here is an internal inconsistency.
Status ItemSpans(const simdjson::padded_string& text, std::vector<std::string_view>& spans) {
  thread_local ondemand::parser parser;
  ondemand::document doc;
  ondemand::object page;
  if (parser.iterate(text).get(doc) || doc.get_object().get(page)) {
    return Status::Error("list page: cannot walk the validated page");
  }
  for (auto field : page) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::Error("list page: unreadable key");
    if (key != "value") continue;  // skipped unread, like the DOM's first-match lookup
    ondemand::array items;
    if (field.value().get_array().get(items)) return Status::Error("list page: no array");
    for (auto item : items) {
      ondemand::object obj;
      std::string_view raw;
      if (item.get_object().get(obj) || obj.raw_json().get(raw)) {
        spans.emplace_back();
        continue;
      }
      // raw_json() runs up to the next token: the whitespace before it is not the item's.
      while (!raw.empty() && JsonSpace(raw.back())) raw.remove_suffix(1);
      spans.push_back(raw);
    }
    return Status::Ok();
  }
  return Status::Error("list page: no 'value'");
}

}  // namespace

Result<Operation> DecodeOperation(std::string_view body) {
  return Guarded([&]() -> Result<Operation> {
    Parsed parsed;
    if (Status s = Parse(body, parsed); !s) return s;
    return DecodeOperationValue(parsed.root);
  });
}

namespace {

Result<ErrorInfo> DecodeProblem(dom::object obj) {
  // RFC 7807, also when the Content-Type is plain application/json.
  ErrorInfo info;
  std::string type, title, detail, code, message;
  Status s = GetString(obj, "type", false, type);
  if (s) s = GetString(obj, "title", false, title);
  if (s) s = GetString(obj, "detail", false, detail);
  if (s) s = GetString(obj, "code", false, code);
  if (s) s = GetString(obj, "message", false, message);
  if (s) s = GetString(obj, "traceId", false, info.trace_id);
  if (!s) return s;
  if (!title.empty() && !detail.empty()) {
    info.message = title + ": " + detail;
  } else {
    info.message = !detail.empty() ? detail : !title.empty() ? title : message;
  }
  if (!code.empty()) {
    info.code = code;
  } else if (!type.empty() && type != "about:blank") {
    info.code = type;
  } else {
    info.code = title;
  }
  if (info.code.empty() && info.message.empty()) {
    return Status::Error("neither an error object nor a problem document");
  }
  return info;
}

}  // namespace

Result<ErrorInfo> DecodeServiceError(int http_status, std::string_view content_type,
                                     std::string_view body) {
  (void)http_status;  // both shapes carry what we need; kept for callers' symmetry
  return Guarded([&]() -> Result<ErrorInfo> {
    Parsed parsed;
    if (Status s = Parse(body, parsed); !s) return s;
    dom::object obj;
    if (parsed.root.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Error("error answer is not a JSON object");
    }
    const auto err = JsonField(obj, "error");
    const bool problem = content_type.find("problem+json") != std::string_view::npos;
    dom::object err_obj;
    if (err && err->get_object().get(err_obj) == simdjson::SUCCESS && !problem) {
      ErrorInfo info;
      Status s = GetString(err_obj, "code", false, info.code);
      if (s) s = GetString(err_obj, "message", false, info.message);
      if (!s) return s;
      if (info.code.empty() && info.message.empty()) return Status::Error("empty error object");
      return info;
    }
    return DecodeProblem(obj);
  });
}

Result<OperationPage> DecodeOperationPage(std::string_view body) {
  return Guarded([&]() -> Result<OperationPage> {
    Parsed parsed;
    if (Status s = Parse(body, parsed); !s) return s;
    dom::object obj;
    if (parsed.root.get_object().get(obj) != simdjson::SUCCESS) {
      return Status::Error("list page is not a JSON object");
    }
    dom::element value;
    if (obj.at_key("value").get(value) != simdjson::SUCCESS) {
      return Status::Error("missing required field 'value'");
    }
    dom::array items;
    if (value.get_array().get(items) != simdjson::SUCCESS) {
      return Status::Error("field 'value' is not an array");
    }
    OperationPage page;
    std::string next;
    if (Status s = GetString(obj, "nextLink", false, next); !s) return s;
    if (!next.empty()) page.next_link = std::move(next);
    std::vector<std::string_view> spans;
    if (Status s = ItemSpans(parsed.text, spans); !s) return s;
    if (spans.size() != items.size()) return Status::Error("list page: item count mismatch");
    size_t index = 0;
    for (dom::element item : items) {
      auto op = DecodeOperationValue(item);
      if (!op) {
        page.skipped.push_back("item " + std::to_string(index) + ": " + op.error());
      } else {
        ListOutcome::Item out;
        out.etag = op->etag;
        out.body.assign(spans[index]);
        out.operation = std::move(op).value();
        page.items.push_back(std::move(out));
      }
      ++index;
    }
    return page;
  });
}

}  // namespace adu::client
