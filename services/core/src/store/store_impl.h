// The inside of EventStore (event_store.h), private to the core library. One class, Impl,
// whose parts live in one file each, the way RocksDB splits DBImpl:
//   open_close.cc    opening the database, closing it
//   writer.cc        the queue and the writer thread: deciding and writing groups
//   transaction.cc   a transaction's view (TxImpl), what a command's function sees
//   syncer.cc        the fsyncs, and THE rule for what may be seen (MaySee), publishing
//   command_records.cc  a command_id's record: retries and reuse
//   rebuild.cc       folding the log into the shadow projections and the swap
//   import.cc        a restore's import into an empty store
//   reads.cc         what readers see: the log, streams, projections, cursors, digest
//   event_store.cc   the public class, forwarding here
//
// Threads: the writer decides and writes groups; the syncer fsyncs and publishes them; a
// rebuilder folds the log. Everything a reader sees is the durable state (DurableState),
// published only through Finish, which asks MaySee (and a finished restore).
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/telemetry/tracing.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"

namespace remiss::core {
namespace internal {

inline rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
inline absl::string_view ToView(const rocksdb::Slice& s) {
  return absl::string_view(s.data(), s.size());
}
inline int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// A RocksDB error as INTERNAL, saying what was being done.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);
// A read that failed for another reason than NotFound: UNAVAILABLE, nothing decided on it.
absl::Status ReadFailed(const rocksdb::Status& s, absl::string_view what);

// Column families. `events` (key: position) is the log and the outbox; `streams` holds each
// stream's head (key: stream id) and its index (key: stream id, NUL, version -> position);
// `commands` holds command records; `meta` feed cursors, the relay's cursor and the keys
// below. Two projection column families: the active one answers queries and takes the live
// changes; the other is where a rebuild folds the log (the shadow) before the two swap.
inline constexpr const char* kEvents = "events";
inline constexpr const char* kStreams = "streams";
inline constexpr const char* kCommands = "commands";
inline constexpr const char* kProjections = "projections";
inline constexpr const char* kProjectionsB = "projections_b";
inline constexpr const char* kMeta = "meta";
// Which projections are active ("a" or "b"; absent: "a").
inline constexpr absl::string_view kActiveKey = "m/projections/active";
// While a rebuild runs: which column family it folds into, and how far it is.
inline constexpr absl::string_view kRebuildTargetKey = "m/rebuild/target";
inline constexpr absl::string_view kRebuildCursorKey = "m/rebuild/position";
// The time of the last group (recorded_at never goes back, also across a restart).
inline constexpr absl::string_view kRecordedAtKey = "m/recorded_at";
// The store's incarnation.
inline constexpr absl::string_view kIncarnationKey = "m/incarnation";
// Present while a restore's import is under way: written before its first event, removed
// after its projections are rebuilt. A store that opens with it refuses to serve.
inline constexpr absl::string_view kImportKey = "m/import/in_progress";
// The kind of feeds that wrote the feed cursors (FeedConsumer; PutMeta's "m/" prefix).
inline constexpr absl::string_view kFeedsKindKey = "m/feeds/kind";

std::string StreamIndexKey(absl::string_view stream_id, uint64_t version);
std::string FeedKey(absl::string_view source, int32_t partition);
std::string EncodeCursor(const FeedCursor& c);
FeedCursor DecodeCursor(absl::string_view v);
// The name of the fact inside the envelope: the message set in the payload's own oneof.
std::string EventType(const remiss::v1::EventEnvelope& e);
// An event over the byte budget, refused naming the field that holds the most.
absl::Status OverBudget(const remiss::v1::EventEnvelope& e, size_t bytes, size_t limit);

}  // namespace internal

class EventStore::Impl {
 public:
  struct Pending {
    CommandMeta meta;
    TxFn fn;
    Done done;
    bool exclusive = false;  // runs in a group of its own (rebuild)
  };

  explicit Impl(EventStoreOptions options) : options_(std::move(options)) {}
  ~Impl();  // open_close.cc
  absl::Status Open();

  const EventStoreOptions& options() const { return options_; }
  uint64_t last_position() const { return last_position_.load(); }
  rocksdb::ColumnFamilyHandle* active() const { return active_.load(); }

  // writer.cc
  void Submit(Pending p);
  bool WaitForPosition(uint64_t after, absl::Duration timeout) const;

