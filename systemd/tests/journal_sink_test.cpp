#include "adu/systemd/journal_sink.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>

#include <algorithm>
#include <string>
#include <vector>

#include "adu/core/log_fields.h"

// The default writer's real libsystemd calls, replaced for this test binary: a definition in the
// executable takes precedence over the shared library's, so what the sink would send to the
// journal is captured here, including any location libsystemd's macros would add.
namespace {
std::vector<std::vector<std::string>> g_journal_entries;

std::vector<std::string> Fields(const iovec* iov, int n) {
  std::vector<std::string> fields;
  for (int i = 0; i < n; ++i)
    fields.emplace_back(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return fields;
}
}  // namespace

extern "C" int sd_journal_sendv(const iovec* iov, int n) {
  g_journal_entries.push_back(Fields(iov, n));
  return 0;
}

extern "C" int sd_journal_sendv_with_location(const char* file, const char* line, const char* func,
                                              const iovec* iov, int n) {
  auto fields = Fields(iov, n);
  fields.emplace_back(file);  // "CODE_FILE=..."
  fields.emplace_back(line);  // "CODE_LINE=..."
  fields.emplace_back(std::string("CODE_FUNC=") + func);
  g_journal_entries.push_back(std::move(fields));
  return 0;
}

namespace adu::systemd {
namespace {

bool HasCodeField(const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    if (f.rfind("CODE_", 0) == 0) return true;
  }
  return false;
}

TEST(JournalSinkTest, SendsMessagePriorityAndTheOperationsFields) {
  std::vector<std::vector<std::string>> entries;
  auto sink = std::make_shared<JournalSink>(
      "adu-opwatch", [&](const std::vector<std::string>& f) { entries.push_back(f); });
  spdlog::logger logger("t", sink);
  LogFields fields;
  fields.operation_id = "op-1";
  fields.kind = "device";
  fields.status = "Failed";
  fields.old_status = "Running";
  fields.http_status = 200;
  fields.error_code = "ImportFailed";
  {
    ScopedLogFields scoped(fields);
    logger.warn("operation op-1 (device): Running -> Failed");
  }
  logger.info("no fields here");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], (std::vector<std::string>{
                            "MESSAGE=operation op-1 (device): Running -> Failed", "PRIORITY=4",
                            "SYSLOG_IDENTIFIER=adu-opwatch", "OPERATION_ID=op-1", "KIND=device",
                            "STATUS=Failed", "OLD_STATUS=Running", "HTTP_STATUS=200",
                            "ERROR_CODE=ImportFailed"}));
  EXPECT_EQ(entries[1], (std::vector<std::string>{"MESSAGE=no fields here", "PRIORITY=6",
                                                  "SYSLOG_IDENTIFIER=adu-opwatch"}));
}

TEST(JournalSinkTest, TheDefaultWriterAddsNoLocationOfItsOwn) {
  g_journal_entries.clear();
  auto sink = std::make_shared<JournalSink>("adu-opwatch");
  spdlog::logger logger("t", sink);
  logger.info("plain call: spdlog knows no source location");
  ASSERT_EQ(g_journal_entries.size(), 1u);
  EXPECT_EQ(g_journal_entries[0],
            (std::vector<std::string>{"MESSAGE=plain call: spdlog knows no source location",
                                      "PRIORITY=6", "SYSLOG_IDENTIFIER=adu-opwatch"}));
  EXPECT_FALSE(HasCodeField(g_journal_entries[0]));
}

TEST(JournalSinkTest, NamesThePlaceThatLoggedWhenSpdlogKnowsIt) {
  std::vector<std::vector<std::string>> entries;
  auto sink = std::make_shared<JournalSink>(
      "adu-opwatch", [&](const std::vector<std::string>& f) { entries.push_back(f); });
  spdlog::logger logger("t", sink);
  const int line = __LINE__ + 1;
  SPDLOG_LOGGER_WARN(&logger, "with a location");
  ASSERT_EQ(entries.size(), 1u);
  const auto& f = entries[0];
  auto has = [&](const std::string& field) {
    return std::find(f.begin(), f.end(), field) != f.end();
  };
  EXPECT_TRUE(has(std::string("CODE_FILE=") + __FILE__)) << testing::PrintToString(f);
  EXPECT_TRUE(has("CODE_LINE=" + std::to_string(line))) << testing::PrintToString(f);
  EXPECT_TRUE(has("CODE_FUNC=TestBody")) << testing::PrintToString(f);
}

TEST(JournalSinkTest, PrioritiesFollowSyslog) {
  EXPECT_EQ(JournalPriority(spdlog::level::err), 3);
  EXPECT_EQ(JournalPriority(spdlog::level::debug), 7);
  EXPECT_EQ(JournalPriority(spdlog::level::trace), 7);
}

}  // namespace
}  // namespace adu::systemd
