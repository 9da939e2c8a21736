// The duration syntax of the configuration: "250ms", "30s", "5m", "1h", "90d", "1m30s", "1.5s".
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

#include "adu/config/config.h"
#include "text.h"

namespace adu::config {
namespace {

using internal::Quote;

constexpr std::string_view kExamples = "(examples: 500ms, 30s, 5m)";

struct Unit {
  std::string_view name;
  int64_t ms;
};
// Largest first: a combination must list its units in this order, each at most once.
constexpr std::array<Unit, 5> kUnits = {
    {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status Bad(std::string_view text, std::string_view why) {
  return Status::Error(Quote(text) + " is not a duration: " + std::string(why));
}

}  // namespace

Result<Duration> ParseDuration(std::string_view input) {
  const std::string_view text = TrimSpace(input);
  if (text.empty()) return Status::Error("empty duration " + std::string(kExamples));
  if (text.front() == '-') return Bad(text, "it is negative");
  if (text.front() == '+') return Bad(text, "write it without a sign " + std::string(kExamples));
  if (!IsDigit(text.front()) && text.front() != '.') {
    return Status::Error(Quote(text) + " is not a duration " + std::string(kExamples));
  }

  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits: units must come largest first
  size_t i = 0;
  while (i < text.size()) {
    // A number: digits, optionally a '.' and more digits.
    const size_t number_start = i;
    int64_t whole = 0;
    bool overflow = false;
    while (i < text.size() && IsDigit(text[i])) {
      overflow |= __builtin_mul_overflow(whole, 10, &whole);
      overflow |= __builtin_add_overflow(whole, text[i] - '0', &whole);
      ++i;
    }
    int64_t fraction = 0;
    int64_t fraction_scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      const size_t fraction_start = i;
      while (i < text.size() && IsDigit(text[i])) {
        if (i - fraction_start >= 9) return Bad(text, "too many decimal places");
        fraction = fraction * 10 + (text[i] - '0');
        fraction_scale *= 10;
        ++i;
      }
      if (i == fraction_start) return Bad(text, "a digit must follow the decimal point");
    }
    if (i == number_start || (i == number_start + 1 && text[number_start] == '.')) {
      return Bad(text, "expected a number at " + Quote(text.substr(number_start)));
    }

    // Its unit.
    const size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit_name = text.substr(unit_start, i - unit_start);
    if (unit_name.empty()) {
      if (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
        return Bad(text, "no space is allowed inside a duration " + std::string(kExamples));
      }
      if (i < text.size()) return Bad(text, "unexpected " + Quote(text.substr(i, 1)));
      return Bad(text, "the unit is missing (ms, s, m, h or d) " + std::string(kExamples));
    }
    size_t u = 0;
    while (u < kUnits.size() && kUnits[u].name != unit_name) ++u;
    if (u == kUnits.size()) {
      return Bad(text, "unknown unit " + Quote(unit_name) + " (use ms, s, m, h or d)");
    }
    if (u < next_unit) {
      return Bad(text, "units must go from the largest to the smallest, each at most once");
    }
    next_unit = u + 1;

    const int64_t unit_ms = kUnits[u].ms;
    int64_t part = 0;
    overflow |= __builtin_mul_overflow(whole, unit_ms, &part);
    // fraction < 10^9 and unit_ms < 10^8: the product fits in 63 bits.
    const int64_t fraction_ms_scaled = fraction * unit_ms;
    if (fraction_ms_scaled % fraction_scale != 0) {
      return Bad(text, "it is not a whole number of milliseconds");
    }
    overflow |= __builtin_add_overflow(part, fraction_ms_scaled / fraction_scale, &part);
    overflow |= __builtin_add_overflow(total, part, &total);
    if (overflow) return Bad(text, "it is too large");
  }
  return Duration(total);
}

std::string FormatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    // Negating INT64_MIN would overflow; such a value never comes from the parser.
    ms = ms == INT64_MIN ? INT64_MAX : -ms;
  }
  for (const Unit& unit : kUnits) {
    const int64_t n = ms / unit.ms;
    if (n > 0) {
      out += std::to_string(n);
      out += unit.name;
      ms -= n * unit.ms;
    }
  }
  return out;
}

}  // namespace adu::config
