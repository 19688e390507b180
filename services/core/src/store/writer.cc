// The queue and the writer thread: takes queued transactions in groups, decides each on the
// state the earlier ones (written, maybe not yet synced) left, and writes the group in ONE
// WriteBatch without a sync (WriteToDb: after the syncer's running fsync, if any). The syncer
// (syncer.cc) makes it durable and publishes it.
#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "command_records.h"
#include "store_impl.h"
#include "transaction.h"

namespace remiss::core {

using namespace internal;

namespace {
// Groups written and not yet synced, at most: during an fsync stall the writer waits rather
// than deciding ever more commands on a log that may never reach the disk (the queue then
// fills and refuses commands with RESOURCE_EXHAUSTED).
constexpr size_t kMaxUnsyncedGroups = 16;
}  // namespace

void EventStore::Impl::Submit(Pending p) {
  absl::Status refused;
  if (absl::Status poisoned = Poisoned(); !poisoned.ok()) {
    refused = poisoned;
  } else if (import_unfinished_ && !p.exclusive) {  // a restore's own rebuild goes on
    refused = absl::UnavailableError(absl::StrCat(
        "the ", options_.source, " store holds a restore from Kafka that was cut short; it "
        "serves nothing until the restore is finished (start it again with "
        "--restore-from-kafka)"));
  } else {
    absl::MutexLock lock(&queue_mu_);
    if (stopping_) {
      refused = absl::UnavailableError("the event store is closing");
    } else if (!p.meta.command_id.empty() && queued_commands_ >= options_.max_queue) {
      refused = absl::ResourceExhaustedError(absl::StrCat(
          "the ", options_.source, " service has ", queued_commands_,
          " commands waiting to be written; retry after a pause"));
    } else {
      if (!p.meta.command_id.empty()) ++queued_commands_;
      queue_.push_back(std::move(p));
      return;
    }
  }
  p.done(refused);
}

bool EventStore::Impl::WaitForPosition(uint64_t after, absl::Duration timeout) const {
  absl::MutexLock lock(&position_mu_);
  auto past = [this, after]() ABSL_SHARED_LOCKS_REQUIRED(position_mu_) {
    return last_position_.load() > after;
  };
  return position_mu_.AwaitWithTimeout(absl::Condition(&past), timeout);
}

bool EventStore::Impl::GroupsAwaitSync() {
  absl::MutexLock lock(&sync_mu_);
  return !written_.empty() || syncing_;
}

bool EventStore::Impl::NothingInFlight() {
  {
    absl::MutexLock lock(&queue_mu_);
    if (!queue_.empty()) return false;
  }
  absl::MutexLock lock(&sync_mu_);
  return written_.empty() && !syncing_;
}

void EventStore::Impl::WriterLoop() {
  std::vector<Pending> expired;
  while (true) {
    std::vector<Pending> group;
    absl::Time now;
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](Impl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return self->stopping_ || !self->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, all work done
      // An exclusive transaction runs alone; it ends the group that reaches it.
      const absl::Time wall = absl::Now();  // gRPC deadlines are real time, whatever the clock
      auto take = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        Pending p = std::move(queue_.front());
        queue_.pop_front();
        if (!p.meta.command_id.empty()) --queued_commands_;
        if (p.meta.deadline < wall) {
          expired.push_back(std::move(p));
        } else {
          group.push_back(std::move(p));
        }
      };
      if (queue_.front().exclusive) {
        take();
      } else {
        while (!queue_.empty() && !queue_.front().exclusive && group.size() < options_.max_group) {
          take();
        }
      }
      // Never before the last group nor before a settled instant handed out. Equal is fine
      // (a manual clock that stands still keeps its exact instants): nothing relies on two
      // groups having different times, only on none going back.
      now = std::max({options_.clock->Now(), settled_high_, last_group_time_});
      unsettled_.push_back(now);
    }
    for (Pending& p : expired) {
      p.done(absl::DeadlineExceededError(
          "the caller's deadline passed while the command waited to be written; it was not "
          "executed"));
    }
    expired.clear();
    Written w = CommitGroup(group, now);
    {
      absl::MutexLock lock(&queue_mu_);
      if (w.state) last_group_time_ = now;  // it wrote
    }
    if (w.finish_here) {
      Finish(w, absl::OkStatus());
      continue;
    }
    if (w.answered) {
      // Feed progress only: its consumers go on now; if a crash loses it they take the same
      // source events in again from their older cursors. Readers see it once it is durable.
      for (size_t i = 0; i < w.group.size(); ++i) w.group[i].done(std::move(w.results[i]));
    }
    absl::MutexLock lock(&sync_mu_);
    sync_mu_.Await(absl::Condition(
        +[](Impl* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->sync_mu_) {
          return self->written_.size() < kMaxUnsyncedGroups;
        },
        this));
    written_.push_back(std::move(w));
  }
}

