// The codec over cpprest's web::json. Every web::json access is guarded: `at()` and `as_*()`
// throw on a wrong type, so types are checked first and the whole decode runs inside one
// try/catch as a last line of defence.
#include "adu/client/operation_codec.h"

#include <cpprest/json.h>

#include <exception>
#include <string>
#include <system_error>

#include "json_depth.h"

namespace adu::client {
namespace json = web::json;

namespace {

Result<json::value> Parse(std::string_view body) {
  if (body.empty()) return Status::Error("empty body");
  if (!internal::WithinJsonDepth(body, kMaxJsonDepth)) {
    return Status::Error("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  std::error_code ec;
  json::value v = json::value::parse(std::string(body), ec);
  if (ec) return Status::Error("invalid JSON: " + ec.message());
  return v;
}

const json::value* Field(const json::value& obj, const char* key) {
  const auto& o = obj.as_object();
  const auto it = o.find(key);
  return it == o.end() ? nullptr : &it->second;
}

// A string field. Absent or null: `out` untouched, an error only when `required`.
Status GetString(const json::value& obj, const char* key, bool required, std::string& out) {
  const json::value* v = Field(obj, key);
  if (v == nullptr || v->is_null()) {
    if (required) return Status::Error(std::string("missing required field '") + key + "'");
    return Status::Ok();
  }
  if (!v->is_string()) return Status::Error(std::string("field '") + key + "' is not a string");
  out = v->as_string();
  if (required && out.empty()) return Status::Error(std::string("field '") + key + "' is empty");
  return Status::Ok();
}

// `innererror` (Error) or `innerError` (InnerError); the service uses both, tolerate either.
const json::value* InnerOf(const json::value& obj) {
  const json::value* v = Field(obj, "innererror");
  if (v == nullptr || v->is_null()) v = Field(obj, "innerError");
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

Status DecodeInnerChain(const json::value* inner, std::vector<InnerError>& chain) {
  for (int depth = 0; inner != nullptr && depth < kMaxErrorDepth; ++depth) {
    if (!inner->is_object()) return Status::Error("innererror is not an object");
    InnerError e;
    Status s = GetString(*inner, "code", false, e.code);
    if (s) s = GetString(*inner, "message", false, e.message);
    if (s) s = GetString(*inner, "errorDetail", false, e.error_detail);
    if (!s) return Status::Error("innererror: " + s.message());
    chain.push_back(std::move(e));
    inner = InnerOf(*inner);
  }
  return Status::Ok();
}

Status DecodeError(const json::value& v, int depth, ServiceError& out) {
  if (!v.is_object()) return Status::Error("error is not an object");
  Status s = GetString(v, "code", false, out.code);
  if (s) s = GetString(v, "message", false, out.message);
  if (s) s = GetString(v, "target", false, out.target);
  if (s) s = GetString(v, "occurredDateTime", false, out.occurred_at);
  if (!s) return Status::Error("error: " + s.message());
  if (const json::value* details = Field(v, "details"); details != nullptr && !details->is_null()) {
    if (!details->is_array()) return Status::Error("error.details is not an array");
    if (depth < kMaxErrorDepth) {
      for (const auto& d : details->as_array()) {
        ServiceError child;
        if (Status ds = DecodeError(d, depth + 1, child); !ds) {
          return Status::Error("error.details: " + ds.message());
        }
        out.details.push_back(std::move(child));
      }
    }
  }
  return DecodeInnerChain(InnerOf(v), out.inner_chain);
}

Result<Operation> DecodeOperationValue(const json::value& v) {
  if (!v.is_object()) return Status::Error("operation is not a JSON object");
  Operation op;
  Status s = GetString(v, "operationId", true, op.operation_id);
  if (s) s = GetString(v, "status", true, op.status);
  if (s) s = GetString(v, "lastActionDateTime", true, op.last_action_at);
  if (s) s = GetString(v, "createdDateTime", true, op.created_at);
  if (s) s = GetString(v, "etag", false, op.etag);
  if (s) s = GetString(v, "traceId", false, op.trace_id);
  if (s) s = GetString(v, "resourceLocation", false, op.resource_location);
  if (!s) return s;
  if (const json::value* update = Field(v, "update");
      update != nullptr && !update->is_null() && !update->is_object()) {
    return Status::Error("field 'update' is not an object");
  }
  if (const json::value* err = Field(v, "error"); err != nullptr && !err->is_null()) {
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

}  // namespace

Result<Operation> DecodeOperation(std::string_view body) {
  return Guarded([&]() -> Result<Operation> {
    auto v = Parse(body);
    if (!v) return v.status();
    return DecodeOperationValue(*v);
  });
}

Result<ErrorInfo> DecodeServiceError(int http_status, std::string_view content_type,
                                     std::string_view body) {
  (void)http_status;  // both shapes carry what we need; kept for callers' symmetry
  return Guarded([&]() -> Result<ErrorInfo> {
    auto v = Parse(body);
    if (!v) return v.status();
    if (!v->is_object()) return Status::Error("error answer is not a JSON object");
    ErrorInfo info;
    const json::value* err = Field(*v, "error");
    const bool problem = content_type.find("problem+json") != std::string_view::npos;
    if (err != nullptr && err->is_object() && !problem) {
      Status s = GetString(*err, "code", false, info.code);
      if (s) s = GetString(*err, "message", false, info.message);
      if (!s) return s;
      if (info.code.empty() && info.message.empty()) return Status::Error("empty error object");
      return info;
    }
    // RFC 7807, also when the Content-Type is plain application/json.
    std::string type, title, detail, code, message;
    Status s = GetString(*v, "type", false, type);
    if (s) s = GetString(*v, "title", false, title);
    if (s) s = GetString(*v, "detail", false, detail);
    if (s) s = GetString(*v, "code", false, code);
    if (s) s = GetString(*v, "message", false, message);
    if (s) s = GetString(*v, "traceId", false, info.trace_id);
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
  });
}

Result<OperationPage> DecodeOperationPage(std::string_view body) {
  return Guarded([&]() -> Result<OperationPage> {
    auto v = Parse(body);
    if (!v) return v.status();
    if (!v->is_object()) return Status::Error("list page is not a JSON object");
    OperationPage page;
    const json::value* value = Field(*v, "value");
    if (value == nullptr) return Status::Error("missing required field 'value'");
    if (!value->is_array()) return Status::Error("field 'value' is not an array");
    std::string next;
    if (Status s = GetString(*v, "nextLink", false, next); !s) return s;
    if (!next.empty()) page.next_link = std::move(next);
    size_t index = 0;
    for (const auto& item : value->as_array()) {
      auto op = DecodeOperationValue(item);
      if (!op) {
        page.skipped.push_back("item " + std::to_string(index) + ": " + op.error());
      } else {
        ListOutcome::Item out;
        out.etag = op->etag;
        out.body = item.serialize();
        out.operation = std::move(op).value();
        page.items.push_back(std::move(out));
      }
      ++index;
    }
    return page;
  });
}

}  // namespace adu::client
