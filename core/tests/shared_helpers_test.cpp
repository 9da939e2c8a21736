// The helpers every part shares (adu/core/text.h, file_util.h, url.h): their contracts as the
// config loader, the client, the transports and the daemon rely on them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "adu/core/file_util.h"
#include "adu/core/text.h"
#include "adu/core/url.h"
#include "adu/testing/temp_dir.h"

namespace adu {
namespace {

TEST(Text, EqualsIgnoreCaseFoldsOnlyAsciiLetters) {
  EXPECT_TRUE(EqualsIgnoreCase("Content-Type", "content-TYPE"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("Succeeded", "Succeede"));
  EXPECT_FALSE(EqualsIgnoreCase("a-b", "a_b"));
  EXPECT_FALSE(EqualsIgnoreCase("\xc3\xa9", "\xc3\x89"));  // é vs É: not ASCII, not folded
  EXPECT_EQ(ToLower("HTTPS://Host:80"), "https://host:80");
}

TEST(Text, JsonStringEscapesControlBytesAndReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\n\x01\x7f\xc3\xa9\xff\xc3", 12));
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001\u007f)"
                 "\xc3\xa9"
                 R"(\ufffd\ufffd")");
  EXPECT_EQ(Utf8SequenceLength("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xc0\x80", 0), 0u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xed\xa0\x80", 0), 0u);  // a surrogate
}

TEST(Text, TrimSpaceAndQuote) {
  EXPECT_EQ(TrimSpace(" \t token\r\n"), "token");
  EXPECT_EQ(TrimSpace("\n\v\f "), "");
  EXPECT_EQ(Quote("a\"b\\c\nd"), R"("a\"b\\c\x0ad")");
}

TEST(RedactedUrl, ShowsSchemeHostAndPortOnly) {
  EXPECT_EQ(RedactedUrl("https://hooks.slack.com/services/T0/B0/XYZ"), "https://hooks.slack.com");
  EXPECT_EQ(RedactedUrl("http://127.0.0.1:8080/a?b=c#d"), "http://127.0.0.1:8080");
  EXPECT_EQ(RedactedUrl("https://[::1]:9/x"), "https://[::1]:9");
  EXPECT_EQ(RedactedUrl("not a url/with/secret"), "(invalid URL)");
}

TEST(FileUtil, ReadsARegularFileAndStampsIt) {
  testing::TempDir dir;
  const std::string path = dir.Write("f", "hello");
  FileStamp seen;
  auto r = ReadSmallFile(path, 5, &seen);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->data, "hello");
  EXPECT_TRUE(S_ISREG(r->mode));
  EXPECT_TRUE(seen.exists);
  EXPECT_EQ(seen, r->stamp);
  EXPECT_EQ(seen, StampOf(path));
}

TEST(FileUtil, RefusesLargerFilesFifosAndDirectoriesWithTheReasonOnly) {
  testing::TempDir dir;
  EXPECT_EQ(ReadSmallFile(dir.Write("big", "123456"), 5).error(), "it is larger than 5 bytes");
  // Nobody writes to this FIFO: a blocking open would hang the test.
  ASSERT_EQ(::mkfifo(dir.File("fifo").c_str(), 0600), 0);
  EXPECT_EQ(ReadSmallFile(dir.File("fifo"), 5).error(), "it is a FIFO, not a regular file");
  EXPECT_EQ(ReadSmallFile(dir.path(), 5).error(), "it is a directory, not a regular file");
  FileStamp seen;
  seen.exists = true;
  EXPECT_EQ(ReadSmallFile(dir.File("missing"), 5, &seen).error(), "No such file or directory");
  EXPECT_FALSE(seen.exists);  // "missing" is a state too
}

TEST(FileUtil, StampChangesWithRenameRewriteAndDisappearance) {
  testing::TempDir dir;
  const std::string path = dir.Write("f", "one");
  const FileStamp first = StampOf(path);
  dir.Write("g", "one");
  std::filesystem::rename(dir.File("g"), path);  // same size, new inode
  const FileStamp renamed = StampOf(path);
  EXPECT_NE(renamed, first);
  dir.Write("f", "three");  // rewritten in place: same inode, other size
  EXPECT_NE(StampOf(path), renamed);
  std::filesystem::remove(path);
  EXPECT_EQ(StampOf(path), FileStamp{});
}

TEST(Url, SplitsSchemeHostPortAndRest) {
  auto u = ParseUrl("HTTPS://Host.Example:08443/a/b?c=d#f");
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "host.example");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->rest, "/a/b?c=d#f");
  EXPECT_EQ(u->Authority(), "https://host.example:8443");
  auto v6 = ParseUrl("http://[::1]");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(ParseUrl("contoso.example", {.bare_host_means_https = true})->Authority(),
            "https://contoso.example");
}

TEST(Url, RefusesWithAMessageThatQuotesTheText) {
  EXPECT_EQ(ParseUrl("contoso.example").error(),
            "\"contoso.example\" is not a URL: write it with its scheme (https://...)");
  EXPECT_EQ(ParseUrl("http://u@h").error(),
            "\"http://u@h\" contains user info (user@): not allowed");
  for (const char* bad :
       {"ftp://h", "http://", "http://h:0", "http://h:65536", "http://h:", "http://[::1",
        "http://[x]", "http://a:b:1", "http://h st", "http://a..b"}) {
    EXPECT_FALSE(ParseUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace adu
