#include "status_line.h"

#include "adu/core/time_format.h"

namespace adu::daemon {

std::string StatusLine(const EngineStats& s, MonoTime now) {
  std::string line = "watching " + std::to_string(s.watched) +
                     (s.watched == 1 ? " operation: " : " operations: ") +
                     std::to_string(s.in_flight_operations) + " in flight, " +
                     std::to_string(s.done) + " done";
  if (s.not_found > 0) line += ", " + std::to_string(s.not_found) + " not found";
  if (s.last_poll) {
    const auto ago = std::chrono::duration_cast<std::chrono::seconds>(now - *s.last_poll);
    line += "; last poll " + std::to_string(ago.count()) + "s ago";
  } else {
    line += "; no poll yet";
  }
  line += "; " + std::to_string(s.errors_last_hour) + " errors in the last hour";
  if (s.list_mode) line += "; list-based refresh";
  if (s.database_unavailable_since) {
    line += "; database unavailable since " + FormatTimestamp(*s.database_unavailable_since);
  }
  if (s.polls_paused) line += "; polls paused until queued results are written";
  return line;
}

}  // namespace adu::daemon
