// How `status` and `history` print what storage/queries.h returns.
//
// Tables are for a terminal: control characters and invalid UTF-8 in stored strings become '?',
// so a hostile or broken status string cannot move the cursor or break the alignment. JSON
// carries every column exactly (invalid UTF-8 as U+FFFD, so the output is always valid JSON);
// its keys are the database's column names (a documented interface: docs/cli.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "adu/storage/queries.h"

namespace adu::daemon {

// The text history lists only the newest this many poll errors (and says how many there are).
inline constexpr size_t kShownPollErrors = 20;

// ID, KIND, STATUS, STATE, LAST CHANGE, LAST POLL, ERRORS; a note when there are none.
std::string RenderStatusTable(const std::vector<storage::OperationRow>& ops);
// A JSON array of objects carrying every `operations` column, and a newline.
std::string RenderStatusJson(const std::vector<storage::OperationRow>& ops);

// The summary, then the transitions, snapshots and newest poll errors as tables.
std::string RenderHistoryText(const storage::History& history);
// The operation's object with "transitions", "snapshots" and "poll_errors" arrays, and a newline.
std::string RenderHistoryJson(const storage::History& history);

}  // namespace adu::daemon