  // syncer.cc
  absl::Time SettledUntil();
  // OK, or why the store is poisoned: an fsync or a synced write failed. Then it publishes
  // nothing more and refuses every command until it is opened again.
  absl::Status Poisoned() const;
  // Poisons the store with `why` (the first reason is kept).
  void Poison(const absl::Status& why);
  // OK, or the background error RocksDB stopped writing on (a failed flush or compaction, a
  // full disk), until it recovers by itself: writes fail meanwhile, nothing is lost.
  absl::Status RocksDbError() const;
  void SetRocksDbError(const absl::Status& error);
  // Every write to the database (groups, meta, a rebuild's chunks, a restore) goes through
  // here, one at a time with the syncer's log sync (SyncLog). A write that reached the log and
  // failed leaves RocksDB's log writer broken, and a later sync of that log aborts Debian's
  // RocksDB (built with its assertions: WritableFileWriter's "sync_without_flush_called_"):
  // the syncer learns of it before it syncs, not while its sync waits behind the write.
  rocksdb::Status WriteToDb(const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* batch)
      ABSL_LOCKS_EXCLUDED(log_mu_);
  // FlushWAL(sync) unless a write broke the log; then the IO error that broke it.
  rocksdb::Status SyncLog() ABSL_LOCKS_EXCLUDED(log_mu_);

  // rebuild.cc
  absl::Status StartRebuild() ABSL_LOCKS_EXCLUDED(rebuild_mu_);
  RebuildProgress Rebuild() const ABSL_LOCKS_EXCLUDED(rebuild_mu_);
  absl::Status WaitForRebuild() ABSL_LOCKS_EXCLUDED(rebuild_mu_);

  // import.cc: after a restore wrote the log directly, the writer goes on after it.
  void RestoredUpTo(uint64_t position, absl::Time recorded);
  bool import_unfinished() const { return import_unfinished_.load(); }

  // A read of one key at `ro`: nullopt when absent; UNAVAILABLE when the read failed.
  absl::StatusOr<std::optional<std::string>> Read(
      rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
      const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) const;
  // Read, with a failure logged and taken as absent (for callers that cannot say "failed").
  std::optional<std::string> Get(rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                                 const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) const;
  // A write that must be durable before anyone hears of it: a failure poisons the store
  // (what reached the log may or may not be on the disk).
  absl::Status WriteSynced(rocksdb::WriteBatch* batch, absl::string_view what);

  // What readers other than the writer see: the state the last published group left (a
  // RocksDB snapshot taken right after its write), with the projections active then.
  struct DurableState {
    std::shared_ptr<const rocksdb::Snapshot> snapshot;
    rocksdb::ColumnFamilyHandle* active = nullptr;
    uint64_t position = 0;  // the log's last position in it
  };
  struct DurableRead {
    explicit DurableRead(const Impl* store);
    DurableState state;
    rocksdb::ReadOptions options;
    rocksdb::ColumnFamilyHandle* active() const { return state.active; }
  };

  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* projections_[2] = {nullptr, nullptr};
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  std::string incarnation_;  // set by Open (or a restore's FinishImport, before serving)

 private:
  class TxImpl;
  // A group written (unsynced) by the writer, waiting for the syncer: its fsync, then its
  // publication and its callers' answers, in the order the groups were written.
  struct Written {
    std::vector<Pending> group;
    std::vector<absl::StatusOr<CommitResult>> results;
    uint64_t first = 0, next = 0;        // positions [first, next)
    std::optional<DurableState> state;   // right after its write (none: it wrote nothing)
    bool needs_sync = false;             // it wrote: durable only after an fsync
    bool answered = false;               // its callers were answered already (feed progress)
    bool finish_here = false;            // synced (by its write) and finished by the writer
    absl::Time write_started;            // for the commit-time metric
    tracing::Span span;
  };

  // writer.cc
  void WriterLoop();
  // Decides the group and writes it (not synced unless finish_here): what the syncer finishes.
  Written CommitGroup(std::vector<Pending>& group, absl::Time now);
  bool NothingInFlight();
  bool GroupsAwaitSync();  // groups written and not yet finished by the syncer
  // command_records.cc: stages the deletion of expired command records, a bounded number.
  void PruneCommandRecords(rocksdb::WriteBatchWithIndex& batch, absl::Time now);

