// Rendering of `status` and `history`: aligned tables for a terminal, or JSON.
#include "render.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace adu::daemon {
namespace {

using storage::History;
using storage::OperationRow;

// ---- text helpers --------------------------------------------------------------------------

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  unsigned min;
  unsigned cp;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// A JSON string literal; invalid UTF-8 becomes U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

// A terminal-safe cell: control characters and invalid UTF-8 become '?', so a hostile or broken
// status string cannot move the cursor or break the alignment.
std::string Cell(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      out += '?';
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;  // code points, not bytes
  return w;
}

// "2026-11-27T08:26:56.005Z" -> "2026-11-27 08:26:56" for the status table; other text as is.
std::string ShortTime(const std::optional<std::string>& t) {
  if (!t) return "-";
  if (t->size() == 24 && (*t)[10] == 'T' && (*t)[23] == 'Z') {
    std::string s = t->substr(0, 19);
    s[10] = ' ';
    return s;
  }
  return Cell(*t);
}

std::string OrDash(const std::optional<std::string>& t) { return t ? Cell(*t) : "-"; }

class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }

  std::string Render(std::string_view indent = "") const {
    std::vector<size_t> width(headers_.size());
    for (size_t c = 0; c < headers_.size(); ++c) width[c] = DisplayWidth(headers_[c]);
    for (const auto& row : rows_) {
      for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
        width[c] = std::max(width[c], DisplayWidth(row[c]));
      }
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string l(indent);
      for (size_t c = 0; c < cells.size(); ++c) {
        l += cells[c];
        if (c + 1 < cells.size()) l.append(width[c] - DisplayWidth(cells[c]) + 2, ' ');
      }
      out += l + "\n";
    };
    line(headers_);
    for (const auto& row : rows_) line(row);
    return out;
  }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// ---- JSON object builder -----------------------------------------------------------------

class JsonObject {
 public:
  JsonObject& Str(std::string_view key, const std::optional<std::string>& v) {
    Key(key);
    if (v) {
      AppendJsonString(out_, *v);
    } else {
      out_ += "null";
    }
    return *this;
  }
  JsonObject& Int(std::string_view key, std::optional<int64_t> v) {
    Key(key);
    out_ += v ? std::to_string(*v) : "null";
    return *this;
  }
  JsonObject& Raw(std::string_view key, std::string_view json) {
    Key(key);
    out_.append(json);
    return *this;
  }
  std::string Done() { return out_ + "}"; }

 private:
  void Key(std::string_view key) {
    out_ += first_ ? "" : ",";
    first_ = false;
    AppendJsonString(out_, key);
    out_ += ':';
  }
  std::string out_ = "{";
  bool first_ = true;
};

std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += items[i];
  }
  return out + "]";
}

JsonObject OpJson(const storage::OperationRow& r) {
  JsonObject o;
  o.Str("operation_id", r.operation_id)
      .Str("kind", r.kind)
      .Str("status", r.status)
      .Str("etag", r.etag);
  o.Str("state", r.state)
      .Str("origin", r.origin)
      .Str("first_seen_at", r.first_seen_at)
      .Str("last_polled_at", r.last_polled_at);
  o.Str("last_changed_at", r.last_changed_at).Str("next_poll_at", r.next_poll_at);
  o.Int("polls", r.polls).Int("not_modified", r.not_modified).Int("errors", r.errors);
  o.Str("last_error", r.last_error);
  return o;
}

std::string TransitionsJson(const History& h) {
  std::vector<std::string> items;
  for (const auto& t : h.transitions) {
    items.push_back(JsonObject()
                        .Str("from_status", t.from_status)
                        .Str("to_status", t.to_status)
                        .Str("at", t.at)
                        .Done());
  }
  return JsonArray(items);
}

std::string SnapshotsJson(const History& h) {
  std::vector<std::string> items;
  for (const auto& s : h.snapshots) {
    JsonObject o;
    o.Int("id", s.id).Str("observed_at", s.observed_at).Str("status", s.status);
    o.Str("etag", s.etag).Str("created_at", s.created_at).Str("last_action_at", s.last_action_at);
    o.Str("error_code", s.error_code).Str("error_message", s.error_message);
    o.Str("trace_id", s.trace_id).Str("body", s.body);
    items.push_back(o.Done());
  }
  return JsonArray(items);
}

std::string PollErrorsJson(const History& h) {
  std::vector<std::string> items;
  for (const auto& e : h.poll_errors) {
    JsonObject o;
    o.Int("id", e.id).Str("at", e.at).Str("category", e.category).Int("http_status", e.http_status);
    o.Str("code", e.code).Str("message", e.message);
    items.push_back(o.Done());
  }
  return JsonArray(items);
}

