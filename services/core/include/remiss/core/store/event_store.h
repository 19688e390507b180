// The event store of one service: its event log (which is also its outbox), stream index,
// command records, projections and feed cursors, all in one RocksDB.
//
// Every change goes through a single writer thread. Callers submit a transaction function;
// the writer runs the queued functions one after another against a view that sees what the
// earlier ones in the same group staged, then writes the whole group in ONE WriteBatch
// (group commit), without a sync. The writer decides the next group on the one just
// written; a second thread, the syncer, fsyncs the log once for every group written since
// its last fsync. One rule decides what anyone but the writer sees (DESIGN.md, "One rule
// for what may be seen"): a group is published to readers and its callers answered only
// when it and every group before it is durable and the store is not poisoned. Positions are
// gap-free and in commit order.
// An EventStore is thread-safe; a Tx is used only inside its function.
#pragma once

#include <cstdint>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "remiss/core/base/clock.h"
#include "remiss/v1/envelope.pb.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace remiss::core {

// Who sent a command and why; copied onto every event it records.
//
// A client's command carries a command_id. Its record is kept per (calling organization =
// actor.org_id, command_id) with the request's fingerprint: the same id with the same
// fingerprint is a retry and gets the first result again (repeated); the same id with
// another fingerprint is refused with ALREADY_EXISTS naming the first command. Records
// expire after EventStoreOptions::command_retention.
struct CommandMeta {
  std::string command_id;   // client-chosen; empty for system work (feeds), not deduplicated
  std::string command;      // what the command is ("RegisterResponse"), for messages
  std::string fingerprint;  // identifies the request's content (RequestFingerprint)
  // A command still queued at this instant (the caller's gRPC deadline) is dropped unexecuted.
  absl::Time deadline = absl::InfiniteFuture();
  remiss::v1::Actor actor;
  std::string correlation_id;
  std::string causation_id;
  std::string traceparent;
};

// What a committed transaction did. For a repeated command_id: the first result again.
struct CommitResult {
  std::string stream_id;        // the last stream appended to
  uint64_t stream_version = 0;  // its version after the commit
  uint64_t first_position = 0;  // 0 when nothing was appended
  uint64_t last_position = 0;
  bool repeated = false;        // the command_id was seen before; nothing was recorded now
};

// How far a consumer has read one partition of one source.
struct FeedCursor {
  int64_t offset = -1;    // last offset consumed (Kafka offset, or the position for LocalFeed)
  uint64_t position = 0;  // highest source position applied: anything at or below is a repeat
  // The source store's incarnation those positions belong to (empty: from before it was
  // kept). Events of another incarnation are not repeats, whatever their positions.
  std::string incarnation;
  // EventFingerprint of the event applied at `position` (empty: not kept, as in cursors from
  // before it was, or restored from a topic). A LocalFeed compares it with the event its
  // source holds there: another one means the source was restored to an earlier point and
  // has recorded anew.
  std::string fingerprint;
};

// Reads and writes of projection state, inside a transaction (or a rebuild).
class ProjectionTx {
 public:
  virtual ~ProjectionTx() = default;
  [[nodiscard]] virtual std::optional<std::string> Get(absl::string_view key) = 0;
  virtual void Put(absl::string_view key, absl::string_view value) = 0;
  virtual void Delete(absl::string_view key) = 0;
  // Calls fn(key, value) for keys starting with `prefix`, in key order, until it returns
  // false; sees what the transaction staged.
  virtual void Scan(absl::string_view prefix,
                    const std::function<bool(absl::string_view, absl::string_view)>& fn) = 0;
};

// Turns a service's own events into its projections. Must be a pure fold: the same events
// in the same order give byte-identical projections (that is what rebuild checks).
class Projector {
 public:
  virtual ~Projector() = default;
  [[nodiscard]] virtual absl::Status Apply(const remiss::v1::EventEnvelope& event,
                                           ProjectionTx& tx) = 0;
};

// A transaction on the writer thread. Everything it stages commits together or not at all:
// if the function returns an error, its staged writes are discarded. Only NotFound reads as
// absent: any other read error (Corruption, IOError) fails the transaction with UNAVAILABLE,
// whatever the function returns, and nothing of it is written.
class Tx : public ProjectionTx {
 public:
  // The stream's current version (0: no events), including what this group staged.
  [[nodiscard]] virtual uint64_t StreamVersion(absl::string_view stream_id) = 0;
  [[nodiscard]] virtual absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> ReadStream(
      absl::string_view stream_id) = 0;
  // Stages events on a stream. Each envelope needs its payload and partition_key; the store
  // fills position, event_id, source, stream id and version, type, recorded_at, the command
  // meta, and occurred_at when unset. Runs the projector on each. ABORTED (naming the current
  // version) when expected_version is given and differs.
  [[nodiscard]] virtual absl::Status Append(absl::string_view stream_id,
                                            std::optional<uint64_t> expected_version,
                                            std::vector<remiss::v1::EventEnvelope> events) = 0;
  [[nodiscard]] virtual std::optional<FeedCursor> GetFeedCursor(absl::string_view source,
                                                                int32_t partition) = 0;
  virtual void SetFeedCursor(absl::string_view source, int32_t partition, FeedCursor cursor) = 0;
  // The feed event being applied (null: none): what this transaction appends from now on is
  // marked with it (EventEnvelope.consumed), so a restore from Kafka can tell the cursors.
  virtual void SetConsumed(const remiss::v1::ConsumedFrom* consumed) {}
  // The trace context of the span that does this work now (a consumer's span; empty: none):
  // what this transaction appends from now on carries it as traceparent, over the meta's and
  // the envelope's own.
  virtual void SetTraceparent(std::string traceparent) {}
  [[nodiscard]] virtual absl::Time Now() const = 0;
};

