#include "adu/client/retry_after.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace adu::client {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Fixed-width decimal field; false unless exactly `s.size()` digits.
bool ParseFixed(std::string_view s, int& out) {
  if (!AllDigits(s)) return false;
  out = 0;
  for (char c : s) out = out * 10 + (c - '0');
  return true;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (exactly 29 characters). In seconds, not
// WallTime: system_clock counts nanoseconds and overflows past the year 2262 (found by fuzzing).
std::optional<std::chrono::sys_seconds> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29) return std::nullopt;
  bool day_ok = false;
  for (auto d : kDays) day_ok = day_ok || s.substr(0, 3) == d;
  if (!day_ok || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  int month = 0;
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = static_cast<int>(i) + 1;
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (month == 0 || !ParseFixed(s.substr(5, 2), day) || !ParseFixed(s.substr(12, 4), year) ||
      !ParseFixed(s.substr(17, 2), hour) || !ParseFixed(s.substr(20, 2), minute) ||
      !ParseFixed(s.substr(23, 2), second)) {
    return std::nullopt;
  }
  // Second 60 is a leap second; accept it like the next second.
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(day)};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second);
}

}  // namespace

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, WallTime now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (AllDigits(value)) {
    uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    (void)ptr;
    if (ec == std::errc::result_out_of_range) return kMaxRetryAfter;
    if (ec != std::errc()) return std::nullopt;
    if (n > static_cast<uint64_t>(kMaxRetryAfter.count())) return kMaxRetryAfter;
    return std::chrono::seconds(static_cast<int64_t>(n));
  }
  const auto date = ParseImfFixdate(value);
  if (!date) return std::nullopt;
  // Whole seconds from the start of the current second: a fraction of a second already elapsed
  // rounds the wait up, so the client never comes back early.
  const auto wait = *date - std::chrono::floor<std::chrono::seconds>(now);
  if (wait <= std::chrono::seconds(0)) return std::chrono::seconds(0);
  return wait > kMaxRetryAfter ? kMaxRetryAfter : std::chrono::seconds(wait.count());
}

}  // namespace adu::client
