#include "adu/core/domain.h"

#include <gtest/gtest.h>

namespace adu {
namespace {

TEST(DomainTest, NamesRoundTrip) {
  for (auto kind : {OperationKind::kDevice, OperationKind::kUpdate}) {
    EXPECT_EQ(ParseKind(KindName(kind)), kind);
  }
  for (auto state : {OperationState::kActive, OperationState::kTerminal, OperationState::kNotFound,
                     OperationState::kUnwatched}) {
    EXPECT_EQ(ParseState(StateName(state)), state);
  }
  EXPECT_EQ(StateName(OperationState::kNotFound), "not_found");
  EXPECT_EQ(CategoryName(ErrorCategory::kThrottled), "throttled");
  EXPECT_EQ(ParseKind("Device"), std::nullopt);
}

TEST(DomainTest, TerminalStatusIsCaseInsensitive) {
  EXPECT_TRUE(IsTerminalStatus("Succeeded"));
  EXPECT_TRUE(IsTerminalStatus("failed"));
  EXPECT_FALSE(IsTerminalStatus("Running"));
  EXPECT_FALSE(IsTerminalStatus("Cancelled"));
  EXPECT_TRUE(IsKnownStatus("NotStarted"));
  EXPECT_FALSE(IsKnownStatus("notstarted"));
}

}  // namespace
}  // namespace adu