struct EventStoreOptions {
  std::string path;              // the RocksDB directory; created if missing
  std::string source;            // this service's name: "referrals"
  const Clock* clock = nullptr;  // not owned; must outlive the store
  Projector* projector = nullptr;  // not owned; may be null
  bool sync = true;              // fsync every group (only tests of speed turn it off)
  size_t max_group = 256;        // transactions committed together at most
  // Client commands (those with a command_id) waiting for the writer, at most; one more is
  // refused with RESOURCE_EXHAUSTED. System work (feeds) is bounded by its callers.
  size_t max_queue = 10000;
  // How long a command record is kept (a retry after that is a new command), then pruned.
  absl::Duration command_retention = absl::Hours(24 * 30);
  // A rebuild folds the log in chunks of at most this many events, each written with the
  // position it reached (where a rebuild cut short resumes).
  size_t rebuild_chunk_events = 131072;
  // What a rebuild keeps of the projections in memory, about: the chunk's changes and a cache
  // of the rows it read and wrote lately. A chunk is written early when it reaches this, so
  // memory stays bounded however long the log and however many rows it touches.
  size_t rebuild_memory_bytes = 32 << 20;
  // For a store that restates another service's facts (responses restating referrals): the
  // watermark of the feeds it restates (Feed::Watermark, the earliest of them). Its own
  // watermark (Settled) never passes it, so a lagging hop upstream holds readers back.
  std::function<absl::Time()> restated_until;
  rocksdb::Env* env = nullptr;  // not owned; null: the default (tests inject faults here)
};

// How far a store's log is complete: every event it recorded before `until`, and every fact
// of the feeds it restates recorded before `until`, is in its log at or below `position`.
struct SettledMark {
  absl::Time until = absl::InfinitePast();
  uint64_t position = 0;
};

// How far a rebuild of the projections is (EventStore::Rebuild).
struct RebuildProgress {
  bool running = false;
  uint64_t position = 0;         // the last event folded into the shadow projections
  uint64_t target = 0;           // the log's last position when last looked at
  double events_per_second = 0;  // since this rebuild (or its resumption) started
  std::string error;             // why the last rebuild failed; empty when it did not
};

struct Digest {
  std::string sha256;  // hex over every projection key and value, in key order
  uint64_t entries = 0;
  uint64_t log_position = 0;
};

// What a restore put back (EventStore::FinishImport).
struct ImportResult {
  uint64_t events = 0;           // positions 1..events
  size_t feed_cursors = 0;       // from the events' `consumed`
  size_t command_records = 0;    // those still within retention
  Digest digest;                 // of the projections rebuilt from the restored log
};

class EventStore {
 public:
  using TxFn = std::function<absl::Status(Tx&)>;
  using Done = std::function<void(absl::StatusOr<CommitResult>)>;

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EventStore>> Open(EventStoreOptions options);
  ~EventStore();  // stops the writer after the queued work; closes the database
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Queues `fn`; `done` runs on the writer or the syncer thread once the group is durable
  // and published (or failed). A consumer's group that only moves feed cursors is answered
  // as soon as it is written (a crash loses it whole, and the consumer takes the same events
  // again); readers still see it only once it is durable.
  // UNAVAILABLE, unexecuted, while the store is poisoned or holds a restore cut short.
  // With a command_id seen before, `fn` does not run and `done` gets the first result (or
  // ALREADY_EXISTS for other content). RESOURCE_EXHAUSTED when the queue is full;
  // DEADLINE_EXCEEDED, unexecuted, when meta.deadline passes while it waits.
  void Submit(CommandMeta meta, TxFn fn, Done done);
  // Submit and wait.
  [[nodiscard]] absl::StatusOr<CommitResult> Execute(CommandMeta meta, TxFn fn);

  const std::string& source() const;
  const Clock& clock() const;
  // This store's incarnation: made when the store is created, kept across restarts, carried
  // over by a restore from Kafka; on every event it records (EventEnvelope.incarnation).
  const std::string& incarnation() const;

