// Moves poll results from the engine to the Store without ever blocking the engine on the disk.
//
// The engine hands over records with Enqueue(); a writer thread batches whatever is queued into
// one Store::Write (one transaction). When the database cannot take a write (locked by a user's
// shell, disk full, read-only), the batch stays queued and is retried with backoff; the queue is
// bounded, and when it overflows the oldest "unchanged" records (counters only) go first, then
// the oldest of the rest, each loss logged with a count. Watch-list changes go through the same
// queue so they apply in order with the records.
//
// Thread-safety: Enqueue/SetWatchList/Stop/Pending may be called from any thread. The Store is
// used only by the writer thread once Start() has run (or by the caller of Pump() in tests).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
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

  void Enqueue(std::vector<PollRecord> records);
  void SetWatchList(std::vector<OperationKey> watched);

  // One writer step on the caller's thread: writes everything queued once (tests, --once).
  // Returns false if a write failed (the records stay queued).
  bool Pump();

  // Where the queue length and health are published. Call before Start(); `figures` must
  // outlive the writer.
  void PublishFiguresTo(Figures& figures);

  size_t Pending() const;
  uint64_t Dropped() const;
  bool Healthy() const;  // false while writes are failing

 private:
  struct WatchUpdate {
    std::vector<OperationKey> keys;
  };
  using Item = std::variant<PollRecord, WatchUpdate>;

  void Loop();
  bool WriteQueued(std::unique_lock<std::mutex>& lock);
  void TrimLocked();
  void PublishLocked();

  Store& store_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  StoreWriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool healthy_ = true;
  int failures_ = 0;
  uint64_t dropped_ = 0;
  size_t in_write_ = 0;  // items at the queue's front that a Write has in hand
  MonoTime stop_deadline_{};
  Figures* figures_ = nullptr;
  std::thread thread_;
};

}  // namespace adu
