#include "adu/storage/report.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sqlite_util.h"

namespace adu::storage {
namespace {

using internal::DbError;
using internal::DbPtr;
using internal::Query;

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

std::optional<int64_t> OptInt(const Query& q, int col) {
  if (q.IsNull(col)) return std::nullopt;
  return q.Int(col);
}

// ---- the read-only connection ------------------------------------------------------------

class Reader {
 public:
  static Result<Reader> Open(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status::Error("database " + path + " does not exist (has the daemon run yet?)");
    }
    sqlite3* raw = nullptr;
    const std::string uri = internal::FileUri(path, "mode=ro");
    const int rc =
        sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) return Status::Error(DbError(path, raw, rc, "cannot open read-only"));
    // The daemon holds the write lock only for short transactions; wait for it briefly.
    sqlite3_busy_timeout(db.get(), 5000);
    Reader r(path, std::move(db));
    // One read transaction for the whole report, so its parts are consistent with each other.
    if (internal::Exec(r.db(), "BEGIN") != SQLITE_OK) {
      return Status::Error(DbError(path, r.db(), "cannot start a read transaction"));
    }
    int vrc = SQLITE_OK;
    auto version = internal::QueryInt(r.db(), "PRAGMA user_version", &vrc);
    if (!version) return Status::Error(DbError(path, r.db(), vrc, "cannot read the schema"));
    if (*version < 1) {
      return Status::Error("database " + path + " has no adu-opwatch schema (user_version " +
                           std::to_string(*version) + ")");
    }
    return r;
  }

  sqlite3* db() const { return db_.get(); }

  // Runs `sql` with `bind`, calling `row` per result row.
  Status Each(const char* sql, const std::function<void(Query&)>& bind,
              const std::function<void(const Query&)>& row) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db(), sql, -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Status::Error(DbError(path_, db(), rc, "cannot query"));
    }
    {
      Query q(stmt);
      bind(q);
      while ((rc = q.Step()) == SQLITE_ROW) row(q);
    }
    if (rc != SQLITE_DONE) {
      Status st = Status::Error(DbError(path_, db(), rc, "cannot query"));
      sqlite3_finalize(stmt);
      return st;
    }
    sqlite3_finalize(stmt);
    return Status::Ok();
  }

 private:
  Reader(std::string path, DbPtr db) : path_(std::move(path)), db_(std::move(db)) {}
  std::string path_;
  DbPtr db_;
};

constexpr const char* kOperationColumns =
    "SELECT operation_id, kind, status, etag, state, first_seen_at, last_polled_at, "
    "last_changed_at, next_poll_at, polls, not_modified, errors, last_error FROM operations ";

struct OpRow {
  std::string id, kind;
  std::optional<std::string> status, etag;
  std::string state;
  std::optional<std::string> first_seen, last_polled, last_changed, next_poll;
  int64_t polls = 0, not_modified = 0, errors = 0;
  std::optional<std::string> last_error;
};

OpRow ReadOp(const Query& q) {
  OpRow r;
  r.id = q.TextOr(0, "");
  r.kind = q.TextOr(1, "");
  r.status = q.Text(2);
  r.etag = q.Text(3);
  r.state = q.TextOr(4, "");
  r.first_seen = q.Text(5);
  r.last_polled = q.Text(6);
  r.last_changed = q.Text(7);
  r.next_poll = q.Text(8);
  r.polls = q.Int(9);
  r.not_modified = q.Int(10);
  r.errors = q.Int(11);
  r.last_error = q.Text(12);
  return r;
}

JsonObject OpJson(const OpRow& r) {
  JsonObject o;
  o.Str("operation_id", r.id).Str("kind", r.kind).Str("status", r.status).Str("etag", r.etag);
  o.Str("state", r.state).Str("first_seen_at", r.first_seen).Str("last_polled_at", r.last_polled);
  o.Str("last_changed_at", r.last_changed).Str("next_poll_at", r.next_poll);
  o.Int("polls", r.polls).Int("not_modified", r.not_modified).Int("errors", r.errors);
  o.Str("last_error", r.last_error);
  return o;
}

}  // namespace

