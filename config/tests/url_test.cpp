#include "url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adu/config/config.h"

namespace adu::config {
namespace {

using internal::NormalizeBaseUrl;
using internal::NormalizeIdentityEndpoint;
using ::testing::HasSubstr;

TEST(IsLoopbackHost, AcceptsTheLoopbackRangesAndLocalhost) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "[::1]",
                           "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost", "LocalHost"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
}

TEST(IsLoopbackHost, RefusesEverythingElse) {
  for (const char* host : {"128.0.0.1", "126.255.255.255", "10.0.0.1", "169.254.169.254", "::2",
                           "[::2]", "localhost.example.com", "127.0.0.1.nip.io", "0127.0.0.1",
                           "127.1", "", "[]", "::ffff:10.0.0.1", "mylocalhost"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

std::string Base(std::string_view text) {
  auto r = NormalizeBaseUrl(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : "";
}
std::string BaseErr(std::string_view text) {
  auto r = NormalizeBaseUrl(text);
  EXPECT_FALSE(r.ok()) << text << " accepted as " << (r.ok() ? *r : "");
  return r.ok() ? "" : r.error();
}

TEST(NormalizeBaseUrl, BareHostMeansHttps) {
  EXPECT_EQ(Base("contoso.api.adu.microsoft.com"), "https://contoso.api.adu.microsoft.com");
  EXPECT_EQ(Base("contoso.example:8443"), "https://contoso.example:8443");
  // A bare loopback host is https too: http must be asked for explicitly.
  EXPECT_EQ(Base("localhost:8080"), "https://localhost:8080");
}

TEST(NormalizeBaseUrl, NormalisesCaseAndTrailingSlash) {
  EXPECT_EQ(Base("HTTPS://Contoso.API.adu.microsoft.com/"),
            "https://contoso.api.adu.microsoft.com");
  EXPECT_EQ(Base("http://127.0.0.1:08080"), "http://127.0.0.1:8080");
  EXPECT_EQ(Base("http://[::1]:8080/"), "http://[::1]:8080");
  EXPECT_EQ(Base("http://localhost"), "http://localhost");
}

TEST(NormalizeBaseUrl, HttpOnlyToLoopback) {
  EXPECT_EQ(Base("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
  EXPECT_EQ(Base("http://127.9.9.9:1"), "http://127.9.9.9:1");
  EXPECT_THAT(BaseErr("http://contoso.api.adu.microsoft.com"),
              HasSubstr("http:// is only allowed to a loopback host"));
  EXPECT_THAT(BaseErr("http://169.254.169.254"), HasSubstr("only allowed to a loopback host"));
  EXPECT_THAT(BaseErr("http://10.0.0.1:8080"), HasSubstr("only allowed to a loopback host"));
}

TEST(NormalizeBaseUrl, RefusesPathQueryFragmentUserInfo) {
  EXPECT_THAT(BaseErr("https://contoso.example/deviceupdate"), HasSubstr("has a path"));
  EXPECT_THAT(BaseErr("contoso.example/x"), HasSubstr("has a path"));
  EXPECT_THAT(BaseErr("https://contoso.example//"), HasSubstr("has a path"));
  EXPECT_THAT(BaseErr("https://contoso.example?x=1"), HasSubstr("has a query"));
  EXPECT_THAT(BaseErr("https://contoso.example/?x=1"), HasSubstr("has a query"));
  EXPECT_THAT(BaseErr("https://contoso.example#top"), HasSubstr("has a fragment"));
  EXPECT_THAT(BaseErr("https://user:pw@contoso.example"), HasSubstr("user info"));
  EXPECT_THAT(BaseErr("https://user@contoso.example"), HasSubstr("user info"));
}

TEST(NormalizeBaseUrl, RefusesOtherSchemesAndMalformedHosts) {
  EXPECT_THAT(BaseErr("ftp://contoso.example"), HasSubstr("scheme \"ftp\""));
  EXPECT_THAT(BaseErr("file:///etc/passwd"), HasSubstr("scheme \"file\""));
  EXPECT_THAT(BaseErr("https://"), HasSubstr("no host"));
  EXPECT_THAT(BaseErr("https://:8080"), HasSubstr("no host"));
  EXPECT_THAT(BaseErr("https://a..b"), HasSubstr("not a valid host name"));
  EXPECT_THAT(BaseErr("https://con toso"), HasSubstr("not a valid host name"));
  EXPECT_THAT(BaseErr("https://contoso:0"), HasSubstr("not a port"));
  EXPECT_THAT(BaseErr("https://contoso:65536"), HasSubstr("not a port"));
  EXPECT_THAT(BaseErr("https://contoso:http"), HasSubstr("not a port"));
  EXPECT_THAT(BaseErr("https://contoso:"), HasSubstr("port is empty"));
  EXPECT_THAT(BaseErr("http://::1:8080"), HasSubstr("in brackets"));
  EXPECT_THAT(BaseErr("http://[::1"), HasSubstr("unterminated"));
  EXPECT_THAT(BaseErr("http://[nope]:80"), HasSubstr("not an IPv6 address"));
}

TEST(NormalizeIdentityEndpoint, ImdsAndLoopbackOverHttp) {
  EXPECT_EQ(*NormalizeIdentityEndpoint("http://169.254.169.254/metadata/identity/oauth2/token"),
            "http://169.254.169.254/metadata/identity/oauth2/token");
  EXPECT_EQ(*NormalizeIdentityEndpoint("http://169.254.169.254:80/metadata/identity/oauth2/token"),
            "http://169.254.169.254:80/metadata/identity/oauth2/token");
  EXPECT_EQ(*NormalizeIdentityEndpoint("HTTP://LOCALHOST:40342/metadata/identity/oauth2/token"),
            "http://localhost:40342/metadata/identity/oauth2/token");
  EXPECT_EQ(*NormalizeIdentityEndpoint("https://identity.example/msi/token"),
            "https://identity.example/msi/token");
}

TEST(NormalizeIdentityEndpoint, RefusesOtherHttpHostsQueryAndBareHosts) {
  EXPECT_THAT(NormalizeIdentityEndpoint("http://169.254.169.253/token").error(),
              HasSubstr("169.254.169.254"));
  EXPECT_THAT(NormalizeIdentityEndpoint("http://169.254.169.254:8080/token").error(),
              HasSubstr("only allowed to a loopback host or to the instance metadata service"));
  EXPECT_THAT(NormalizeIdentityEndpoint("http://identity.example/token").error(),
              HasSubstr("use https://"));
  EXPECT_THAT(NormalizeIdentityEndpoint("http://127.0.0.1/token?api-version=1").error(),
              HasSubstr("has a query"));
  EXPECT_THAT(NormalizeIdentityEndpoint("169.254.169.254/token").error(),
              HasSubstr("write it with its scheme"));
  EXPECT_THAT(NormalizeIdentityEndpoint("http://u@127.0.0.1/token").error(),
              HasSubstr("user info"));
}

}  // namespace
}  // namespace adu::config
