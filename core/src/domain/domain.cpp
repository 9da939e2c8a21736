#include "adu/core/domain.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "adu/core/text.h"

namespace adu {
namespace {

template <typename Enum, size_t N>
std::optional<Enum> Lookup(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 2> kKindNames = {"device", "update"};
constexpr std::array<std::string_view, 4> kStateNames = {"active", "terminal", "not_found",
                                                         "unwatched"};
constexpr std::array<std::string_view, 3> kOriginNames = {"config", "watch_file", "discovered"};
constexpr std::array<std::string_view, 6> kCategoryNames = {"http",  "network", "timeout",
                                                            "parse", "auth",    "throttled"};

}  // namespace

std::string_view KindName(OperationKind kind) { return kKindNames[static_cast<size_t>(kind)]; }
std::optional<OperationKind> ParseKind(std::string_view name) {
  return Lookup<OperationKind>(kKindNames, name);
}

std::string_view StateName(OperationState state) { return kStateNames[static_cast<size_t>(state)]; }
std::optional<OperationState> ParseState(std::string_view name) {
  return Lookup<OperationState>(kStateNames, name);
}

std::string_view OriginName(OperationOrigin origin) {
  return kOriginNames[static_cast<size_t>(origin)];
}
std::optional<OperationOrigin> ParseOrigin(std::string_view name) {
  return Lookup<OperationOrigin>(kOriginNames, name);
}

std::string_view CategoryName(ErrorCategory category) {
  return kCategoryNames[static_cast<size_t>(category)];
}
std::optional<ErrorCategory> ParseCategory(std::string_view name) {
  return Lookup<ErrorCategory>(kCategoryNames, name);
}

bool IsTerminalStatus(std::string_view status) {
  return EqualsIgnoreCase(status, "Succeeded") || EqualsIgnoreCase(status, "Failed");
}

bool IsKnownStatus(std::string_view status) {
  return status == "NotStarted" || status == "Running" || status == "Succeeded" ||
         status == "Failed";
}

}  // namespace adu
