#include "adu/systemd/journal_sink.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "adu/core/log_fields.h"

namespace adu::systemd {
namespace {

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

TEST(JournalSinkTest, PrioritiesFollowSyslog) {
  EXPECT_EQ(JournalPriority(spdlog::level::err), 3);
  EXPECT_EQ(JournalPriority(spdlog::level::debug), 7);
  EXPECT_EQ(JournalPriority(spdlog::level::trace), 7);
}

}  // namespace
}  // namespace adu::systemd