  // The last published position (0: empty log): durable, as everything readers see.
  [[nodiscard]] uint64_t LastPosition() const;
  // Every event recorded (recorded_at) before this instant is published: the clock's now
  // while no group is being committed, else the time of the oldest group under way; once
  // the store is poisoned, the time of the first group not published, for good. Never goes
  // back, and no later group is recorded before it: recorded_at is max(clock, last group's
  // time, any SettledUntil handed out), kept across restarts.
  [[nodiscard]] absl::Time SettledUntil() const;
  // SettledUntil, held back to the restated feeds' watermark (options.restated_until), with
  // the log position it covers. What relays and LocalFeeds publish as this source's watermark.
  [[nodiscard]] SettledMark Settled() const;
  // Waits until LastPosition() > after or the timeout passes; returns whether it is.
  bool WaitForPosition(uint64_t after, absl::Duration timeout) const;
  // Committed events from `from` (inclusive), at most `max` of them, in position order.
  [[nodiscard]] absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> ReadLog(uint64_t from,
                                                                               size_t max) const;
  // The same as stored bytes (each an EventEnvelope), unparsed: (position, bytes). What the
  // relay publishes as it is. Stops before an event that would take the bytes read past
  // `max_bytes` (the first event is always read).
  [[nodiscard]] absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ReadLogBytes(
      uint64_t from, size_t max, size_t max_bytes = SIZE_MAX) const;
  // Committed events of one stream, in version order.
  [[nodiscard]] absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> ReadStream(
      absl::string_view stream_id) const;

  // Published projection state, for queries: nullopt when absent, UNAVAILABLE when the read
  // failed (a failed read is never taken for "not there").
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> ReadProjection(absl::string_view key) const;
  // The same where a failure cannot be told apart (tests, tools, folds over known keys): a
  // failed read is logged and taken as absent.
  [[nodiscard]] std::optional<std::string> GetProjection(absl::string_view key) const;
  // Calls fn(key, value) for keys starting with `prefix` and greater than `start_after`,
  // in key order, until fn returns false.
  void ScanProjections(absl::string_view prefix, absl::string_view start_after,
                       const std::function<bool(absl::string_view, absl::string_view)>& fn) const;

  [[nodiscard]] std::optional<FeedCursor> GetFeedCursor(absl::string_view source,
                                                        int32_t partition) const;
  // Every stored feed cursor as (source, partition, cursor).
  [[nodiscard]] std::vector<std::tuple<std::string, int32_t, FeedCursor>> FeedCursors() const;

  // OK, or why the store cannot take writes. Poisoned for good (until it is opened again,
  // which reads what the disk kept): an fsync or a synced write failed; it then publishes
  // nothing more and refuses commands with UNAVAILABLE. Or, while it lasts: RocksDB stopped
  // writing on a background error (a full disk) and recovers by itself.
  [[nodiscard]] absl::Status Poisoned() const;

  // Small values outside transactions (the relay's cursor), written without a sync of
  // their own. A failed read is logged and taken as absent.
  [[nodiscard]] std::optional<std::string> GetMeta(absl::string_view key) const;
  [[nodiscard]] absl::Status PutMeta(absl::string_view key, absl::string_view value);

  // Command records kept now (each expires command_retention after it was recorded and is
  // pruned by the writer soon after).
  [[nodiscard]] size_t CommandRecordCount() const;

  [[nodiscard]] Digest ProjectionDigest() const;
  // Rebuilds every projection from the log in the background, in bounded memory: folds the
  // log in chunks into a shadow set of projections (its position persisted with each chunk,
  // so a rebuild cut short by a crash resumes at the next Open), catches up with the tail,
  // then swaps the shadow in atomically on the writer thread. Commands are served all the
  // while; queries answer from the old projections until the swap. OK if one is under way.
  [[nodiscard]] absl::Status StartRebuild();
  [[nodiscard]] RebuildProgress Rebuild() const;
  // StartRebuild, then waits for it to finish. Returns the new digest.
  [[nodiscard]] absl::StatusOr<Digest> RebuildProjections();

  // Restoring a lost store from the events it published (restore.h), into a store that has
  // recorded nothing and that nothing else uses yet. The first ImportEvents marks the store
  // as being restored (durably) and FinishImport removes the mark last: a store opened with
  // the mark refuses to serve (ImportUnfinished). ImportEvents puts events back at their
  // positions: the same position again with the same content counts in `duplicates`, with
  // other content it is an error naming the position. FinishImport then checks that the
  // positions run from 1 with no gap and come from one incarnation (which the store takes
  // over), and rebuilds the stream index, the feed cursors (from the events' `consumed` and
  // the operators' skips), the command records still within retention (with no fingerprint
  // kept: the same id again is answered as a retry) and the projections.
  [[nodiscard]] absl::Status ImportEvents(const std::vector<remiss::v1::EventEnvelope>& events,
                                          uint64_t* duplicates);
  [[nodiscard]] absl::StatusOr<ImportResult> FinishImport();
  // Whether the store holds an import that did not finish (a restore cut short): it then
  // refuses commands and must not serve; DiscardImport empties it for a new import.
  [[nodiscard]] bool ImportUnfinished() const;
  // The position a restore finished at in this run of the store (nullopt: no restore since
  // it was opened). Everything past it was recorded since, so a consumer in the same process
  // whose cursor from before is past it applied events the restore did not bring back.
  [[nodiscard]] std::optional<uint64_t> RestoredThrough() const;
  [[nodiscard]] absl::Status DiscardImport();

 private:
  class Impl;
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace remiss::core
