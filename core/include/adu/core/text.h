// ASCII text helpers shared by every part (config, client, transports, domain). Locale-free:
// they only fold or test the ASCII letters and spaces, whatever the process locale says, because
// the things compared here (header names, status words, URL schemes and hosts) are ASCII tokens.
#pragma once

#include <string>
#include <string_view>

namespace adu {

// True when `a` and `b` have the same length and differ at most in the case of ASCII letters.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `text` with ASCII upper-case letters lowered; every other byte unchanged.
std::string ToLower(std::string_view text);

// True for ' ', '\t', '\n', '\v', '\f' and '\r'.
bool IsAsciiSpace(char c);

// `text` without leading and trailing ASCII spaces (a view into `text`).
std::string_view TrimSpace(std::string_view text);

// `text` in double quotes with `"`, `\` and control bytes escaped (\xNN), so an error message that
// quotes user input stays one line whatever the input holds.
std::string Quote(std::string_view text);

}  // namespace adu
