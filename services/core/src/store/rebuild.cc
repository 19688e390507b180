// Rebuilding the projections: the log is folded into the inactive column family (the
// shadow) while the writer goes on, then the writer folds the last few events and swaps,
// alone. The swap happens only after a complete fold: a stop or an error before it leaves
// the old projections in use (and the shadow's position persisted, to resume from).
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/base/validation.h"
#include "projection_fold.h"
#include "store_impl.h"

namespace remiss::core {

using namespace internal;

absl::Status EventStore::Impl::StartRebuild() {
  absl::MutexLock lock(&rebuild_mu_);
  if (rebuild_.running) return absl::OkStatus();
  if (rebuilder_.joinable()) rebuilder_.join();  // the last one, finished
  rebuild_ = RebuildProgress();
  rebuild_.running = true;
  rebuilder_ = std::thread([this] { RunRebuild(); });
  return absl::OkStatus();
}

RebuildProgress EventStore::Impl::Rebuild() const {
  absl::MutexLock lock(&rebuild_mu_);
  RebuildProgress p = rebuild_;
  p.target = last_position();
  return p;
}

absl::Status EventStore::Impl::WaitForRebuild() {
  absl::MutexLock lock(&rebuild_mu_);
  rebuild_mu_.Await(absl::Condition(+[](RebuildProgress* r) { return !r->running; }, &rebuild_));
  if (!rebuild_.error.empty()) return absl::UnavailableError(rebuild_.error);
  return absl::OkStatus();
}

// On the rebuilder thread.
void EventStore::Impl::RunRebuild() {
  const absl::Time started = absl::Now();
  auto finish = [this](absl::Status s) {
    absl::MutexLock lock(&rebuild_mu_);
    rebuild_.running = false;
    rebuild_.error = s.ok() ? "" : std::string(s.message());
    if (!s.ok()) LogMessage(options_.source, "rebuild_failed", rebuild_.error);
  };
  const int target_index = 1 - active_index_;
  FoldTarget target{.db = db_,
                    .write = [this](const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* b) {
                      return WriteToDb(wo, b);
                    },
                    .events = events_, .projections = projections_[target_index],
                    .meta = meta_, .cursor_key = std::string(kRebuildCursorKey),
                    .projector = options_.projector,
                    .chunk_events = options_.rebuild_chunk_events,
                    .memory_bytes = options_.rebuild_memory_bytes};
  uint64_t folded = 0;
  const std::string target_name = target_index == 1 ? "b" : "a";
  absl::StatusOr<std::optional<std::string>> resuming = Read(meta_, kRebuildTargetKey);
  if (!resuming.ok()) return finish(resuming.status());
  if (*resuming == target_name) {
    absl::StatusOr<std::optional<std::string>> at = Read(meta_, kRebuildCursorKey);
    if (!at.ok()) return finish(at.status());
    folded = DecodeU64(at->value_or(""));
  } else {
    if (absl::Status s = ClearColumnFamily(db_, target.projections, target.write); !s.ok()) return finish(s);
    rocksdb::WriteBatch begin;
    begin.Put(meta_, ToSlice(kRebuildTargetKey), target_name);
    begin.Put(meta_, ToSlice(kRebuildCursorKey), EncodeU64(0));
    if (absl::Status s = WriteSynced(&begin, "starting a rebuild"); !s.ok()) return finish(s);
  }
  const uint64_t resumed_at = folded;
  auto note = [&](uint64_t position) {
    absl::MutexLock lock(&rebuild_mu_);
    rebuild_.position = position;
    const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
    if (seconds > 0) rebuild_.events_per_second = static_cast<double>(position - resumed_at) / seconds;
    return !rebuild_stop_.load();
  };
  // Catch up with the log in the background until little is left.
  constexpr uint64_t kTail = 4096;
  while (last_position() > folded + kTail) {
    auto r = FoldLog(target, folded + 1, last_position(), /*sync=*/false, note);
    if (!r.ok()) return finish(r.status());
    folded = *r;
  }
  // The rest alone on the writer thread, then the swap, in one synced batch.
  absl::Notification swapped;
  absl::Status swap_status;
  Submit(Pending{CommandMeta{},
                 [&](Tx&) -> absl::Status {
                   // Up to what the writer has written (groups may still be syncing): all of
                   // it, or no swap.
                   const uint64_t head = written_position_;
                   absl::StatusOr<uint64_t> r = FoldLog(target, folded + 1, head, /*sync=*/false, note);
                   if (!r.ok()) return r.status();
                   folded = *r;
                   if (folded != head) {
                     return absl::InternalError(absl::StrCat(
                         "the rebuild folded to position ", folded, ", not the log's ", head));
                   }
                   rocksdb::WriteBatch swap;
                   swap.Put(meta_, ToSlice(kActiveKey), target_name);
                   swap.Delete(meta_, ToSlice(kRebuildTargetKey));
                   swap.Delete(meta_, ToSlice(kRebuildCursorKey));
                   REMISS_RETURN_IF_ERROR(WriteSynced(&swap, "swapping in the rebuilt projections"));
                   active_index_ = target_index;
                   active_.store(projections_[target_index]);
                   return absl::OkStatus();
                 },
                 [&](absl::StatusOr<CommitResult> r) {
                   swap_status = r.status();
                   swapped.Notify();
                 },
                 /*exclusive=*/true});
  swapped.WaitForNotification();
  finish(swap_status);
}

}  // namespace remiss::core
