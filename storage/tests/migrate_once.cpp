// The migration crash test's victim: `storage_migrate_once DB BATCH_ROWS` opens the database
// (which migrates it, BATCH_ROWS rows per transaction) and exits 0. The test kills it mid-way.
#include <cstdio>
#include <cstdlib>

#include "adu/storage/sqlite_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB BATCH_ROWS\n", argv[0]);
    return 2;
  }
  adu::storage::StoreOptions options;
  options.migration_batch_rows = std::atoi(argv[2]);
  auto store = adu::storage::SqliteStore::Open(argv[1], options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    return 1;
  }
  return 0;
}
