// metrics.listen and metrics.textfile: syntax, normalisation, positions, the summary line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"

namespace adu::config {
namespace {

using testing::ConfigFixture;
using ::testing::HasSubstr;
using testing::kMinimal;

class MetricsConfigTest : public ConfigFixture {
 protected:
  Config WithMetrics(const std::string& body) {
    return Ok(std::string(kMinimal) + "metrics:\n" + body);
  }
  std::string ErrorWithMetrics(const std::string& body) {
    return Error(std::string(kMinimal) + "metrics:\n" + body);
  }
};

TEST_F(MetricsConfigTest, OffWhenAbsent) {
  const Config c = Ok(kMinimal);
  EXPECT_FALSE(c.metrics.listen.has_value());
  EXPECT_FALSE(c.metrics.textfile.has_value());
  EXPECT_THAT(Summary(c), HasSubstr("no endpoint, no textfile"));
}

TEST_F(MetricsConfigTest, ListenAcceptsIpv4Ipv6AndLocalhost) {
  auto c = WithMetrics("  listen: 127.0.0.1:9469\n");
  ASSERT_TRUE(c.metrics.listen.has_value());
  EXPECT_EQ(c.metrics.listen->host, "127.0.0.1");
  EXPECT_EQ(c.metrics.listen->port, 9469);
  EXPECT_EQ(c.metrics.listen_origin, dir_.File("config.yaml") + ":6:11");
  EXPECT_THAT(Summary(c), HasSubstr("endpoint http://127.0.0.1:9469/metrics"));

  c = WithMetrics("  listen: \"[::1]:9469\"\n");
  EXPECT_EQ(c.metrics.listen->host, "::1");
  EXPECT_EQ(c.metrics.listen->ToString(), "[::1]:9469");
  EXPECT_EQ(WithMetrics("  listen: LocalHost:80\n").metrics.listen->host, "127.0.0.1");
  EXPECT_EQ(WithMetrics("  listen: 0.0.0.0:9469\n").metrics.listen->ToString(), "0.0.0.0:9469");
  EXPECT_EQ(WithMetrics("  listen: 127.0.0.1:0\n").metrics.listen->port, 0);
}

TEST_F(MetricsConfigTest, ListenThatIsNotHostPortIsRefusedWithItsPosition) {
  EXPECT_EQ(ErrorWithMetrics("  listen: 9469\n"),
            "config.yaml:6:11: metrics.listen: \"9469\": expected HOST:PORT with HOST an IP "
            "address or localhost (examples: 127.0.0.1:9469, [::1]:9469, 0.0.0.0:9469)");
  EXPECT_THAT(ErrorWithMetrics("  listen: 127.0.0.1:99999\n"),
              HasSubstr("config.yaml:6:11: metrics.listen: \"127.0.0.1:99999\": the port must be "
                        "a number from 0 to 65535, not \"99999\""));
  EXPECT_THAT(ErrorWithMetrics("  listen: \"127.0.0.1:\"\n"), HasSubstr("the port must be"));
  EXPECT_THAT(ErrorWithMetrics("  listen: 127.0.0.1:http\n"), HasSubstr("the port must be"));
  EXPECT_THAT(ErrorWithMetrics("  listen: prometheus.example:9469\n"),
              HasSubstr("\"prometheus.example\" is not an IP address"));
  EXPECT_THAT(ErrorWithMetrics("  listen: 300.1.1.1:9469\n"), HasSubstr("is not an IP address"));
  EXPECT_THAT(ErrorWithMetrics("  listen: \"::1:9469\"\n"),
              HasSubstr("an IPv6 address needs brackets"));
  EXPECT_THAT(ErrorWithMetrics("  listen: \"[::1\"\n"), HasSubstr("missing \"]\""));
  EXPECT_THAT(ErrorWithMetrics("  listen: \"[nope]:1\"\n"), HasSubstr("is not an IPv6 address"));
  EXPECT_THAT(ErrorWithMetrics("  listen: [1, 2]\n"), HasSubstr("metrics.listen"));
}

TEST_F(MetricsConfigTest, TextfileIsResolvedAndMustBeAPromFile) {
  auto c = WithMetrics("  textfile: /var/lib/prometheus/node-exporter/adu_opwatch.prom\n");
  EXPECT_EQ(c.metrics.textfile, "/var/lib/prometheus/node-exporter/adu_opwatch.prom");
  EXPECT_EQ(c.metrics.textfile_origin, dir_.File("config.yaml") + ":6:13");
  EXPECT_EQ(WithMetrics("  textfile: out/a.prom\n").metrics.textfile, dir_.File("out/a.prom"));
  EXPECT_EQ(ErrorWithMetrics("  textfile: /tmp/adu.txt\n"),
            "config.yaml:6:13: metrics.textfile: \"/tmp/adu.txt\": the file name must end in "
            ".prom (node_exporter's textfile collector reads only those)");
  EXPECT_THAT(ErrorWithMetrics("  textfile: /tmp/.prom\n"), HasSubstr("must end in .prom"));
}

TEST_F(MetricsConfigTest, UnknownKeysAndMisplacedKeys) {
  EXPECT_THAT(ErrorWithMetrics("  port: 9469\n"), HasSubstr("metrics.port: unknown key"));
  EXPECT_THAT(Error(std::string(kMinimal) + "listen: 127.0.0.1:9469\n"),
              HasSubstr("did you mean metrics.listen?"));
}

TEST(ParseListenAddressTest, RoundTrips) {
  for (const char* text : {"127.0.0.1:9469", "[::1]:1", "0.0.0.0:65535", "[::]:0"}) {
    auto a = ParseListenAddress(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.error();
    EXPECT_EQ(a->ToString(), text);
  }
}

}  // namespace
}  // namespace adu::config
