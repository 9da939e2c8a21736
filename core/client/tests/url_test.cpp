#include "url.h"

#include <gtest/gtest.h>

namespace adu::client::internal {
namespace {

TEST(Url, ParsesOriginsAndPaths) {
  auto u = ParseAbsoluteUrl("HTTPS://Host.Example.com/a/b?c=d#frag");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "host.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path_query, "/a/b?c=d");
  EXPECT_EQ(u->Origin(), "https://host.example.com");

  auto v6 = ParseAbsoluteUrl("http://[::1]:8080");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->path_query, "/");
  EXPECT_EQ(v6->Origin(), "http://[::1]:8080");

  EXPECT_EQ(ParseAbsoluteUrl("http://h:80?x=1")->Origin(), "http://h");
  EXPECT_EQ(ParseAbsoluteUrl("http://h:80?x=1")->path_query, "/?x=1");
}

TEST(Url, RejectsWhatItCannotSafelyUse) {
  for (const char* bad :
       {"", "host", "ftp://h/", "http://", "http:///x", "http://u:p@h/", "http://h:0/",
        "http://h:65536/", "http://h:x/", "http://h:/", "http://[::1/", "http://h st/"}) {
    EXPECT_FALSE(ParseAbsoluteUrl(bad).has_value()) << bad;
  }
}

TEST(Url, PercentEncodeAndQueryParams) {
  EXPECT_EQ(PercentEncode("a b/c'~"), "a%20b%2Fc%27~");
  EXPECT_EQ(PercentEncode("a b/c'~", "'"), "a%20b%2Fc'~");
  EXPECT_EQ(PercentEncode("\xff"), "%FF");
  EXPECT_TRUE(HasQueryParam("/p?x=1&api-version=2", "api-version"));
  EXPECT_TRUE(HasQueryParam("/p?api-version", "api-version"));
  EXPECT_FALSE(HasQueryParam("/p?xapi-version=2", "api-version"));
  EXPECT_FALSE(HasQueryParam("/api-version", "api-version"));
}

}  // namespace
}  // namespace adu::client::internal
