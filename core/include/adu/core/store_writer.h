// Moves poll results from the engine to the Store without ever blocking the engine on the disk.
//
// The engine hands over records with Enqueue(); a writer thread batches whatever is queued into
// one Store::Write (one transaction). When the database cannot take a write (locked by a user's
// shell, disk full, read-only), the batch stays queued and is retried with the shared Backoff.
// Nothing queued is ever dropped. The queue is bounded by backpressure instead: at `max_queued`
// results Enqueue() takes no more (the caller keeps the rest and the engine dispatches no new
// polls until the queue drains; the service keeps the state, so waiting loses nothing), and an
// unchanged poll merges into the operation's queued unchanged record instead of queueing one
// record per poll. Watch-list changes go through the same queue, so they apply in order with the
// records; they are never refused (one per reload) and do not count against the limit.
//
// Thread-safety: every public method may be called from any thread. The Store is used only by
// the writer thread once Start() has run (or by the caller of Pump() in tests and --once).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "adu/core/clock.h"
#include "adu/core/metrics.h"
#include "adu/core/store.h"

namespace spdlog {
class logger;
}

namespace adu {

struct StoreWriterOptions {
  Duration batch_delay = std::chrono::milliseconds(50);  // gather results this long per write
  size_t max_batch = 2000;
  size_t max_queued = 100000;
  Duration retry_min = std::chrono::milliseconds(500);
  Duration retry_max = std::chrono::seconds(30);
  Duration maintain_every = std::chrono::seconds(60);
};

class StoreWriter {
 public:
  StoreWriter(Store& store, Clock& clock, std::shared_ptr<spdlog::logger> logger,
              StoreWriterOptions options = {});
  ~StoreWriter();  // Stop()s

  void Start();  // the writer thread
  // Writes what is queued (bounded by `deadline`), then ends the thread.
  void Stop(Duration deadline);

  // Queues `records` in order while the queue has room for them and returns the ones it did not
  // take (empty when all fit). An unchanged poll that merges into a queued one always fits. The
  // caller keeps what is returned and offers it again once Full() is false.
  [[nodiscard]] std::vector<PollRecord> Enqueue(std::vector<PollRecord> records);
  // Never refused.
  void SetWatchList(std::vector<WatchedOperation> watched);
  void SetWatchList(const std::vector<OperationKey>& watched);  // every key of origin `config`

  // One writer step on the caller's thread: writes everything queued once (tests, --once).
  // Returns false if a write failed (the records stay queued).
  bool Pump();

  // Where the queue length (queued results) and health are published. Call before Start();
  // `figures` must outlive the writer.
  void PublishFiguresTo(Figures& figures);

  size_t Pending() const;        // queued items: results and watch-list updates
  size_t QueuedResults() const;  // queued results; never more than max_queued
  bool Full() const;             // QueuedResults() has reached max_queued
  bool Healthy() const;          // false while writes are failing
  // When the current run of failed writes began; nullopt while writes succeed.
  std::optional<WallTime> UnavailableSince() const;

  class Impl;  // core/src/writer/store_writer.cpp

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace adu
