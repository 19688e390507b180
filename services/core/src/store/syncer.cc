// The syncer thread and the one rule for what may be seen.
//
// The writer may decide a group on one written but not yet synced. Nothing outside the
// writer sees a group until it and every group before it is durable and the store is not
// poisoned: MaySee decides that, and Finish (the only place that publishes a state, a
// position or a definitive answer) asks it for every group, whichever thread finishes it.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/telemetry/metrics.h"
#include "store_impl.h"

namespace remiss::core {

using namespace internal;

absl::Status EventStore::Impl::Poisoned() const {
  absl::MutexLock lock(&poison_mu_);
  return poisoned_;
}

absl::Status EventStore::Impl::RocksDbError() const {
  absl::MutexLock lock(&poison_mu_);
  return rocksdb_error_;
}

void EventStore::Impl::SetRocksDbError(const absl::Status& error) {
  {
    absl::MutexLock lock(&poison_mu_);
    if (error.ok() == rocksdb_error_.ok()) return;
    rocksdb_error_ = error;
  }
  LogMessage(options_.source, error.ok() ? "store_recovered" : "store_stopped",
             error.ok() ? "RocksDB recovered from its background error; writes go on"
                        : std::string(error.message()));
}

void EventStore::Impl::Poison(const absl::Status& why) {
  {
    absl::MutexLock lock(&poison_mu_);
    if (!poisoned_.ok()) return;
    poisoned_ = why;
  }
  LogMessage(options_.source, "store_poisoned",
             absl::StrCat(why.message(), "; it publishes nothing more and refuses commands "
                                         "until it is opened again"));
}

absl::Status EventStore::Impl::MaySee(const absl::Status& synced) const {
  // Groups are finished in the order they were written, and a failed fsync poisons the store
  // before any group it covered is finished: so "this group's sync was good and the store
  // is not poisoned" is "it and every group before it are durable".
  if (!synced.ok()) return synced;
  if (absl::Status poisoned = Poisoned(); !poisoned.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the ", options_.source, " store is poisoned (", poisoned.message(),
        "): what this command saw or did may not be on the disk; nothing of it is kept as "
        "answered. Retry once the service has been restarted"));
  }
  return absl::OkStatus();
}

rocksdb::Status EventStore::Impl::WriteToDb(const rocksdb::WriteOptions& wo,
                                            rocksdb::WriteBatch* batch) {
  // Refused before anything was written (RocksDB stopped on a background error): the log is
  // as it was.
  const bool refused_up_front = !RocksDbError().ok();
  absl::MutexLock lock(&log_mu_);
  rocksdb::Status s = db_->Write(wo, batch);
  if (s.ok()) {
    // The log took a write: it is not the broken one (RocksDB stops writing on the background
    // error a failed log write raises, and takes writes again only on a new log).
    log_broken_ = rocksdb::Status::OK();
  } else if (!refused_up_front && log_broken_.ok()) {
    log_broken_ = s;
  }
  return s;
}

rocksdb::Status EventStore::Impl::SyncLog() {
  absl::MutexLock lock(&log_mu_);
  if (!log_broken_.ok()) return log_broken_;
  rocksdb::Status s = db_->FlushWAL(/*sync=*/true);
  if (!s.ok()) log_broken_ = s;
  return s;
}

void EventStore::Impl::SyncerLoop() {
  while (true) {
    std::deque<Written> batch;
    {
      absl::MutexLock lock(&sync_mu_);
      sync_mu_.Await(absl::Condition(
          +[](Impl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->sync_mu_) {
            return self->writer_done_ || !self->written_.empty();
          },
          this));
      if (written_.empty()) return;  // the writer has stopped and everything is answered
      batch.swap(written_);
      syncing_ = true;
    }
    // One fsync for every group written since the last: the log is one file written in order.
    // After a failed one, none: what was written after the last good fsync may never reach
    // the disk (a later fsync may succeed without it), and later groups were decided on it.
    absl::Status synced = Poisoned();
    if (synced.ok() &&
        std::any_of(batch.begin(), batch.end(), [](const Written& w) { return w.needs_sync; })) {
      rocksdb::Status s = SyncLog();
      if (!s.ok()) {
        synced = absl::UnavailableError(absl::StrCat(
            "the ", options_.source, " store could not make its log durable (", s.ToString(),
            "); restart the service: commands are refused until then"));
        Poison(synced);
      }
    }
    for (Written& w : batch) Finish(w, synced);
    absl::MutexLock lock(&sync_mu_);
    syncing_ = false;
  }
}

