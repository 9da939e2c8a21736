// Rendering of `status` and `history`: aligned tables for a terminal, or JSON.
#include "render.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "adu/core/json_object.h"
#include "adu/core/text.h"

namespace adu::daemon {
namespace {

using storage::History;
using storage::OperationRow;

// ---- text helpers --------------------------------------------------------------------------

// Appends the terminal-safe form of `s` to *out (when out is not null) and returns its display
// width, in one pass: control characters and invalid UTF-8 become '?', so a hostile or broken
// status string cannot move the cursor or break the alignment. Printable ASCII, the bulk of
// every cell, is appended in runs.
size_t AppendCell(std::string* out, std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size();) {
    size_t run = i;
    while (run < s.size() && static_cast<unsigned char>(s[run]) >= 0x20 &&
           static_cast<unsigned char>(s[run]) < 0x7F) {
      ++run;
    }
    if (out) out->append(s.data() + i, run - i);
    width += run - i;
    if (run == s.size()) break;
    i = run;
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      if (out) *out += '?';
      ++i;
    } else {
      if (out) out->append(s.substr(i, n));
      i += n;
    }
    ++width;  // one code point either way
  }
  return width;
}

std::string Cell(std::string_view s) {
  std::string out;
  AppendCell(&out, s);
  return out;
}

size_t DisplayWidth(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;  // code points, not bytes
  return w;
}

// AppendCell of the cell "-" when `t` is NULL.
size_t AppendOrDash(std::string* out, const std::optional<std::string>& t) {
  if (t) return AppendCell(out, *t);
  if (out) *out += '-';
  return 1;
}

// "2026-11-27T08:26:56.005Z" -> "2026-11-27 08:26:56" for the status table; other text as a
// cell; AppendCell's contract.
size_t AppendShortTime(std::string* out, const std::optional<std::string>& t) {
  if (!t || t->size() != 24 || (*t)[10] != 'T' || (*t)[23] != 'Z') return AppendOrDash(out, t);
  char shortened[19];
  std::copy_n(t->data(), 19, shortened);
  shortened[10] = ' ';
  const std::string_view text(shortened, sizeof shortened);
  if (out) out->append(text);
  return DisplayWidth(text);
}

size_t AppendNumber(std::string* out, int64_t n) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  if (out) out->append(buf, end);
  return static_cast<size_t>(end - buf);
}

std::string OrDash(const std::optional<std::string>& t) { return t ? Cell(*t) : "-"; }

// A table written straight from its rows: each column is a header and a function appending a
// row's cell (AppendCell's contract: measure only when out is null). Two passes (the widths,
// then the text into one buffer) and no string per cell: `status` has tens of thousands of rows.
template <typename Row>
struct Column {
  std::string_view header;
  size_t (*cell)(std::string* out, const Row& row);
};

template <typename Row, size_t N>
std::string RenderColumns(const std::vector<Row>& rows, const Column<Row> (&columns)[N]) {
  size_t width[N];
  size_t line_bytes = 1;
  for (size_t c = 0; c < N; ++c) {
    width[c] = DisplayWidth(columns[c].header);
    for (const Row& row : rows) width[c] = std::max(width[c], columns[c].cell(nullptr, row));
    line_bytes += width[c] + 2;
  }
  std::string out;
  out.reserve((rows.size() + 1) * line_bytes);
  auto pad = [&](size_t c, size_t w) {
    if (c + 1 < N) {
      out.append(width[c] - w + 2, ' ');
    } else {
      out += '\n';
    }
  };
  for (size_t c = 0; c < N; ++c) {
    out.append(columns[c].header);
    pad(c, DisplayWidth(columns[c].header));
  }
  for (const Row& row : rows) {
    for (size_t c = 0; c < N; ++c) pad(c, columns[c].cell(&out, row));
  }
  return out;
}

// Cells are kept flat with their display widths (measured once), and rendered into one buffer:
// `status` renders tens of thousands of rows.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : columns_(headers.size()) {
    Add(std::move(headers));
  }
  void Add(std::vector<std::string> row) {
    row.resize(columns_);
    for (auto& cell : row) {
      widths_.push_back(DisplayWidth(cell));
      bytes_ += cell.size();
      cells_.push_back(std::move(cell));
    }
  }
  bool empty() const { return cells_.size() == columns_; }

  std::string Render(std::string_view indent = "") const {
    std::vector<size_t> width(columns_);
    for (size_t i = 0; i < cells_.size(); ++i) {
      width[i % columns_] = std::max(width[i % columns_], widths_[i]);
    }
    size_t line_width = indent.size() + 1;
    for (size_t w : width) line_width += w + 2;
    std::string out;
    out.reserve(bytes_ + (cells_.size() / columns_) * line_width);
    for (size_t i = 0; i < cells_.size(); ++i) {
      const size_t c = i % columns_;
      if (c == 0) out += indent;
      out += cells_[i];
      if (c + 1 < columns_) {
        out.append(width[c] - widths_[i] + 2, ' ');
      } else {
        out += '\n';
      }
    }
    return out;
  }

 private:
  size_t columns_;
  std::vector<std::string> cells_;  // the header row first, then each row's, row by row
  std::vector<size_t> widths_;      // DisplayWidth of each cell
  size_t bytes_ = 0;
};

// Every `operations` column, under its name.
void AddOperationFields(JsonObject& o, const storage::OperationRow& r) {
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
  static constexpr Column<OperationRow> kColumns[] = {
      {"ID",
       [](std::string* out, const OperationRow& op) { return AppendCell(out, op.operation_id); }},
      {"KIND", [](std::string* out, const OperationRow& op) { return AppendCell(out, op.kind); }},
      {"STATUS",
       [](std::string* out, const OperationRow& op) { return AppendOrDash(out, op.status); }},
      {"STATE", [](std::string* out, const OperationRow& op) { return AppendCell(out, op.state); }},
      {"ORIGIN",
       [](std::string* out, const OperationRow& op) { return AppendCell(out, op.origin); }},
      {"LAST CHANGE (UTC)",
       [](std::string* out, const OperationRow& op) {
         return AppendShortTime(out, op.last_changed_at);
       }},
      {"LAST POLL (UTC)",
       [](std::string* out, const OperationRow& op) {
         return AppendShortTime(out, op.last_polled_at);
       }},
      {"ERRORS",
       [](std::string* out, const OperationRow& op) { return AppendNumber(out, op.errors); }},
  };
  std::string out = RenderColumns(ops, kColumns);
  if (ops.empty()) out += "(no operations in the database yet)\n";
  return out;
}

std::string RenderStatusJson(const std::vector<OperationRow>& ops) {
  std::string out = "[";
  out.reserve(ops.size() * 400 + 3);  // an object is about 350 bytes
  for (size_t i = 0; i < ops.size(); ++i) {
    if (i) out += ',';
    JsonObject o(out);
    AddOperationFields(o, ops[i]);
    o.Done();
  }
  out += "]\n";
  return out;
}

std::string RenderHistoryText(const History& h) {
  return SummaryText(h.operation) + TransitionsText(h) + SnapshotsText(h) + PollErrorsText(h);
}

std::string RenderHistoryJson(const History& h) {
  JsonObject o;
  AddOperationFields(o, h.operation);
  o.Raw("transitions", TransitionsJson(h)).Raw("snapshots", SnapshotsJson(h));
  o.Raw("poll_errors", PollErrorsJson(h));
  return o.Done() + "\n";
}

}  // namespace adu::daemon
