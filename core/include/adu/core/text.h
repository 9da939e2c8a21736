// Text helpers shared by every part (config, client, transports, domain, notifications).
// Locale-free: they only fold or test the ASCII letters and spaces, whatever the process locale
// says, because the things compared here (header names, status words, URL schemes and hosts) are
// ASCII tokens.
#pragma once

#include <cstddef>
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

// Length of the valid UTF-8 sequence starting at text[i] (1-4), or 0 when it is not valid
// (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short).
size_t Utf8SequenceLength(std::string_view text, size_t i);

// Appends `text` to `out` as a JSON string literal: `"` `\` and control bytes escaped, invalid
// UTF-8 replaced by U+FFFD, so whatever `text` holds (untrusted service or receiver strings) the
// output is valid JSON.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace adu
