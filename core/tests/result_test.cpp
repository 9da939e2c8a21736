// Status and Result: the code says what kind of failure it is, the message says why.
#include "adu/core/result.h"

#include <gtest/gtest.h>

#include <string>

namespace adu {
namespace {

TEST(StatusTest, OkHasNoCodeAndNoMessage) {
  const Status ok = Status::Ok();
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(ok.code(), StatusCode::kOk);
  EXPECT_EQ(ok.message(), "");
  EXPECT_TRUE(Status().ok());
}

TEST(StatusTest, EachConstructorSetsItsCodeAndOnlyItsPredicate) {
  struct Case {
    Status status;
    StatusCode code;
    bool (Status::*predicate)() const;
  };
  const Case cases[] = {
      {Status::Config("m"), StatusCode::kConfig, &Status::IsConfig},
      {Status::NotFound("m"), StatusCode::kNotFound, &Status::IsNotFound},
      {Status::Busy("m"), StatusCode::kBusy, &Status::IsBusy},
      {Status::Corrupt("m"), StatusCode::kCorrupt, &Status::IsCorrupt},
      {Status::Incompatible("m"), StatusCode::kIncompatible, &Status::IsIncompatible},
      {Status::Io("m"), StatusCode::kIo, &Status::IsIo},
      {Status::ReadOnly("m"), StatusCode::kReadOnly, &Status::IsReadOnly},
      {Status::Internal("m"), StatusCode::kInternal, &Status::IsInternal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(StatusCodeName(c.code)));
    EXPECT_FALSE(c.status.ok());
    EXPECT_EQ(c.status.code(), c.code);
    EXPECT_EQ(c.status.message(), "m");
    for (const Case& other : cases) {
      EXPECT_EQ((c.status.*other.predicate)(), other.code == c.code);
    }
  }
}

TEST(StatusTest, ErrorIsTheGenericFailure) {
  const Status st = Status::Error("database is locked");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kError);
  EXPECT_FALSE(st.IsBusy());  // only a producer that knows says busy
  EXPECT_EQ(st.message(), "database is locked");
  EXPECT_FALSE(Status::Error("").ok());  // an empty message is still a failure
}

TEST(StatusTest, WithCodeOfReclassifiesFailuresOnly) {
  const Status st = Status::Error("cannot read /run/secret: Permission denied");
  const Status config = st.WithCodeOf(StatusCode::kConfig);
  EXPECT_TRUE(config.IsConfig());
  EXPECT_EQ(config.message(), st.message());
  EXPECT_TRUE(Status::Ok().WithCodeOf(StatusCode::kConfig).ok());
}

TEST(ResultTest, CarriesTheStatusCode) {
  Result<int> r = Status::NotFound("no such operation");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_EQ(r.error(), "no such operation");
  Result<int> v = 7;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
}

}  // namespace
}  // namespace adu
