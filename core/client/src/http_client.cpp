#include "adu/client/http_client.h"

#include "adu/core/text.h"

namespace adu::client {

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

bool IsSafeHeaderText(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::optional<std::string> UnsafeHeaderReason(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !IsSafeHeaderText(name) || !IsSafeHeaderText(value) ||
        name.find_first_of(" :\t") != std::string::npos) {
      return "header '" + (IsSafeHeaderText(name) ? name : std::string("?")) +
             "' has an invalid name or a CR/LF/NUL in its value";
    }
  }
  return std::nullopt;
}

}  // namespace adu::client
