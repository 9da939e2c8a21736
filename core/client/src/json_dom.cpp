#include "json_dom.h"

#include "json_depth.h"

namespace adu::client::internal {

Status ParseJson(std::string_view body, int max_depth, ParsedJson& out) {
  if (body.empty()) return Status::Error("empty body");
  if (!WithinJsonDepth(body, max_depth)) {
    return Status::Error("JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }
  thread_local simdjson::dom::parser parser;  // reused: keeps its buffers between bodies
  out.text = simdjson::padded_string(body);
  if (const auto error = parser.parse(out.text).get(out.root)) {
    return Status::Error(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  return Status::Ok();
}

std::optional<simdjson::dom::element> JsonField(simdjson::dom::object obj, std::string_view key) {
  simdjson::dom::element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
  return v;
}

std::optional<std::string_view> JsonStringField(simdjson::dom::object obj, std::string_view key) {
  const auto v = JsonField(obj, key);
  std::string_view text;
  if (!v || v->get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return text;
}

}  // namespace adu::client::internal