Result<std::string> RenderStatus(const std::string& db_path, bool json) {
  auto reader = Reader::Open(db_path);
  if (!reader) return reader.status();
  std::vector<OpRow> ops;
  const std::string sql = std::string(kOperationColumns) + "ORDER BY kind, operation_id";
  Status st = reader->Each(
      sql.c_str(), [](Query&) {}, [&](const Query& q) { ops.push_back(ReadOp(q)); });
  if (!st.ok()) return st;

  if (json) {
    std::vector<std::string> items;
    for (const auto& op : ops) items.push_back(OpJson(op).Done());
    return JsonArray(items) + "\n";
  }
  Table table({"ID", "KIND", "STATUS", "STATE", "LAST CHANGE (UTC)", "LAST POLL (UTC)", "ERRORS"});
  for (const auto& op : ops) {
    table.Add({Cell(op.id), Cell(op.kind), OrDash(op.status), Cell(op.state),
               ShortTime(op.last_changed), ShortTime(op.last_polled), std::to_string(op.errors)});
  }
  std::string out = table.Render();
  if (ops.empty()) out += "(no operations in the database yet)\n";
  return out;
}

Result<std::string> RenderHistory(const std::string& db_path, const OperationKey& key, bool json,
                                  bool any_kind) {
  auto reader = Reader::Open(db_path);
  if (!reader) return reader.status();

  std::vector<OpRow> matches;
  const std::string kind(KindName(key.kind));
  const std::string sql = std::string(kOperationColumns) +
                          "WHERE operation_id = ?1 AND (?2 OR kind = ?3) ORDER BY kind";
  Status st = reader->Each(
      sql.c_str(),
      [&](Query& q) { q.Bind(1, key.id).Bind(2, int64_t{any_kind ? 1 : 0}).Bind(3, kind); },
      [&](const Query& q) { matches.push_back(ReadOp(q)); });
  if (!st.ok()) return st;
  if (matches.empty()) {
    return Status::Error(
        "operation " + key.id + " is not in the database" +
        (any_kind ? std::string()
                  : std::string(key.kind == OperationKind::kUpdate ? " as an " : " as a ") + kind +
                        " operation") +
        " (" + db_path + ")");
  }
  if (matches.size() > 1) {
    return Status::Error("operation " + key.id +
                         " is both a device and an update operation; choose one with --kind");
  }
  const OpRow& op = matches.front();
  auto bind_key = [&](Query& q) { q.Bind(1, op.kind).Bind(2, op.id); };

  struct Transition {
    std::optional<std::string> from, to, at;
  };
  std::vector<Transition> transitions;
  st = reader->Each(
      "SELECT from_status, to_status, at FROM transitions WHERE kind = ?1 AND operation_id = ?2 "
      "ORDER BY snapshot_id",
      bind_key, [&](const Query& q) {
        transitions.push_back({q.Text(0), q.Text(1), q.Text(2)});
      });
  if (!st.ok()) return st;

  struct SnapshotRow {
    int64_t id;
    std::optional<std::string> observed_at, status, etag, created_at, last_action_at, error_code,
        error_message, trace_id, body;
  };
  std::vector<SnapshotRow> snapshots;
  st = reader->Each(
      "SELECT id, observed_at, status, etag, created_at, last_action_at, error_code, "
      "error_message, trace_id, body FROM snapshots WHERE kind = ?1 AND operation_id = ?2 "
      "ORDER BY id",
      bind_key, [&](const Query& q) {
        snapshots.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                             q.Text(6), q.Text(7), q.Text(8), q.Text(9)});
      });
  if (!st.ok()) return st;

  struct ErrorRow {
    int64_t id;
    std::optional<std::string> at, category;
    std::optional<int64_t> http_status;
    std::optional<std::string> code, message;
  };
  std::vector<ErrorRow> errors;
  st = reader->Each(
      "SELECT id, at, category, http_status, code, message FROM poll_errors "
      "WHERE kind = ?1 AND operation_id = ?2 ORDER BY id",
      bind_key, [&](const Query& q) {
        errors.push_back({q.Int(0), q.Text(1), q.Text(2), OptInt(q, 3), q.Text(4), q.Text(5)});
      });
  if (!st.ok()) return st;

  if (json) {
    std::vector<std::string> t_items, s_items, e_items;
    for (const auto& t : transitions) {
      t_items.push_back(
          JsonObject().Str("from_status", t.from).Str("to_status", t.to).Str("at", t.at).Done());
    }
    for (const auto& s : snapshots) {
      JsonObject o;
      o.Int("id", s.id).Str("observed_at", s.observed_at).Str("status", s.status);
      o.Str("etag", s.etag).Str("created_at", s.created_at).Str("last_action_at", s.last_action_at);
      o.Str("error_code", s.error_code).Str("error_message", s.error_message);
      o.Str("trace_id", s.trace_id).Str("body", s.body);
      s_items.push_back(o.Done());
    }
    for (const auto& e : errors) {
      JsonObject o;
      o.Int("id", e.id)
          .Str("at", e.at)
          .Str("category", e.category)
          .Int("http_status", e.http_status);
      o.Str("code", e.code).Str("message", e.message);
      e_items.push_back(o.Done());
    }
    JsonObject o = OpJson(op);
    o.Raw("transitions", JsonArray(t_items)).Raw("snapshots", JsonArray(s_items));
    o.Raw("poll_errors", JsonArray(e_items));
    return o.Done() + "\n";
  }

  std::string out = Cell(op.kind) + " operation " + Cell(op.id) + "\n";
  Table summary({"", ""});
  summary.Add({"status", OrDash(op.status)});
  summary.Add({"state", Cell(op.state)});
  summary.Add({"etag", OrDash(op.etag)});
  summary.Add({"first seen", OrDash(op.first_seen)});
  summary.Add({"last poll", OrDash(op.last_polled)});
  summary.Add({"last change", OrDash(op.last_changed)});
  summary.Add({"next poll", OrDash(op.next_poll)});
  summary.Add({"polls", std::to_string(op.polls) + " (" + std::to_string(op.not_modified) +
                            " unchanged, " + std::to_string(op.errors) + " failed)"});
  summary.Add({"last error", OrDash(op.last_error)});
  std::string s = summary.Render("  ");
  out += s.substr(s.find('\n') + 1);  // no header line for the summary

  out += "\nTransitions\n";
  Table t({"AT (UTC)", "FROM", "TO"});
  for (const auto& tr : transitions) t.Add({OrDash(tr.at), OrDash(tr.from), OrDash(tr.to)});
  out += transitions.empty() ? "  (none)\n" : t.Render("  ");

  out += "\nSnapshots\n";
  Table sn({"ID", "OBSERVED (UTC)", "STATUS", "LAST ACTION (UTC)", "ERROR", "TRACE ID"});
  for (const auto& x : snapshots) {
    std::string err = x.error_code ? Cell(*x.error_code) : "-";
    if (x.error_message) err += ": " + Cell(*x.error_message);
    sn.Add({std::to_string(x.id), OrDash(x.observed_at), OrDash(x.status), OrDash(x.last_action_at),
            err, OrDash(x.trace_id)});
  }
  out += snapshots.empty() ? "  (none)\n" : sn.Render("  ");

  constexpr size_t kShownErrors = 20;
  out += "\nPoll errors";
  if (errors.size() > kShownErrors) {
    out +=
        " (newest " + std::to_string(kShownErrors) + " of " + std::to_string(errors.size()) + ")";
  }
  out += "\n";
  Table er({"AT (UTC)", "CATEGORY", "HTTP", "CODE", "MESSAGE"});
  const size_t first = errors.size() > kShownErrors ? errors.size() - kShownErrors : 0;
  for (size_t i = first; i < errors.size(); ++i) {
    const auto& e = errors[i];
    er.Add({OrDash(e.at), OrDash(e.category), e.http_status ? std::to_string(*e.http_status) : "-",
            OrDash(e.code), OrDash(e.message)});
  }
  out += errors.empty() ? "  (none)\n" : er.Render("  ");
  return out;
}

}  // namespace adu::storage
