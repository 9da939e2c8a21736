#include "adu/core/store_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace adu {

StoreWriter::StoreWriter(Store& store, Clock& clock, std::shared_ptr<spdlog::logger> logger,
                         StoreWriterOptions options)
    : store_(store), clock_(clock), log_(std::move(logger)), options_(options) {}

StoreWriter::~StoreWriter() { Stop(Duration(0)); }

void StoreWriter::Start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void StoreWriter::Stop(Duration deadline) {
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

void StoreWriter::Enqueue(std::vector<PollRecord> records) {
  if (records.empty()) return;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    // The writer waits for a first record (idle) or for a full batch (gathering for
    // batch_delay); any other wakeup is a wasted context switch per poll.
    wake = queue_.empty();
    for (auto& r : records) queue_.emplace_back(std::move(r));
    wake = wake || queue_.size() >= options_.max_batch;
    TrimLocked();
    PublishLocked();
  }
  if (wake) cv_.notify_all();
}

void StoreWriter::SetWatchList(std::vector<OperationKey> watched) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(WatchUpdate{std::move(watched)});
  }
  cv_.notify_all();
}

void StoreWriter::PublishFiguresTo(Figures& figures) {
  std::lock_guard lock(mu_);
  figures_ = &figures;
  PublishLocked();
}

void StoreWriter::PublishLocked() {
  if (figures_ != nullptr) figures_->SetStoreQueue(queue_.size(), !healthy_);
}

size_t StoreWriter::Pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

uint64_t StoreWriter::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

bool StoreWriter::Healthy() const {
  std::lock_guard lock(mu_);
  return healthy_;
}

bool StoreWriter::Pump() {
  std::unique_lock lock(mu_);
  while (!queue_.empty()) {
    if (!WriteQueued(lock)) return false;
  }
  return true;
}

void StoreWriter::TrimLocked() {
  if (queue_.size() <= options_.max_queued) return;
  size_t excess = queue_.size() - options_.max_queued;
  size_t dropped = 0;
  // Counter-only records carry the least: drop those first, oldest first, but never the batch
  // that is being written right now (it sits at the front).
  for (size_t i = in_write_; i < queue_.size() && dropped < excess;) {
    auto* rec = std::get_if<PollRecord>(&queue_[i]);
    if (rec != nullptr && rec->type == PollRecord::Type::kUnchanged) {
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
      ++dropped;
    } else {
      ++i;
    }
  }
  while (dropped < excess && queue_.size() > in_write_) {
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(in_write_));
    ++dropped;
  }
  dropped_ += dropped;
  log_->error("database unavailable too long: dropped {} queued results (queue limit {})", dropped,
              options_.max_queued);
}

bool StoreWriter::WriteQueued(std::unique_lock<std::mutex>& lock) {
  if (queue_.empty()) return true;
  Status status;
  size_t taken = 0;
  if (auto* update = std::get_if<WatchUpdate>(&queue_.front())) {
    auto keys = update->keys;
    in_write_ = 1;
    lock.unlock();
    status = store_.SetWatchList(keys, clock_.WallNow());
    lock.lock();
    taken = 1;
  } else {
    std::vector<PollRecord> batch;
    for (const auto& item : queue_) {
      const auto* rec = std::get_if<PollRecord>(&item);
      if (rec == nullptr || batch.size() >= options_.max_batch) break;
      batch.push_back(*rec);
    }
    taken = batch.size();
    in_write_ = taken;
    lock.unlock();
    status = store_.Write(batch);
    lock.lock();
  }
  in_write_ = 0;
  if (status.ok()) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    if (!healthy_) {
      log_->info("database writes recovered after {} failed attempts", failures_);
    }
    healthy_ = true;
    failures_ = 0;
    PublishLocked();
    return true;
  }
  ++failures_;
  if (healthy_ || failures_ % 10 == 0) {
    log_->warn("database write failed ({} results queued, retrying): {}", queue_.size(),
               status.message());
  }
  healthy_ = false;
  PublishLocked();
  return false;
}

void StoreWriter::Loop() {
  std::unique_lock lock(mu_);
  MonoTime next_maintain = clock_.Now() + options_.maintain_every;
  while (true) {
    if (queue_.empty()) {
      if (stopping_) break;
      cv_.wait_for(lock, options_.maintain_every, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && !stopping_ && clock_.Now() >= next_maintain) {
        lock.unlock();
        auto more = store_.Maintain(clock_.WallNow());
        lock.lock();
        if (!more.ok()) log_->warn("database maintenance failed: {}", more.error());
        next_maintain =
            clock_.Now() + (more.ok() && *more ? std::chrono::seconds(1) : options_.maintain_every);
      }
      continue;
    }
    if (!stopping_ && queue_.size() < options_.max_batch) {
      cv_.wait_for(lock, options_.batch_delay,
                   [&] { return stopping_ || queue_.size() >= options_.max_batch; });
    }
    if (WriteQueued(lock)) continue;
    if (stopping_ && clock_.Now() >= stop_deadline_) break;
    const auto backoff = std::min<Duration>(
        options_.retry_max, options_.retry_min * (1LL << std::min(failures_ - 1, 16)));
    const bool was_stopping = stopping_;
    cv_.wait_for(lock,
                 stopping_ ? std::min<Duration>(backoff, std::chrono::milliseconds(100)) : backoff,
                 [&] { return stopping_ != was_stopping; });
  }
  if (!queue_.empty()) {
    log_->error("stopping with {} results not written to the database", queue_.size());
  }
}

}  // namespace adu