void EventStore::Impl::Finish(Written& w, const absl::Status& synced) {
  const absl::Status seen = MaySee(synced);
  if (seen.ok()) {
    Publish(std::move(w.state), w.next != w.first ? std::optional<uint64_t>(w.next - 1)
                                                  : std::nullopt);
    if (w.state) {
      metrics::GroupCommitted(options_.source, w.group.size(), absl::Now() - w.write_started);
    }
  } else {
    // Nothing decided on this group is definitive: its successes may be lost, and its
    // refusals (ABORTED, ALREADY_EXISTS, FAILED_PRECONDITION) may rest on a lost group.
    for (auto& r : w.results) r = seen;
    w.span.SetError(seen.message());
  }
  w.span.End();
  {
    absl::MutexLock lock(&queue_mu_);
    // Once a group is not published, nothing recorded from its time on is settled in this
    // run: the disk may have kept it, so a consumer must not take its time as complete.
    if (!seen.ok() && !settled_frozen_) settled_frozen_ = unsettled_.front();
    unsettled_.pop_front();
  }
  if (w.answered) return;
  for (size_t i = 0; i < w.group.size(); ++i) w.group[i].done(std::move(w.results[i]));
}

// Readers take durable_mu_ to read the state: the state and the position that names its last
// event change in one step for them, so that none sees an event past LastPosition(),
// however long this thread is held up between the two.
void EventStore::Impl::Publish(std::optional<DurableState> state, std::optional<uint64_t> position) {
  absl::MutexLock lock(&durable_mu_);
  if (state) durable_ = std::move(*state);
  if (position) {
    absl::MutexLock position_lock(&position_mu_);
    last_position_.store(*position);
  }
}

EventStore::Impl::DurableState EventStore::Impl::StateNow(uint64_t position) const {
  return {std::shared_ptr<const rocksdb::Snapshot>(
              db_->GetSnapshot(),
              [db = db_](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); }),
          active(), position};
}

EventStore::Impl::DurableRead::DurableRead(const Impl* store) {
  {
    absl::MutexLock lock(&store->durable_mu_);
    state = store->durable_;
  }
  options.snapshot = state.snapshot.get();
}

absl::Time EventStore::Impl::SettledUntil() {
  absl::Time candidate;
  {
    absl::MutexLock lock(&queue_mu_);
    if (settled_frozen_) return *settled_frozen_;
    if (!unsettled_.empty()) return unsettled_.front();
    // While idle: now, but never before the last group (the clock may have stepped back);
    // the next group is recorded at or after whatever this hands out.
    candidate = std::max({settled_high_, options_.clock->Now(), last_group_time_});
    if (candidate <= settled_kept_) {
      settled_high_ = candidate;
      return settled_high_;
    }
  }
  // Kept before it is handed out (in the log, not synced: a crash of the process keeps it),
  // so that a run after a crash and a clock step back records nothing before it either.
  rocksdb::WriteBatch put;
  const bool kept =
      put.Put(meta_, ToSlice(kRecordedAtKey), EncodeU64(static_cast<uint64_t>(Micros(candidate)))).ok() &&
      WriteToDb(rocksdb::WriteOptions(), &put).ok();
  absl::MutexLock lock(&queue_mu_);
  if (settled_frozen_) return *settled_frozen_;
  if (!unsettled_.empty()) return unsettled_.front();  // a group began meanwhile
  if (kept) settled_kept_ = std::max(settled_kept_, candidate);
  settled_high_ = std::max(settled_high_, std::min(candidate, settled_kept_));
  return settled_high_;
}

}  // namespace remiss::core