EventStore::Impl::Written EventStore::Impl::CommitGroup(std::vector<Pending>& group,
                                                        absl::Time now) {
  Written w;
  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  const uint64_t first = written_position_ + 1;
  uint64_t next = first;
  std::vector<absl::StatusOr<CommitResult>>& results = w.results;
  results.reserve(group.size());
  w.first = first;

  if (absl::Status poisoned = Poisoned(); !poisoned.ok()) {
    results.assign(group.size(), absl::StatusOr<CommitResult>(poisoned));
    w.next = first;
    w.group = std::move(group);
    return w;
  }

  PruneCommandRecords(batch, now);
  // A group of consumers' work only (no client command, each moving its feed cursor, no
  // event recorded) is answered as soon as it is written (WriterLoop); everything else is
  // answered once it is durable.
  bool feed_progress_only = true;
  for (Pending& p : group) {
    if (!p.meta.command_id.empty() || p.exclusive) feed_progress_only = false;
    const std::string& command_id = p.meta.command_id;
    const std::string suffix = command_id.empty() ? std::string() : RecordSuffix(p.meta);
    const std::string record_key = absl::StrCat(kRecordPrefix, suffix);
    if (!command_id.empty()) {
      std::string seen;
      rocksdb::Status found =
          batch.GetFromBatchAndDB(db_, rocksdb::ReadOptions(), commands_, record_key, &seen);
      if (!found.ok() && !found.IsNotFound()) {
        results.push_back(ReadFailed(found, "the command's record"));
        continue;
      }
      std::optional<CommandRecord> record = found.ok() ? DecodeRecord(seen) : std::nullopt;
      if (record && record->recorded_at + options_.command_retention > now) {
        // A retry: answered once what it repeats is durable (it may be in a group still
        // being synced), so the answer waits for this group's turn too.
        results.push_back(AnswerFromRecord(*record, p.meta));
        continue;
      }
    }
    batch.SetSavePoint();
    const uint64_t saved_next = next;
    TxImpl tx(this, &batch, &next, p.meta, now);
    absl::Status s = p.fn(tx);
    if (!tx.set_feed_cursor()) feed_progress_only = false;
    if (!tx.read_error().ok()) s = tx.read_error();  // decided on a read that failed
    if (!s.ok()) {
      batch.RollbackToSavePoint();
      next = saved_next;
      results.push_back(s);
      continue;
    }
    if (!command_id.empty()) {
      batch.Put(commands_, record_key, EncodeRecord(tx.result(), now, p.meta));
      batch.Put(commands_, absl::StrCat(kRecordTimePrefix, EncodeU64(Micros(now)), suffix), "");
    }
    results.push_back(tx.result());
  }
  feed_progress_only = feed_progress_only && next == first;

  // One span per group commit, linked to each traced command in it (a group of one is that
  // command's child). Only the write and its sync are in it: that is what the commands waited
  // for.
  if (tracing::Enabled() && batch.GetWriteBatch()->Count() > 0) {
    const std::string* only = nullptr;
    size_t traced = 0;
    for (const Pending& p : group) {
      if (p.meta.traceparent.empty()) continue;
      ++traced;
      only = &p.meta.traceparent;
    }
    w.span = tracing::Span(options_.source, "store.commit", tracing::Kind::kInternal,
                           traced == 1 && group.size() == 1 ? *only : std::string());
    w.span.SetAttribute("remiss.store", options_.source);
    w.span.SetAttribute("remiss.transactions", static_cast<int64_t>(group.size()));
    w.span.SetAttribute("remiss.events", static_cast<int64_t>(next - first));
    if (group.size() > 1) {
      for (const Pending& p : group) w.span.AddLink(p.meta.traceparent, "command");
    }
  }
  // With nothing else to decide and every earlier group answered, there is nothing to overlap
  // the fsync with: this thread syncs (with the write) and finishes the group itself.
  w.finish_here = NothingInFlight();
  w.write_started = absl::Now();
  // An exclusive transaction may have written on its own (a rebuild's swap, synced there):
  // what it did is seen with its group, whatever else the group wrote.
  const bool wrote_itself = group.size() == 1 && group[0].exclusive && results[0].ok();
  if (batch.GetWriteBatch()->Count() > 0) {
    batch.Put(meta_, ToSlice(kRecordedAtKey), EncodeU64(static_cast<uint64_t>(Micros(now))));
    absl::Status written;
    if (w.finish_here) {
      written = WriteSynced(batch.GetWriteBatch(), "committing to the event store");
    } else {
      const bool refused_up_front = !RocksDbError().ok();
      written = FromRocks(WriteToDb(rocksdb::WriteOptions(), batch.GetWriteBatch()),
                          "committing to the event store");
      if (written.ok()) {
        SetRocksDbError(absl::OkStatus());  // writing again
      } else if (!refused_up_front && GroupsAwaitSync()) {
        // The log could not take this write (a disk error, a full disk): RocksDB's log writer
        // is broken from here on, so the groups written before and not yet synced can no
        // longer be made durable (a sync of that log fails, and Debian's RocksDB, built with
        // its assertions, aborts on one). Poisoned, the syncer answers them as it answers a
        // failed fsync instead of syncing.
        Poison(absl::UnavailableError(absl::StrCat(
            written.message(), ": the ", options_.source, " store cannot tell what its disk "
            "kept of the groups not yet synced; restart the service: commands are refused "
            "until then")));
      }
    }
    if (written.ok()) {
      w.state = StateNow(next - 1);
      {
        absl::MutexLock lock(&queue_mu_);
        settled_kept_ = std::max(settled_kept_, now);  // kRecordedAtKey went with it
      }
      w.needs_sync = options_.sync && !w.finish_here;
    } else {
      // Unsynced: nothing was written and no later group rests on it; the disk may come
      // back, callers may retry. Synced: WriteSynced poisoned the store.
      absl::Status failed = absl::UnavailableError(written.message());
      for (auto& r : results) {
        if (r.ok()) r = failed;
      }
      next = first;
      w.span.SetError(failed.message());
    }
  } else if (wrote_itself) {
    w.state = StateNow(next - 1);
  }
  w.answered = feed_progress_only && w.state.has_value() && !w.finish_here;
  written_position_ = next - 1;
  w.next = next;
  w.group = std::move(group);
  return w;
}

}  // namespace remiss::core
