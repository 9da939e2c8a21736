#include "adu/core/store_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "adu/core/backoff.h"

namespace adu {

class StoreWriter::Impl {
 public:
  Impl(Store& store, Clock& clock, std::shared_ptr<spdlog::logger> logger,
       StoreWriterOptions options)
      : store_(store), clock_(clock), log_(std::move(logger)), options_(options) {}
  ~Impl() { Stop(Duration(0)); }

  void Start();
  void Stop(Duration deadline);
  std::vector<PollRecord> Enqueue(std::vector<PollRecord> records);
  void SetWatchList(std::vector<WatchedOperation> watched);
  bool Pump();
  void PublishFiguresTo(Figures& figures);
  size_t Pending() const;
  size_t QueuedResults() const;
  bool Full() const;
  bool Healthy() const;
  std::optional<WallTime> UnavailableSince() const;

 private:
  struct WatchUpdate {
    std::vector<WatchedOperation> keys;
  };
  struct Entry {
    uint64_t seq;  // consecutive: an entry's index is seq - queue_.front().seq
    std::variant<PollRecord, WatchUpdate> item;
  };

  void Loop();
  bool WriteQueued(std::unique_lock<std::mutex>& lock);
  Status WriteFront(std::unique_lock<std::mutex>& lock, size_t& taken, size_t& results);
  void OnWritten(const Status& status, size_t taken, size_t results);
  bool MergeUnchangedLocked(const PollRecord& record);
  void PushLocked(std::variant<PollRecord, WatchUpdate> item);
  void MaintainIfDue(std::unique_lock<std::mutex>& lock, MonoTime& next_maintain);
  void PublishLocked();

  Store& store_;
  Clock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  StoreWriterOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  uint64_t next_seq_ = 0;
  uint64_t merge_from_seq_ = 0;  // merges never reach back past the last watch-list update
  std::map<OperationKey, uint64_t> last_of_;  // seq of each operation's last queued record
  size_t results_ = 0;                        // PollRecords in queue_
  bool stopping_ = false;
  bool healthy_ = true;
  int failures_ = 0;
  std::optional<WallTime> unavailable_since_;
  size_t in_write_ = 0;  // items at the queue's front that a Write has in hand
  MonoTime stop_deadline_{};
  Figures* figures_ = nullptr;
  std::thread thread_;
};

void StoreWriter::Impl::Start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void StoreWriter::Impl::Stop(Duration deadline) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = clock_.Now() + deadline;
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreWriter::Impl::PushLocked(std::variant<PollRecord, WatchUpdate> item) {
  const uint64_t seq = next_seq_++;
  if (const auto* rec = std::get_if<PollRecord>(&item)) {
    last_of_[rec->key] = seq;
    ++results_;
  } else {
    merge_from_seq_ = seq + 1;  // merging across it would reorder a record and the update
  }
  queue_.push_back(Entry{seq, std::move(item)});
}

bool StoreWriter::Impl::MergeUnchangedLocked(const PollRecord& record) {
  const auto* incoming = std::get_if<Unchanged>(&record.outcome);
  if (incoming == nullptr || queue_.empty()) return false;
  auto it = last_of_.find(record.key);
  if (it == last_of_.end()) return false;
  const uint64_t first_free = queue_.front().seq + in_write_;  // the rest is in a Write's hands
  if (it->second < std::max(first_free, merge_from_seq_)) return false;
  auto* queued = std::get_if<PollRecord>(&queue_[it->second - queue_.front().seq].item);
  auto* unchanged = queued ? std::get_if<Unchanged>(&queued->outcome) : nullptr;
  if (unchanged == nullptr) return false;  // a snapshot or failure: order matters, append
  unchanged->polls += incoming->polls;
  queued->at = record.at;
  queued->state = record.state;
  queued->next_poll_at = record.next_poll_at;
  return true;
}

std::vector<PollRecord> StoreWriter::Impl::Enqueue(std::vector<PollRecord> records) {
  std::vector<PollRecord> refused;
  if (records.empty()) return refused;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    // The writer waits for a first record (idle) or for a full batch (gathering for
    // batch_delay); any other wakeup is a wasted context switch per poll.
    wake = queue_.empty();
    size_t i = 0;
    for (; i < records.size(); ++i) {
      if (MergeUnchangedLocked(records[i])) continue;
      if (results_ >= options_.max_queued) break;  // the rest waits with the caller, in order
      PushLocked(std::move(records[i]));
    }
    refused.assign(std::make_move_iterator(records.begin() + static_cast<std::ptrdiff_t>(i)),
                   std::make_move_iterator(records.end()));
    wake = wake || queue_.size() >= options_.max_batch;
    PublishLocked();
  }
  if (wake) cv_.notify_all();
  return refused;
}

void StoreWriter::Impl::PublishFiguresTo(Figures& figures) {
  std::lock_guard lock(mu_);
  figures_ = &figures;
  PublishLocked();
}

void StoreWriter::Impl::PublishLocked() {
  if (figures_ != nullptr) figures_->SetStoreQueue(results_, !healthy_);
}

void StoreWriter::Impl::SetWatchList(std::vector<WatchedOperation> watched) {
  {
    std::lock_guard lock(mu_);
    PushLocked(WatchUpdate{std::move(watched)});
  }
  cv_.notify_all();
}

size_t StoreWriter::Impl::Pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t StoreWriter::Impl::QueuedResults() const {
  std::lock_guard lock(mu_);
  return results_;
}

bool StoreWriter::Impl::Full() const {
  std::lock_guard lock(mu_);
  return results_ >= options_.max_queued;
}

bool StoreWriter::Impl::Healthy() const {
  std::lock_guard lock(mu_);
  return healthy_;
}

