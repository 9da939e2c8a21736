// The crash test's victim: `storage_crash_writer DB FIRST_ID` writes batches FIRST_ID, FIRST_ID+1,
// ... forever and prints each batch id (flushed) right after Write() returned ok. The test kills
// it with SIGKILL at random moments and checks that every printed batch is in the database.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "adu/storage/sqlite_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB FIRST_ID\n", argv[0]);
    return 2;
  }
  adu::storage::StoreOptions options;
  options.max_errors_per_operation = 5;  // deletes in the mix, too
  auto store = adu::storage::SqliteStore::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    return 1;
  }
  const long first = std::strtol(argv[2], nullptr, 10);
  const auto t0 = std::chrono::system_clock::now();
  for (long id = first;; ++id) {
    std::vector<adu::PollRecord> batch;
    const auto at = t0 + std::chrono::milliseconds(id);
    for (int k = 0; k < 3; ++k) {
      adu::PollRecord r;
      r.key = {adu::OperationKind::kDevice, "op-" + std::to_string((id + k) % 5)};
      r.at = at;
      adu::Snapshot s;
      s.key = r.key;
      s.observed_at = at;
      s.status = "Running";
      s.etag = "\"" + std::to_string(id) + "\"";
      // A body per (batch, record), padded so pages fill and checkpoints happen.
      s.body = "batch " + std::to_string(id) + " record " + std::to_string(k) + " " +
               std::string(300, 'x');
      r.outcome = adu::Changed{s, std::nullopt};
      batch.push_back(std::move(r));
    }
    adu::PollRecord failure;
    failure.key = {adu::OperationKind::kUpdate, "op-" + std::to_string(id % 5)};
    failure.at = at;
    failure.outcome = adu::Failed{adu::PollError{failure.key, at, adu::ErrorCategory::kNetwork,
                                                 std::nullopt, "", "batch " + std::to_string(id)},
                                  false};
    batch.push_back(failure);
    adu::Status st = (*store)->Write(batch);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      continue;  // busy with the test's checker: retry the next batch id
    }
    std::printf("%ld\n", id);
    std::fflush(stdout);
  }
}