  // syncer.cc
  void SyncerLoop();
  // THE rule for what may be seen: OK when a group whose own fsync ended with `synced` may be
  // seen (published, answered as definitive), else the UNAVAILABLE its callers get instead.
  absl::Status MaySee(const absl::Status& synced) const;
  // Publishes the group (if MaySee allows) and answers its callers.
  void Finish(Written& w, const absl::Status& synced);
  // The state now, whose log ends at `position` (writer thread, or while nothing is written).
  DurableState StateNow(uint64_t position) const;
  // Makes `state` what readers see and `position` the log's last one, together.
  void Publish(std::optional<DurableState> state, std::optional<uint64_t> position);

  // rebuild.cc
  void RunRebuild();

  EventStoreOptions options_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::shared_ptr<rocksdb::EventListener> listener_;  // RocksDB's background errors
  std::thread writer_;
  std::thread syncer_;

  // The active projections; changed only by a rebuild's swap, on the writer thread.
  std::atomic<rocksdb::ColumnFamilyHandle*> active_{nullptr};
  int active_index_ = 0;  // writer thread (and Open)
  mutable absl::Mutex rebuild_mu_;
  RebuildProgress rebuild_ ABSL_GUARDED_BY(rebuild_mu_);
  std::atomic<bool> rebuild_stop_{false};
  std::thread rebuilder_;

  absl::Mutex queue_mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(queue_mu_);
  size_t queued_commands_ ABSL_GUARDED_BY(queue_mu_) = 0;  // queue_ entries with a command_id
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  // The times of the groups being decided, written or synced, oldest first: nothing recorded
  // at or after the first is visible to readers yet.
  std::deque<absl::Time> unsettled_ ABSL_GUARDED_BY(queue_mu_);
  // The last group's time, and the latest SettledUntil handed out: the next group's time is
  // not before either.
  absl::Time last_group_time_ ABSL_GUARDED_BY(queue_mu_) = absl::InfinitePast();
  absl::Time settled_high_ ABSL_GUARDED_BY(queue_mu_) = absl::InfinitePast();
  // The latest time kept in meta (kRecordedAtKey) by a group or by SettledUntil: an idle
  // store hands out no watermark beyond it, so a crash cannot forget one it handed out.
  absl::Time settled_kept_ ABSL_GUARDED_BY(queue_mu_) = absl::InfinitePast();
  // Once poisoned: the time of the first group that was not published. Nothing recorded at
  // or after it is settled, ever, in this run (the disk may have kept that group).
  std::optional<absl::Time> settled_frozen_ ABSL_GUARDED_BY(queue_mu_);

  absl::Mutex sync_mu_;
  std::deque<Written> written_ ABSL_GUARDED_BY(sync_mu_);
  bool syncing_ ABSL_GUARDED_BY(sync_mu_) = false;  // the syncer is working on groups it took
  bool writer_done_ ABSL_GUARDED_BY(sync_mu_) = false;

  mutable absl::Mutex poison_mu_;
  absl::Status poisoned_ ABSL_GUARDED_BY(poison_mu_);
  absl::Status rocksdb_error_ ABSL_GUARDED_BY(poison_mu_);

  // The next position the writer hands out is written_position_ + 1 (writer thread; and Open,
  // RestoredUpTo while it is idle).
  uint64_t written_position_ = 0;
  mutable absl::Mutex durable_mu_;
  DurableState durable_ ABSL_GUARDED_BY(durable_mu_);
  absl::Time next_prune_ = absl::InfinitePast();  // writer thread only
  std::atomic<bool> import_unfinished_{false};
  // WriteToDb and SyncLog, one at a time; the first write that failed on the log.
  absl::Mutex log_mu_;
  rocksdb::Status log_broken_ ABSL_GUARDED_BY(log_mu_);
  // Where the restore that FinishImport ended in this run left the log (0: none in this run).
  std::atomic<uint64_t> restored_through_{0};
  std::atomic<bool> restored_{false};

  // The last published position: written only by Finish (and Open, RestoredUpTo), under
  // position_mu_ so that waiters wake.
  mutable absl::Mutex position_mu_;
  std::atomic<uint64_t> last_position_{0};

  friend class EventStore;
};

}  // namespace remiss::core