std::optional<WallTime> StoreWriter::Impl::UnavailableSince() const {
  std::lock_guard lock(mu_);
  return unavailable_since_;
}

bool StoreWriter::Impl::Pump() {
  std::unique_lock lock(mu_);
  while (!queue_.empty()) {
    if (!WriteQueued(lock)) return false;
  }
  return true;
}

Status StoreWriter::Impl::WriteFront(std::unique_lock<std::mutex>& lock, size_t& taken,
                                     size_t& results) {
  if (auto* update = std::get_if<WatchUpdate>(&queue_.front().item)) {
    auto keys = update->keys;
    in_write_ = taken = 1;
    results = 0;
    lock.unlock();
    Status status = store_.SetWatchList(keys, clock_.WallNow());
    lock.lock();
    return status;
  }
  std::vector<PollRecord> batch;
  for (const auto& entry : queue_) {
    const auto* rec = std::get_if<PollRecord>(&entry.item);
    if (rec == nullptr || batch.size() >= options_.max_batch) break;
    batch.push_back(*rec);
  }
  in_write_ = taken = results = batch.size();
  lock.unlock();
  Status status = store_.Write(batch);
  lock.lock();
  return status;
}

void StoreWriter::Impl::OnWritten(const Status& status, size_t taken, size_t results) {
  in_write_ = 0;
  if (status.ok()) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    results_ -= results;
    if (queue_.empty()) last_of_.clear();  // every seq in it is gone
    if (!healthy_) {
      log_->info("database writes recovered after {} failed attempts", failures_);
    }
    healthy_ = true;
    unavailable_since_.reset();
    failures_ = 0;
    PublishLocked();
    return;
  }
  ++failures_;
  if (healthy_ || failures_ % 10 == 0) {
    log_->warn("database write failed ({} results queued, retrying): {}", results_,
               status.message());
  }
  if (healthy_) unavailable_since_ = clock_.WallNow();
  healthy_ = false;
  PublishLocked();
}

bool StoreWriter::Impl::WriteQueued(std::unique_lock<std::mutex>& lock) {
  if (queue_.empty()) return true;
  size_t taken = 0;
  size_t results = 0;
  const Status status = WriteFront(lock, taken, results);
  OnWritten(status, taken, results);
  return status.ok();
}

void StoreWriter::Impl::MaintainIfDue(std::unique_lock<std::mutex>& lock, MonoTime& next_maintain) {
  if (!queue_.empty() || stopping_ || clock_.Now() < next_maintain) return;
  lock.unlock();
  auto progress = store_.Maintain(clock_.WallNow());
  lock.lock();
  if (!progress.ok()) log_->warn("database maintenance failed: {}", progress.error());
  const bool more = progress.ok() && *progress == MaintainProgress::kMoreWork;
  next_maintain = clock_.Now() + (more ? std::chrono::seconds(1) : options_.maintain_every);
}

void StoreWriter::Impl::Loop() {
  std::unique_lock lock(mu_);
  MonoTime next_maintain = clock_.Now() + options_.maintain_every;
  const Backoff retry(options_.retry_min, options_.retry_max);
  while (true) {
    if (queue_.empty()) {
      if (stopping_) break;
      cv_.wait_for(lock, options_.maintain_every, [&] { return stopping_ || !queue_.empty(); });
      MaintainIfDue(lock, next_maintain);
      continue;
    }
    if (!stopping_ && queue_.size() < options_.max_batch) {
      cv_.wait_for(lock, options_.batch_delay,
                   [&] { return stopping_ || queue_.size() >= options_.max_batch; });
    }
    if (WriteQueued(lock)) continue;
    if (stopping_ && clock_.Now() >= stop_deadline_) break;
    const Duration backoff = retry.Ceiling(failures_);
    const bool was_stopping = stopping_;
    cv_.wait_for(lock,
                 stopping_ ? std::min<Duration>(backoff, std::chrono::milliseconds(100)) : backoff,
                 [&] { return stopping_ != was_stopping; });
  }
  if (!queue_.empty()) {
    log_->error("stopping with {} results not written to the database", results_);
  }
}

// ---------------------------------------------------------------------------------------------

StoreWriter::StoreWriter(Store& store, Clock& clock, std::shared_ptr<spdlog::logger> logger,
                         StoreWriterOptions options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(logger), options)) {}
StoreWriter::~StoreWriter() = default;  // Impl's destructor stops the thread

void StoreWriter::Start() { impl_->Start(); }
void StoreWriter::Stop(Duration deadline) { impl_->Stop(deadline); }
std::vector<PollRecord> StoreWriter::Enqueue(std::vector<PollRecord> records) {
  return impl_->Enqueue(std::move(records));
}
void StoreWriter::SetWatchList(std::vector<WatchedOperation> watched) {
  impl_->SetWatchList(std::move(watched));
}

void StoreWriter::SetWatchList(const std::vector<OperationKey>& watched) {
  impl_->SetWatchList(WatchedOf(watched, OperationOrigin::kConfig));
}
bool StoreWriter::Pump() { return impl_->Pump(); }
void StoreWriter::PublishFiguresTo(Figures& figures) { impl_->PublishFiguresTo(figures); }
size_t StoreWriter::Pending() const { return impl_->Pending(); }
size_t StoreWriter::QueuedResults() const { return impl_->QueuedResults(); }
bool StoreWriter::Full() const { return impl_->Full(); }
bool StoreWriter::Healthy() const { return impl_->Healthy(); }
std::optional<WallTime> StoreWriter::UnavailableSince() const { return impl_->UnavailableSince(); }

}  // namespace adu