std::string SummaryText(const OperationRow& op) {
  std::string out = Cell(op.kind) + " operation " + Cell(op.operation_id) + "\n";
  Table summary({"", ""});
  summary.Add({"status", OrDash(op.status)});
  summary.Add({"state", Cell(op.state)});
  summary.Add({"origin", Cell(op.origin)});
  summary.Add({"etag", OrDash(op.etag)});
  summary.Add({"first seen", OrDash(op.first_seen_at)});
  summary.Add({"last poll", OrDash(op.last_polled_at)});
  summary.Add({"last change", OrDash(op.last_changed_at)});
  summary.Add({"next poll", OrDash(op.next_poll_at)});
  summary.Add({"polls", std::to_string(op.polls) + " (" + std::to_string(op.not_modified) +
                            " unchanged, " + std::to_string(op.errors) + " failed)"});
  summary.Add({"last error", OrDash(op.last_error)});
  std::string s = summary.Render("  ");
  return out + s.substr(s.find('\n') + 1);  // no header line for the summary
}

std::string TransitionsText(const History& h) {
  Table t({"AT (UTC)", "FROM", "TO"});
  for (const auto& tr : h.transitions) {
    t.Add({OrDash(tr.at), OrDash(tr.from_status), OrDash(tr.to_status)});
  }
  return "\nTransitions\n" + (h.transitions.empty() ? std::string("  (none)\n") : t.Render("  "));
}

std::string SnapshotsText(const History& h) {
  Table sn({"ID", "OBSERVED (UTC)", "STATUS", "LAST ACTION (UTC)", "ERROR", "TRACE ID"});
  for (const auto& x : h.snapshots) {
    std::string err = x.error_code ? Cell(*x.error_code) : "-";
    if (x.error_message) err += ": " + Cell(*x.error_message);
    sn.Add({std::to_string(x.id), OrDash(x.observed_at), OrDash(x.status), OrDash(x.last_action_at),
            err, OrDash(x.trace_id)});
  }
  return "\nSnapshots\n" + (h.snapshots.empty() ? std::string("  (none)\n") : sn.Render("  "));
}

std::string PollErrorsText(const History& h) {
  const auto& errors = h.poll_errors;
  std::string out = "\nPoll errors";
  if (errors.size() > kShownPollErrors) {
    out += " (newest " + std::to_string(kShownPollErrors) + " of " + std::to_string(errors.size()) +
           ")";
  }
  out += "\n";
  Table er({"AT (UTC)", "CATEGORY", "HTTP", "CODE", "MESSAGE"});
  const size_t first = errors.size() > kShownPollErrors ? errors.size() - kShownPollErrors : 0;
  for (size_t i = first; i < errors.size(); ++i) {
    const auto& e = errors[i];
    er.Add({OrDash(e.at), OrDash(e.category), e.http_status ? std::to_string(*e.http_status) : "-",
            OrDash(e.code), OrDash(e.message)});
  }
  return out + (errors.empty() ? std::string("  (none)\n") : er.Render("  "));
}

}  // namespace

std::string RenderStatusTable(const std::vector<OperationRow>& ops) {
  Table table({"ID", "KIND", "STATUS", "STATE", "ORIGIN", "LAST CHANGE (UTC)", "LAST POLL (UTC)",
               "ERRORS"});
  for (const auto& op : ops) {
    table.Add({Cell(op.operation_id), Cell(op.kind), OrDash(op.status), Cell(op.state),
               Cell(op.origin), ShortTime(op.last_changed_at), ShortTime(op.last_polled_at),
               std::to_string(op.errors)});
  }
  std::string out = table.Render();
  if (ops.empty()) out += "(no operations in the database yet)\n";
  return out;
}

std::string RenderStatusJson(const std::vector<OperationRow>& ops) {
  std::vector<std::string> items;
  for (const auto& op : ops) items.push_back(OpJson(op).Done());
  return JsonArray(items) + "\n";
}

std::string RenderHistoryText(const History& h) {
  return SummaryText(h.operation) + TransitionsText(h) + SnapshotsText(h) + PollErrorsText(h);
}

std::string RenderHistoryJson(const History& h) {
  JsonObject o = OpJson(h.operation);
  o.Raw("transitions", TransitionsJson(h)).Raw("snapshots", SnapshotsJson(h));
  o.Raw("poll_errors", PollErrorsJson(h));
  return o.Done() + "\n";
}

}  // namespace adu::daemon
