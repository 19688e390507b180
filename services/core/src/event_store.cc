#include "remiss/core/event_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdarg>
#include <deque>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "remiss/core/byte_budget.h"
#include "remiss/core/keys.h"
#include "remiss/core/log.h"
#include "remiss/core/thread_name.h"
#include "remiss/core/message_checks.h"
#include "remiss/core/metrics.h"
#include "remiss/core/tracing.h"
#include "remiss/core/validation.h"
#include "projection_fold.h"
#include "remiss/core/timestamps.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/write_batch_with_index.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

// Column families. `events` (key: position) is the log and the outbox; `streams` holds each
// stream's head (key: stream id) and its index (key: stream id, NUL, version -> position);
// `commands` maps command ids to their first result; `meta` holds feed cursors and the
// relay's cursor.
constexpr const char* kEvents = "events";
constexpr const char* kStreams = "streams";
constexpr const char* kCommands = "commands";
// Two projection column families: the active one answers queries and takes the live
// projection changes; the other is where a rebuild folds the log (the shadow) before the
// two swap. meta "m/projections/active" names the active one ("a" or "b"; absent: "a").
constexpr const char* kProjections = "projections";
constexpr const char* kProjectionsB = "projections_b";
constexpr absl::string_view kActiveKey = "m/projections/active";
// While a rebuild runs: which column family it folds into, and how far it is.
constexpr absl::string_view kRebuildTargetKey = "m/rebuild/target";
constexpr absl::string_view kRebuildCursorKey = "m/rebuild/position";
constexpr const char* kMeta = "meta";

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": ", s.ToString()));
}

// RocksDB's own log, to stderr from ERROR up (a failed start stays one line), instead of a
// LOG file in the data directory: a full disk makes that file fail too, and RocksDB (Debian's
// build keeps its assertions) aborts while logging the write error, where the store should
// answer UNAVAILABLE.
class StderrLogger final : public rocksdb::Logger {
 public:
  explicit StderrLogger(std::string source)
      : rocksdb::Logger(rocksdb::InfoLogLevel::ERROR_LEVEL), source_(std::move(source)) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[2048];
    std::vsnprintf(line, sizeof line, format, ap);
    LogMessage(source_, "rocksdb", line);
  }

 private:
  std::string source_;
};

// A read that failed for another reason than NotFound: the storage is unwell, the command
// may succeed later; nothing was decided on it.
absl::Status ReadFailed(const rocksdb::Status& s, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("reading ", what, " failed (", s.ToString(),
                                             "); nothing was recorded, retry later"));
}

// The time of the last group, kept in `meta` so that recorded_at never goes back, also
// across a restart after a clock step.
constexpr const char* kRecordedAtKey = "m/recorded_at";

std::string StreamIndexKey(absl::string_view stream_id, uint64_t version) {
  return absl::StrCat(stream_id, absl::string_view("\0", 1), EncodeU64(version));
}

std::string FeedKey(absl::string_view source, int32_t partition) {
  return absl::StrCat("feed/", source, "/", partition);
}

// A feed cursor's value: offset and position (u64 each), then the source's incarnation.
std::string EncodeCursor(const FeedCursor& c) {
  return absl::StrCat(EncodeU64(static_cast<uint64_t>(c.offset)), EncodeU64(c.position),
                      c.incarnation);
}

FeedCursor DecodeCursor(absl::string_view v) {
  FeedCursor c{static_cast<int64_t>(DecodeU64(v)), DecodeU64(v.substr(std::min<size_t>(8, v.size())))};
  if (v.size() > 16) c.incarnation = std::string(v.substr(16));
  return c;
}

// The store's incarnation, in `meta`.
constexpr const char* kIncarnationKey = "m/incarnation";

// 128 random bits, hex.
absl::StatusOr<std::string> NewIncarnation() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return absl::InternalError("no random bytes for the store's incarnation");
  std::string hex;
  for (unsigned char b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  return hex;
}

// Command records live in the `commands` column family under "r/" + scope + NUL + id
// (scope: the calling organization), with a time index "t/" + recorded-at (big-endian
// microseconds) + the same suffix, by which expired records are pruned in time order.
// A record's value: version, first, last, recorded-at (u64 each), the fingerprint's length
// (u64) and bytes, the command's name's length (u64) and bytes, then the stream id.
constexpr absl::string_view kRecordPrefix = "r/";
constexpr absl::string_view kRecordTimePrefix = "t/";

std::string RecordSuffix(const CommandMeta& meta) {
  return absl::StrCat(meta.actor.org_id(), absl::string_view("\0", 1), meta.command_id);
}

struct CommandRecord {
  CommitResult result;
  absl::Time recorded_at;
  std::string fingerprint;
  std::string command;
};

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

std::string EncodeRecord(const CommitResult& r, absl::Time at, const CommandMeta& meta) {
  return absl::StrCat(EncodeU64(r.stream_version), EncodeU64(r.first_position),
                      EncodeU64(r.last_position), EncodeU64(static_cast<uint64_t>(Micros(at))),
                      EncodeU64(meta.fingerprint.size()), meta.fingerprint,
                      EncodeU64(meta.command.size()), meta.command, r.stream_id);
}

std::optional<CommandRecord> DecodeRecord(absl::string_view v) {
  CommandRecord rec;
  auto take_u64 = [&v](uint64_t& out) {
    if (v.size() < 8) return false;
    out = DecodeU64(v.substr(0, 8));
    v.remove_prefix(8);
    return true;
  };
  auto take_string = [&](std::string& out) {
    uint64_t n = 0;
    if (!take_u64(n) || v.size() < n) return false;
    out = std::string(v.substr(0, n));
    v.remove_prefix(n);
    return true;
  };
  uint64_t micros = 0;
  if (!take_u64(rec.result.stream_version) || !take_u64(rec.result.first_position) ||
      !take_u64(rec.result.last_position) || !take_u64(micros) || !take_string(rec.fingerprint) ||
      !take_string(rec.command)) {
    return std::nullopt;
  }
  rec.recorded_at = absl::FromUnixMicros(static_cast<int64_t>(micros));
  rec.result.stream_id = std::string(v);
  rec.result.repeated = true;
  return rec;
}

// A retry gets the first result; a different command under a used id is refused.
absl::StatusOr<CommitResult> AnswerFromRecord(const CommandRecord& rec, const CommandMeta& meta) {
  // A record restored from the events has no fingerprint: the same id is taken as a retry.
  if (rec.fingerprint.empty() || rec.fingerprint == meta.fingerprint) return rec.result;
  return absl::AlreadyExistsError(absl::StrCat(
      "command_id: ", Quote(meta.command_id), " was already used at ",
      absl::FormatTime(absl::RFC3339_sec, rec.recorded_at, absl::UTCTimeZone()), " by ",
      rec.command.empty() ? "another command" : rec.command,
      rec.result.stream_id.empty() ? "" : absl::StrCat(" on ", rec.result.stream_id),
      " with other content; a new command needs a new command_id (a retry must send the "
      "same request again)"));
}

// The name of the fact inside the envelope: the message set in the payload's own oneof.
std::string EventType(const EventEnvelope& e) {
  const auto* refl = e.GetReflection();
  const auto* field = refl->GetOneofFieldDescriptor(e, e.GetDescriptor()->FindOneofByName("payload"));
  if (field == nullptr) return "";
  const google::protobuf::Message& inner = refl->GetMessage(e, field);
  const auto* d = inner.GetDescriptor();
  for (int i = 0; i < d->oneof_decl_count(); ++i) {
    const auto* f = inner.GetReflection()->GetOneofFieldDescriptor(inner, d->oneof_decl(i));
    if (f != nullptr && f->message_type() != nullptr) return f->message_type()->name();
  }
  return d->name();
}


std::string Hex(const unsigned char* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&out, absl::StrFormat("%02x", p[i]));
  return out;
}

}  // namespace

class EventStore::Impl {
 public:
  struct Pending {
    CommandMeta meta;
    TxFn fn;
    Done done;
    bool exclusive = false;  // runs in a group of its own (rebuild)
  };

  explicit Impl(EventStoreOptions options) : options_(std::move(options)) {}

  ~Impl() {
    // A rebuild stops between chunks; its persisted position lets the next Open resume it.
    rebuild_stop_ = true;
    if (rebuilder_.joinable()) rebuilder_.join();
    {
      absl::MutexLock lock(&queue_mu_);
      stopping_ = true;
    }
    if (writer_.joinable()) writer_.join();
    if (syncer_.joinable()) syncer_.join();
    {
      absl::MutexLock lock(&durable_mu_);
      durable_ = DurableState{};
    }
    if (db_ != nullptr) {
      // A watermark handed out may be ahead of the last group: the next run records after it.
      absl::Time high;
      {
        absl::MutexLock lock(&queue_mu_);
        high = std::max(settled_high_, last_group_time_);
      }
      if (high != absl::InfinitePast()) {
        (void)db_->Put(rocksdb::WriteOptions(), meta_, kRecordedAtKey,
                       EncodeU64(static_cast<uint64_t>(absl::ToUnixMicros(high))));
      }
    }
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    delete db_;
  }

  absl::Status Open() {
    std::error_code ec;
    std::filesystem::create_directories(options_.path, ec);
    if (ec) return absl::InternalError(absl::StrCat("data directory ", options_.path, ": ", ec.message()));
    rocksdb::DBOptions db_options;
    if (options_.env != nullptr) db_options.env = options_.env;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.info_log = std::make_shared<StderrLogger>(options_.source);
    // Memory stays bounded however much is stored: all memtables together flush at 64 MiB.
    db_options.db_write_buffer_size = 64 << 20;
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.write_buffer_size = 16 << 20;
    // Projections are read by key far more than scanned, and a rebuild or a new aggregate
    // reads many keys that are not there yet: bloom filters (in the tables and the
    // memtables) answer those without searching. So are a command's record (a new
    // command_id: absent) and a new stream's head, read by every command: the same filters.
    rocksdb::ColumnFamilyOptions projection_options = cf_options;
    rocksdb::BlockBasedTableOptions table_options;
    table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    projection_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
    projection_options.memtable_prefix_bloom_size_ratio = 0.05;
    projection_options.memtable_whole_key_filtering = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), kEvents, kStreams,
                             kCommands, kProjections, kMeta, kProjectionsB}) {
      const bool point_reads = name == std::string_view(kProjections) ||
                               name == std::string_view(kProjectionsB) ||
                               name == std::string_view(kCommands) || name == std::string_view(kStreams);
      cfs.emplace_back(name, point_reads ? projection_options : cf_options);
    }
    rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, cfs, &handles_, &db_);
    if (!s.ok() && s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--data-dir: the store ", options_.path,
          " is in use by another process (its RocksDB LOCK is held); stop that process or "
          "choose another --data-dir"));
    }
    if (!s.ok()) return FromRocks(s, absl::StrCat("opening the event store at ", options_.path));
    events_ = handles_[1];
    streams_ = handles_[2];
    commands_ = handles_[3];
    projections_[0] = handles_[4];
    meta_ = handles_[5];
    projections_[1] = handles_[6];
    auto active = Get(meta_, kActiveKey);
    active_index_ = active == "b" ? 1 : 0;
    active_.store(projections_[active_index_]);

    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events_));
    it->SeekToLast();
    if (!it->status().ok()) return FromRocks(it->status(), "reading the end of the log");
    last_position_.store(it->Valid() ? DecodeU64(ToView(it->key())) : 0);
    written_position_ = last_position_.load();
    {
      absl::MutexLock lock(&durable_mu_);
      durable_ = StateNow(last_position_.load());  // what the store holds when it opens
    }
    // recorded_at resumes after the last group's time (stores from before it was kept: after
    // the last event's).
    absl::Time floor = absl::InfinitePast();
    if (it->Valid()) {
      EventEnvelope last;
      if (last.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        floor = FromTimestamp(last.recorded_at());
      }
    }
    std::string kept;
    rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), meta_, kRecordedAtKey, &kept);
    if (!got.ok() && !got.IsNotFound()) return FromRocks(got, "reading the last recorded_at");
    if (got.ok()) floor = std::max(floor, absl::FromUnixMicros(static_cast<int64_t>(DecodeU64(kept))));
    {
      absl::MutexLock lock(&queue_mu_);
      last_group_time_ = floor;
      settled_high_ = floor;
    }
    got = db_->Get(rocksdb::ReadOptions(), meta_, kIncarnationKey, &incarnation_);
    if (!got.ok() && !got.IsNotFound()) return FromRocks(got, "reading the store's incarnation");
    if (got.IsNotFound()) {
      absl::StatusOr<std::string> made = NewIncarnation();
      if (!made.ok()) return made.status();
      incarnation_ = *made;
      rocksdb::WriteOptions wo;
      wo.sync = options_.sync;
      if (absl::Status s = FromRocks(db_->Put(wo, meta_, kIncarnationKey, incarnation_),
                                     "keeping the store's incarnation");
          !s.ok()) {
        return s;
      }
    }
    writer_ = std::thread([this] {
      NameThisThread(absl::StrCat("store ", options_.source));
      WriterLoop();
      absl::MutexLock lock(&sync_mu_);
      writer_done_ = true;
    });
    syncer_ = std::thread([this] {
      NameThisThread(absl::StrCat("sync ", options_.source));
      SyncerLoop();
    });
    // A rebuild cut short (a crash, a stop) goes on from where it was.
    if (Get(meta_, kRebuildTargetKey).has_value()) return StartRebuild();
    return absl::OkStatus();
  }

  rocksdb::ColumnFamilyHandle* active() const { return active_.load(); }

  absl::Status StartRebuild() ABSL_LOCKS_EXCLUDED(rebuild_mu_);
  RebuildProgress Rebuild() const ABSL_LOCKS_EXCLUDED(rebuild_mu_) {
    absl::MutexLock lock(&rebuild_mu_);
    RebuildProgress p = rebuild_;
    p.target = last_position();
    return p;
  }
  absl::Status WaitForRebuild() ABSL_LOCKS_EXCLUDED(rebuild_mu_) {
    absl::MutexLock lock(&rebuild_mu_);
    rebuild_mu_.Await(absl::Condition(
        +[](RebuildProgress* r) { return !r->running; }, &rebuild_));
    if (!rebuild_.error.empty()) return absl::UnavailableError(rebuild_.error);
    return absl::OkStatus();
  }

  void Submit(Pending p) {
    absl::Status refused;
    {
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

  bool WaitForPosition(uint64_t after, absl::Duration timeout) const {
    absl::MutexLock lock(&position_mu_);
    auto past = [this, after]() ABSL_SHARED_LOCKS_REQUIRED(position_mu_) {
      return last_position_.load() > after;
    };
    return position_mu_.AwaitWithTimeout(absl::Condition(&past), timeout);
  }

  absl::StatusOr<std::vector<EventEnvelope>> ReadLog(uint64_t from, size_t max) const {
    std::vector<EventEnvelope> out;
    DurableRead read(this);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read.options, events_));
    std::string start = EncodeU64(from);
    for (it->Seek(start); it->Valid() && out.size() < max; it->Next()) {
      if (!out.emplace_back().ParseFromArray(it->value().data(), it->value().size())) {
        return absl::DataLossError(absl::StrCat("event at position ", DecodeU64(ToView(it->key())),
                                                " does not parse"));
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the log");
    return out;
  }

  absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ReadLogBytes(
      uint64_t from, size_t max, size_t max_bytes) const {
    std::vector<std::pair<uint64_t, std::string>> out;
    out.reserve(std::min<size_t>(max, 4096));
    DurableRead read(this);
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read.options, events_));
    std::string start = EncodeU64(from);
    size_t bytes = 0;
    for (it->Seek(start); it->Valid() && out.size() < max; it->Next()) {
      if (!out.empty() && it->value().size() > max_bytes - std::min(bytes, max_bytes)) break;
      bytes += it->value().size();
      out.emplace_back(DecodeU64(ToView(it->key())), std::string(ToView(it->value())));
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the log");
    return out;
  }

  std::optional<std::string> Get(rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                                 const rocksdb::ReadOptions& ro = rocksdb::ReadOptions()) const {
    std::string value;
    rocksdb::Status s = db_->Get(ro, cf, ToSlice(key), &value);
    if (!s.ok()) {
      if (!s.IsNotFound()) {
        LogMessage(options_.source, "read_failed", s.ToString());
      }
      return std::nullopt;
    }
    return value;
  }

  const EventStoreOptions& options() const { return options_; }
  uint64_t last_position() const { return last_position_.load(); }

  // Readers other than the writer see the state the last durable group left (a RocksDB
  // snapshot taken after its write, published once its fsync returned): a group written but
  // not yet synced is seen only by the writer, which decides the next group on it.
  // The projections that were active at that point go with it (a rebuild's swap is seen
  // with the state it swapped in).
  struct DurableState {
    std::shared_ptr<const rocksdb::Snapshot> snapshot;
    rocksdb::ColumnFamilyHandle* active = nullptr;
    uint64_t position = 0;  // the log's last position in it
  };
  struct DurableRead {
    explicit DurableRead(const Impl* store) {
      {
        absl::MutexLock lock(&store->durable_mu_);
        state = store->durable_;
      }
      options.snapshot = state.snapshot.get();
    }
    DurableState state;
    rocksdb::ReadOptions options;
    rocksdb::ColumnFamilyHandle* active() const { return state.active; }
  };
  // The state now, whose log ends at `position` (writer thread, or Open and a restore while
  // nothing is written).
  DurableState StateNow(uint64_t position) const {
    return {std::shared_ptr<const rocksdb::Snapshot>(
                db_->GetSnapshot(),
                [db = db_](const rocksdb::Snapshot* s) { db->ReleaseSnapshot(s); }),
            active(), position};
  }

  class TxImpl;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* events_ = nullptr;
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* commands_ = nullptr;
  rocksdb::ColumnFamilyHandle* projections_[2] = {nullptr, nullptr};
  rocksdb::ColumnFamilyHandle* meta_ = nullptr;
  std::string incarnation_;  // set by Open, then never changed

 private:
  void WriterLoop();
  struct Written;
  // Decides the group and writes it (not synced yet): what the syncer finishes.
  Written CommitGroup(std::vector<Pending>& group, absl::Time now);
  void RunRebuild();

  // The active projections; changed only by a rebuild's swap, on the writer thread.
  std::atomic<rocksdb::ColumnFamilyHandle*> active_{nullptr};
  int active_index_ = 0;  // writer thread (and Open)
  mutable absl::Mutex rebuild_mu_;
  RebuildProgress rebuild_ ABSL_GUARDED_BY(rebuild_mu_);
  std::atomic<bool> rebuild_stop_{false};
  std::thread rebuilder_;

  // A group written (unsynced) by the writer, waiting for the syncer: its fsync, then its
  // callers' answers, in the order the groups were written.
  struct Written {
    std::vector<Pending> group;
    std::vector<absl::StatusOr<CommitResult>> results;
    uint64_t first = 0, next = 0;  // positions [first, next)
    bool needs_sync = false;       // it wrote something that must be durable before answers
    std::optional<DurableState> state;  // right after its write (none: it wrote nothing)
    bool finish_here = false;  // synced and answered by the writer (the syncer was idle)
    absl::Time write_started;  // for the commit-time metric: from its write to its fsync
    tracing::Span span;
  };
  // Runs the fsyncs: takes every group written so far, syncs the log once for all of them,
  // then publishes their positions and state and answers their callers.
  void SyncerLoop();
  void Finish(Written& w, const absl::Status& synced);
  std::thread syncer_;
  absl::Mutex sync_mu_;
  std::deque<Written> written_ ABSL_GUARDED_BY(sync_mu_);
  bool syncing_ ABSL_GUARDED_BY(sync_mu_) = false;  // the syncer is working on groups it took
  bool writer_done_ ABSL_GUARDED_BY(sync_mu_) = false;
  // Whether no command waits and every written group is answered (writer thread).
  bool NothingInFlight() {
    {
      absl::MutexLock lock(&queue_mu_);
      if (!queue_.empty()) return false;
    }
    absl::MutexLock lock(&sync_mu_);
    return written_.empty() && !syncing_;
  }
  // Set once an fsync failed: what was written after the last good one may not be on disk,
  // and the writer has decided later groups on it, so the store refuses every command until
  // it is opened again (the log then holds what the disk kept).
  absl::Mutex broken_mu_;
  absl::Status broken_ ABSL_GUARDED_BY(broken_mu_);
  // The next position the writer hands out is written_position_ + 1 (writer thread; and Open,
  // RestoredUpTo while it is idle).
  uint64_t written_position_ = 0;
  mutable absl::Mutex durable_mu_;
  DurableState durable_ ABSL_GUARDED_BY(durable_mu_);
  // Stages the deletion of command records that expired before `now` (a bounded number per
  // call, oldest first), at most once a minute of the store's clock.
  void PruneCommandRecords(rocksdb::WriteBatchWithIndex& batch, absl::Time now);
  absl::Time next_prune_ = absl::InfinitePast();  // writer thread only

 public:
  // After a restore wrote the log directly: the writer goes on after it.
  void RestoredUpTo(uint64_t position, absl::Time recorded) {
    {
      absl::MutexLock lock(&queue_mu_);
      last_group_time_ = std::max(last_group_time_, recorded);
      settled_high_ = std::max(settled_high_, recorded);
      written_position_ = position;  // the writer reads it after taking this lock
    }
    {
      absl::MutexLock lock(&durable_mu_);
      durable_ = StateNow(position);  // the restore synced what it wrote
    }
    absl::MutexLock lock(&position_mu_);
    last_position_.store(position);
  }

  absl::Time SettledUntil() {
    absl::MutexLock lock(&queue_mu_);
    if (!unsettled_.empty()) return unsettled_.front();
    // While idle: now, but never before the last group (the clock may have stepped back);
    // the next group is recorded at or after whatever this hands out.
    settled_high_ = std::max({settled_high_, options_.clock->Now(), last_group_time_});
    return settled_high_;
  }

 private:

  EventStoreOptions options_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::thread writer_;

  absl::Mutex queue_mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(queue_mu_);
  size_t queued_commands_ ABSL_GUARDED_BY(queue_mu_) = 0;  // queue_ entries with a command_id
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  // The times of the groups being prepared, written or synced, oldest first: nothing recorded
  // at or after the first is visible to readers yet.
  std::deque<absl::Time> unsettled_ ABSL_GUARDED_BY(queue_mu_);
  // The last group's time, and the latest SettledUntil handed out: the next group's time is
  // after the one and not before the other.
  absl::Time last_group_time_ ABSL_GUARDED_BY(queue_mu_) = absl::InfinitePast();
  absl::Time settled_high_ ABSL_GUARDED_BY(queue_mu_) = absl::InfinitePast();

  // The last durable position: written only by the syncer (and Open, RestoredUpTo), under
  // position_mu_ so that waiters wake.
  mutable absl::Mutex position_mu_;
  std::atomic<uint64_t> last_position_{0};
};

// An event over the byte budget, refused naming the field that holds the most.
absl::Status OverBudget(const EventEnvelope& e, size_t bytes, size_t limit) {
  const auto* refl = e.GetReflection();
  const auto* service = refl->GetOneofFieldDescriptor(e, e.GetDescriptor()->FindOneofByName("payload"));
  FieldSize largest;
  if (service != nullptr) {
    // Inside the service's payload, the event message itself: its fields are the command's.
    const google::protobuf::Message& payload = refl->GetMessage(e, service);
    std::vector<const google::protobuf::FieldDescriptor*> set;
    payload.GetReflection()->ListFields(payload, &set);
    for (const auto* f : set) {
      if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) continue;
      largest = LargestField(payload.GetReflection()->GetMessage(payload, f));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      largest.path.empty() ? "request" : largest.path, ": the ", e.type(), " it records would be ",
      bytes, " bytes, more than the ", limit, " bytes an event may have",
      largest.path.empty() ? "" : absl::StrCat(" (this field holds ", largest.bytes, " bytes)"),
      "; shorten it or send it as an attached document"));
}

// A transaction's view: reads see the database plus what this group staged before.
class EventStore::Impl::TxImpl final : public Tx {
 public:
  TxImpl(Impl* store, rocksdb::WriteBatchWithIndex* batch, uint64_t* next_position,
         const CommandMeta& meta, absl::Time now)
      : store_(store), batch_(batch), next_position_(next_position), meta_(meta), now_(now) {}

  std::optional<std::string> Get(absl::string_view key) override {
    return Read(store_->active(), key);
  }
  void Put(absl::string_view key, absl::string_view value) override {
    batch_->Put(store_->active(), ToSlice(key), ToSlice(value));
  }
  void Delete(absl::string_view key) override {
    batch_->Delete(store_->active(), ToSlice(key));
  }
  void Scan(absl::string_view prefix,
            const std::function<bool(absl::string_view, absl::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(batch_->NewIteratorWithBase(
        store_->active(), store_->db_->NewIterator(rocksdb::ReadOptions(), store_->active())));
    for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
         it->Next()) {
      if (!fn(ToView(it->key()), ToView(it->value()))) break;
    }
    if (!it->status().ok()) Failed(it->status(), "projections");
  }

  uint64_t StreamVersion(absl::string_view stream_id) override {
    auto head = Read(store_->streams_, stream_id);
    return head ? DecodeU64(*head) : 0;
  }

  absl::StatusOr<std::vector<EventEnvelope>> ReadStream(absl::string_view stream_id) override {
    std::vector<EventEnvelope> out;
    const uint64_t version = StreamVersion(stream_id);
    for (uint64_t v = 1; v <= version; ++v) {
      auto position = Read(store_->streams_, StreamIndexKey(stream_id, v));
      auto bytes = position ? Read(store_->events_, *position) : std::nullopt;
      if (!bytes || !out.emplace_back().ParseFromString(*bytes)) {
        return absl::DataLossError(absl::StrCat("stream ", stream_id, " version ", v, " is missing"));
      }
    }
    return out;
  }

  absl::Status Append(absl::string_view stream_id, std::optional<uint64_t> expected_version,
                      std::vector<EventEnvelope> events) override {
    if (stream_id.empty()) return absl::InvalidArgumentError("stream_id: is required");
    uint64_t version = StreamVersion(stream_id);
    if (expected_version && *expected_version != version) {
      return absl::AbortedError(absl::StrCat("expected_version: ", *expected_version,
                                             " but the current version is ", version));
    }
    for (EventEnvelope& e : events) {
      if (e.payload_case() == EventEnvelope::PAYLOAD_NOT_SET) {
        return absl::InternalError("an event without a payload");
      }
      if (e.partition_key().empty()) return absl::InternalError("an event without a partition key");
      const uint64_t position = (*next_position_)++;
      ++version;
      e.set_source(store_->options().source);
      e.set_incarnation(store_->incarnation_);
      if (consumed_ != nullptr) *e.mutable_consumed() = *consumed_;
      e.set_position(position);
      e.set_event_id(absl::StrCat(store_->options().source, "-", position));
      e.set_stream_id(std::string(stream_id));
      e.set_stream_version(version);
      e.set_type(EventType(e));
      *e.mutable_recorded_at() = ToTimestamp(now_);
      if (!e.has_occurred_at()) *e.mutable_occurred_at() = e.recorded_at();
      if (!e.has_actor()) *e.mutable_actor() = meta_.actor;
      if (e.command_id().empty()) e.set_command_id(meta_.command_id);
      if (e.correlation_id().empty()) e.set_correlation_id(meta_.correlation_id);
      if (e.causation_id().empty()) e.set_causation_id(meta_.causation_id);
      if (!traceparent_.empty()) {
        e.set_traceparent(traceparent_);
      } else if (e.traceparent().empty()) {
        e.set_traceparent(meta_.traceparent);
      }

      const size_t limit = meta_.command_id.empty() ? kMaxEventBytes : kMaxCommandEventBytes;
      if (const size_t bytes = e.ByteSizeLong(); bytes > limit) return OverBudget(e, bytes, limit);
      const std::string key = EncodeU64(position);
      batch_->Put(store_->events_, key, e.SerializeAsString());
      batch_->Put(store_->streams_, StreamIndexKey(stream_id, version), key);
      if (store_->options().projector != nullptr) {
        absl::Status s = store_->options().projector->Apply(e, *this);
        if (!s.ok()) return s;
      }
      if (result_.first_position == 0) result_.first_position = position;
      result_.last_position = position;
    }
    if (!events.empty()) {
      batch_->Put(store_->streams_, ToSlice(stream_id), EncodeU64(version));
    }
    result_.stream_id = std::string(stream_id);
    result_.stream_version = version;
    return absl::OkStatus();
  }

  std::optional<FeedCursor> GetFeedCursor(absl::string_view source, int32_t partition) override {
    auto v = Read(store_->meta_, FeedKey(source, partition));
    if (!v) return std::nullopt;
    return DecodeCursor(*v);
  }
  void SetFeedCursor(absl::string_view source, int32_t partition, FeedCursor cursor) override {
    batch_->Put(store_->meta_, FeedKey(source, partition), EncodeCursor(cursor));
    set_feed_cursor_ = true;
  }
  void SetConsumed(const remiss::v1::ConsumedFrom* consumed) override { consumed_ = consumed; }
  void SetTraceparent(std::string traceparent) override { traceparent_ = std::move(traceparent); }
  absl::Time Now() const override { return now_; }

  const CommitResult& result() const { return result_; }
  // Whether it moved a feed cursor: a consumer's work, done again from the older cursor if lost.
  bool set_feed_cursor() const { return set_feed_cursor_; }
  // The first read that failed otherwise than NotFound (OK: none).
  const absl::Status& read_error() const { return read_error_; }

 private:
  std::optional<std::string> Read(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
    std::string value;
    rocksdb::Status s =
        batch_->GetFromBatchAndDB(store_->db_, rocksdb::ReadOptions(), cf, ToSlice(key), &value);
    if (!s.ok()) {
      if (!s.IsNotFound()) Failed(s, cf->GetName());
      return std::nullopt;
    }
    return value;
  }
  void Failed(const rocksdb::Status& s, const std::string& what) {
    if (read_error_.ok()) read_error_ = ReadFailed(s, absl::StrCat("the store's ", what));
  }

  Impl* store_;
  rocksdb::WriteBatchWithIndex* batch_;
  uint64_t* next_position_;
  const CommandMeta& meta_;
  absl::Time now_;
  CommitResult result_;
  absl::Status read_error_;
  const remiss::v1::ConsumedFrom* consumed_ = nullptr;  // SetConsumed
  std::string traceparent_;                              // SetTraceparent
  bool set_feed_cursor_ = false;
};

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
    absl::MutexLock lock(&sync_mu_);
    written_.push_back(std::move(w));
  }
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
    absl::Status synced;
    {
      absl::MutexLock lock(&broken_mu_);
      synced = broken_;
    }
    if (synced.ok() &&
        std::any_of(batch.begin(), batch.end(), [](const Written& w) { return w.needs_sync; })) {
      rocksdb::Status s = db_->FlushWAL(/*sync=*/true);
      if (!s.ok()) {
        synced = absl::UnavailableError(absl::StrCat(
            "the ", options_.source, " store could not make its log durable (", s.ToString(),
            "); restart the service: commands are refused until then"));
        LogMessage(options_.source, "sync_failed", s.ToString());
        absl::MutexLock lock(&broken_mu_);
        if (broken_.ok()) broken_ = synced;
      }
    }
    for (Written& w : batch) Finish(w, synced);
    absl::MutexLock lock(&sync_mu_);
    syncing_ = false;
  }
}

void EventStore::Impl::Finish(Written& w, const absl::Status& synced) {
  if (!synced.ok() && w.needs_sync) {
    for (auto& r : w.results) {
      if (r.ok()) r = synced;
    }
    w.span.SetError(synced.message());
  } else {
    if (w.state) {
      absl::MutexLock lock(&durable_mu_);
      durable_ = std::move(*w.state);
    }
    if (w.next != w.first) {
      absl::MutexLock lock(&position_mu_);
      last_position_.store(w.next - 1);
    }
    if (w.state) {
      metrics::GroupCommitted(options_.source, w.group.size(), absl::Now() - w.write_started);
    }
  }
  w.span.End();
  {
    absl::MutexLock lock(&queue_mu_);
    unsettled_.pop_front();
  }
  for (size_t i = 0; i < w.group.size(); ++i) w.group[i].done(std::move(w.results[i]));
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

  absl::Status broken;
  {
    absl::MutexLock lock(&broken_mu_);
    broken = broken_;
  }
  if (!broken.ok()) {
    results.assign(group.size(), absl::StatusOr<CommitResult>(broken));
    w.next = first;
    w.group = std::move(group);
    return w;
  }

  PruneCommandRecords(batch, now);
  // A group of consumers' work only (no client command, each moving its feed cursor) that
  // records no event answers no one and publishes nothing: if a crash loses it, the consumers
  // take the same source events in again from their older cursors (the write is atomic: the
  // cursor and what was done with it go together, and a later synced write makes it durable
  // with everything before it in the log). It is written without an fsync of its own. Every
  // group with a client command or an event is synced before anyone hears of it.
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
        // being synced), so the answer waits for this group's sync too.
        feed_progress_only = false;
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
  // Written without a sync here: the syncer syncs it (with whatever groups follow meanwhile)
  // before its callers hear of it, while this thread decides the next group on it.
  w.needs_sync = options_.sync && !(feed_progress_only && next == first);
  // With nothing else to decide and every earlier group answered, there is nothing to overlap
  // the fsync with: this thread syncs and answers itself, saving the hand-over.
  w.finish_here = NothingInFlight();
  w.write_started = absl::Now();
  if (batch.GetWriteBatch()->Count() > 0) {
    batch.Put(meta_, kRecordedAtKey, EncodeU64(static_cast<uint64_t>(Micros(now))));
    rocksdb::WriteOptions wo;
    wo.sync = w.finish_here && w.needs_sync;
    rocksdb::Status s = db_->Write(wo, batch.GetWriteBatch());
    if (s.ok()) {
      w.state = StateNow(next - 1);
    } else {
      // The disk may come back (space freed, a transient I/O error): callers may retry.
      absl::Status failed = absl::UnavailableError(
          absl::StrCat("committing to the event store failed: ", s.ToString()));
      for (auto& r : results) {
        if (r.ok()) r = failed;
      }
      next = first;
      w.needs_sync = false;
      w.span.SetError(failed.message());
    }
  }
  // An exclusive transaction may write on its own (a rebuild's swap): its state too.
  if (!w.state && w.needs_sync && group.size() == 1 && group[0].exclusive) {
    w.state = StateNow(next - 1);
  }
  written_position_ = next - 1;
  w.next = next;
  w.group = std::move(group);
  return w;
}

void EventStore::Impl::PruneCommandRecords(rocksdb::WriteBatchWithIndex& batch, absl::Time now) {
  if (now < next_prune_) return;
  next_prune_ = now + absl::Minutes(1);
  constexpr int kMaxPerGroup = 1000;  // the rest goes at the next turn
  const std::string cutoff =
      absl::StrCat(kRecordTimePrefix, EncodeU64(Micros(now - options_.command_retention)));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), commands_));
  int pruned = 0;
  for (it->Seek(ToSlice(kRecordTimePrefix));
       it->Valid() && it->key().starts_with(ToSlice(kRecordTimePrefix)) &&
       ToView(it->key()) < cutoff;
       it->Next()) {
    if (++pruned > kMaxPerGroup) {
      next_prune_ = now;  // more to do
      break;
    }
    const absl::string_view suffix = ToView(it->key()).substr(kRecordTimePrefix.size() + 8);
    const std::string record_key = absl::StrCat(kRecordPrefix, suffix);
    // A record renewed since (the id reused after it expired) has a later time: keep it.
    std::string value;
    if (db_->Get(rocksdb::ReadOptions(), commands_, record_key, &value).ok()) {
      std::optional<CommandRecord> record = DecodeRecord(value);
      if (record && record->recorded_at + options_.command_retention > now) {
        batch.Delete(commands_, it->key());
        continue;
      }
      batch.Delete(commands_, record_key);
    }
    batch.Delete(commands_, it->key());
  }
}

EventStore::EventStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStore::~EventStore() = default;

absl::StatusOr<std::unique_ptr<EventStore>> EventStore::Open(EventStoreOptions options) {
  if (options.clock == nullptr) return absl::InvalidArgumentError("clock: is required");
  if (options.source.empty()) return absl::InvalidArgumentError("source: is required");
  if (options.max_group == 0) options.max_group = 1;
  auto impl = std::make_unique<Impl>(std::move(options));
  absl::Status s = impl->Open();
  if (!s.ok()) return s;
  return std::unique_ptr<EventStore>(new EventStore(std::move(impl)));
}

void EventStore::Submit(CommandMeta meta, TxFn fn, Done done) {
  impl_->Submit(Impl::Pending{std::move(meta), std::move(fn), std::move(done)});
}

absl::StatusOr<CommitResult> EventStore::Execute(CommandMeta meta, TxFn fn) {
  absl::Notification finished;
  absl::StatusOr<CommitResult> out;
  Submit(std::move(meta), std::move(fn), [&](absl::StatusOr<CommitResult> r) {
    out = std::move(r);
    finished.Notify();
  });
  finished.WaitForNotification();
  return out;
}

const std::string& EventStore::source() const { return impl_->options().source; }
const std::string& EventStore::incarnation() const { return impl_->incarnation_; }
const Clock& EventStore::clock() const { return *impl_->options().clock; }
uint64_t EventStore::LastPosition() const { return impl_->last_position(); }
absl::Time EventStore::SettledUntil() const { return impl_->SettledUntil(); }

SettledMark EventStore::Settled() const {
  // In this order: what the restated feeds delivered before their watermark, and what this
  // store recorded before its settled instant, is committed by now, so at or below the last
  // position read after both.
  const auto& restated = impl_->options().restated_until;
  const absl::Time upstream = restated ? restated() : absl::InfiniteFuture();
  const absl::Time own = impl_->SettledUntil();
  return SettledMark{std::min(upstream, own), impl_->last_position()};
}

bool EventStore::WaitForPosition(uint64_t after, absl::Duration timeout) const {
  return impl_->WaitForPosition(after, timeout);
}

absl::StatusOr<std::vector<EventEnvelope>> EventStore::ReadLog(uint64_t from, size_t max) const {
  return impl_->ReadLog(from, max);
}

absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> EventStore::ReadLogBytes(
    uint64_t from, size_t max, size_t max_bytes) const {
  return impl_->ReadLogBytes(from, max, max_bytes);
}

absl::StatusOr<std::vector<EventEnvelope>> EventStore::ReadStream(absl::string_view stream_id) const {
  std::vector<EventEnvelope> out;
  // At the durable state's snapshot, so that the head and the index agree.
  Impl::DurableRead read(impl_.get());
  const rocksdb::ReadOptions& ro = read.options;
  std::string prefix = StreamIndexKey(stream_id, 0).substr(0, stream_id.size() + 1);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(ro, impl_->streams_));
  absl::Status status;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string bytes;
    rocksdb::Status s = impl_->db_->Get(ro, impl_->events_, it->value(), &bytes);
    if (!s.ok() || !out.emplace_back().ParseFromString(bytes)) {
      status = absl::DataLossError(absl::StrCat("stream ", stream_id, " has a missing event"));
      break;
    }
  }
  if (!status.ok()) return status;
  return out;
}

std::optional<std::string> EventStore::GetProjection(absl::string_view key) const {
  Impl::DurableRead read(impl_.get());
  return impl_->Get(read.active(), key, read.options);
}

void EventStore::ScanProjections(
    absl::string_view prefix, absl::string_view start_after,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, read.active()));
  std::string start = std::string(start_after > prefix ? start_after : prefix);
  for (it->Seek(start); it->Valid() && it->key().starts_with(ToSlice(prefix)); it->Next()) {
    if (!start_after.empty() && ToView(it->key()) <= start_after) continue;
    if (!fn(ToView(it->key()), ToView(it->value()))) break;
  }
}

std::optional<FeedCursor> EventStore::GetFeedCursor(absl::string_view source,
                                                    int32_t partition) const {
  Impl::DurableRead read(impl_.get());
  auto v = impl_->Get(impl_->meta_, FeedKey(source, partition), read.options);
  if (!v) return std::nullopt;
  return DecodeCursor(*v);
}

std::vector<std::tuple<std::string, int32_t, FeedCursor>> EventStore::FeedCursors() const {
  std::vector<std::tuple<std::string, int32_t, FeedCursor>> out;
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->meta_));
  for (it->Seek("feed/"); it->Valid() && it->key().starts_with("feed/"); it->Next()) {
    absl::string_view key = ToView(it->key()).substr(5);
    size_t slash = key.rfind('/');
    if (slash == absl::string_view::npos) continue;
    out.emplace_back(std::string(key.substr(0, slash)),
                     std::atoi(std::string(key.substr(slash + 1)).c_str()),
                     DecodeCursor(ToView(it->value())));
  }
  return out;
}

std::optional<std::string> EventStore::GetMeta(absl::string_view key) const {
  return impl_->Get(impl_->meta_, absl::StrCat("m/", key));
}

absl::Status EventStore::PutMeta(absl::string_view key, absl::string_view value) {
  rocksdb::WriteOptions wo;
  return FromRocks(impl_->db_->Put(wo, impl_->meta_, absl::StrCat("m/", key), ToSlice(value)),
                   "writing meta");
}

size_t EventStore::CommandRecordCount() const {
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->commands_));
  size_t n = 0;
  for (it->Seek(ToSlice(kRecordPrefix)); it->Valid() && it->key().starts_with(ToSlice(kRecordPrefix));
       it->Next()) {
    ++n;
  }
  return n;
}

Digest EventStore::ProjectionDigest() const {
  Impl::DurableRead read(impl_.get());
  Digest digest;
  digest.log_position = read.state.position;  // projections are committed with their events
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, read.active()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    for (const rocksdb::Slice& part : {it->key(), it->value()}) {
      std::string len = EncodeU64(part.size());
      EVP_DigestUpdate(ctx, len.data(), len.size());
      EVP_DigestUpdate(ctx, part.data(), part.size());
    }
    ++digest.entries;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  digest.sha256 = Hex(md, md_len);
  return digest;
}

absl::Status EventStore::StartRebuild() { return impl_->StartRebuild(); }
RebuildProgress EventStore::Rebuild() const { return impl_->Rebuild(); }

absl::Status EventStore::ImportEvents(const std::vector<EventEnvelope>& events,
                                      uint64_t* duplicates) {
  if (impl_->last_position() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", source(), " store has recorded ", impl_->last_position(),
        " events: only an empty store is restored"));
  }
  rocksdb::WriteBatchWithIndex batch;
  for (const EventEnvelope& e : events) {
    if (e.source() != source() || e.position() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event ", Quote(e.event_id()), " is not a ", source(), " event (source ",
          Quote(e.source()), ", position ", e.position(), ")"));
    }
    const std::string key = EncodeU64(e.position());
    const std::string value = e.SerializeAsString();
    std::string held;
    rocksdb::Status got = batch.GetFromBatchAndDB(impl_->db_, rocksdb::ReadOptions(),
                                                  impl_->events_, key, &held);
    if (got.ok()) {
      if (held != value) {
        return absl::DataLossError(absl::StrCat(
            "position ", e.position(), " of ", source(),
            " comes twice with different content: the topic mixes two histories"));
      }
      if (duplicates != nullptr) ++*duplicates;
      continue;
    }
    if (!got.IsNotFound()) return ReadFailed(got, "the restored log");
    batch.Put(impl_->events_, key, value);
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;  // FinishImport syncs
  return FromRocks(impl_->db_->Write(wo, batch.GetWriteBatch()), "restoring events");
}

absl::StatusOr<ImportResult> EventStore::FinishImport() {
  Impl& im = *impl_;
  if (im.last_position() != 0) {
    return absl::FailedPreconditionError(absl::StrCat("the ", source(), " store is not empty"));
  }
  ImportResult result;
  std::string incarnation;
  uint64_t incarnation_from = 0;
  std::map<std::pair<std::string, int32_t>, FeedCursor> cursors;
  const absl::Time keep_after = clock().Now() - im.options().command_retention;
  absl::Time last_recorded = absl::InfinitePast();
  // The command whose events are being passed (its events are contiguous: one transaction).
  std::string command_key;
  CommitResult command;
  absl::Time command_at;
  rocksdb::WriteBatch batch;
  rocksdb::WriteOptions wo;
  wo.sync = false;
  auto flush = [&]() -> absl::Status {
    absl::Status s = FromRocks(im.db_->Write(wo, &batch), "restoring the stream index");
    batch.Clear();
    return s;
  };
  auto end_command = [&] {
    if (command_key.empty() || command_at <= keep_after) return;
    CommandMeta none;  // no fingerprint, no command name: not kept in events
    batch.Put(im.commands_, absl::StrCat(kRecordPrefix, command_key),
              EncodeRecord(command, command_at, none));
    batch.Put(im.commands_, absl::StrCat(kRecordTimePrefix, EncodeU64(Micros(command_at)), command_key), "");
    ++result.command_records;
  };
  std::unique_ptr<rocksdb::Iterator> it(im.db_->NewIterator(rocksdb::ReadOptions(), im.events_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t position = DecodeU64(ToView(it->key()));
    if (position != result.events + 1) {
      return absl::DataLossError(absl::StrCat(
          "positions ", result.events + 1, "..", position - 1, " of ", source(),
          " are missing from what was restored (a gap in the topic): the log cannot be restored"));
    }
    EventEnvelope e;
    if (!e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("position ", position, " does not parse"));
    }
    result.events = position;
    if (!e.incarnation().empty()) {
      if (incarnation.empty()) {
        incarnation = e.incarnation();
        incarnation_from = position;
      } else if (e.incarnation() != incarnation) {
        return absl::DataLossError(absl::StrCat(
            "position ", position, " of ", source(), " comes from store incarnation ",
            e.incarnation(), " but position ", incarnation_from, " from ", incarnation,
            ": the topic mixes two histories"));
      }
    }
    const std::string key = it->key().ToString();
    batch.Put(im.streams_, StreamIndexKey(e.stream_id(), e.stream_version()), key);
    batch.Put(im.streams_, e.stream_id(), EncodeU64(e.stream_version()));
    last_recorded = std::max(last_recorded, FromTimestamp(e.recorded_at()));
    // Where the feeds had got to: what was consumed, and what an operator skipped.
    std::optional<remiss::v1::ConsumedFrom> consumed;
    if (e.has_consumed()) consumed = e.consumed();
    if (e.has_operations() && e.operations().has_feed_event_skipped()) {
      const auto& skipped = e.operations().feed_event_skipped();
      consumed.emplace();
      consumed->set_source(skipped.source());
      consumed->set_partition(skipped.partition());
      consumed->set_offset(skipped.offset());
      consumed->set_position(skipped.position());
    }
    if (consumed && !consumed->source().empty()) {
      FeedCursor& c = cursors[{consumed->source(), consumed->partition()}];
      if (consumed->position() >= c.position) {
        c.position = consumed->position();
        c.offset = std::max(c.offset, consumed->offset());
        if (!consumed->incarnation().empty()) c.incarnation = consumed->incarnation();
      }
    }
    // Command records: one per command_id and calling organization.
    const std::string scope = e.command_id().empty()
                                  ? std::string()
                                  : absl::StrCat(e.actor().org_id(), absl::string_view("\0", 1),
                                                 e.command_id());
    if (scope != command_key) {
      end_command();
      command_key = scope;
      command = CommitResult{};
      command.first_position = position;
      command_at = FromTimestamp(e.recorded_at());
    }
    command.stream_id = e.stream_id();
    command.stream_version = e.stream_version();
    command.last_position = position;
    if (batch.Count() >= 20000) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) return ReadFailed(it->status(), "the restored log");
  end_command();
  for (const auto& [where, cursor] : cursors) {
    batch.Put(im.meta_, FeedKey(where.first, where.second), EncodeCursor(cursor));
  }
  result.feed_cursors = cursors.size();
  if (!incarnation.empty()) {
    batch.Put(im.meta_, kIncarnationKey, incarnation);
    im.incarnation_ = incarnation;
  }
  if (last_recorded != absl::InfinitePast()) {
    batch.Put(im.meta_, kRecordedAtKey, EncodeU64(static_cast<uint64_t>(Micros(last_recorded))));
  }
  wo.sync = true;
  if (absl::Status s = flush(); !s.ok()) return s;
  im.RestoredUpTo(result.events, last_recorded);
  absl::StatusOr<Digest> digest = RebuildProjections();
  if (!digest.ok()) return digest.status();
  result.digest = *digest;
  return result;
}

absl::StatusOr<Digest> EventStore::RebuildProjections() {
  if (absl::Status s = impl_->StartRebuild(); !s.ok()) return s;
  if (absl::Status s = impl_->WaitForRebuild(); !s.ok()) return s;
  return ProjectionDigest();
}

absl::Status EventStore::Impl::StartRebuild() {
  absl::MutexLock lock(&rebuild_mu_);
  if (rebuild_.running) return absl::OkStatus();
  if (rebuilder_.joinable()) rebuilder_.join();  // the last one, finished
  rebuild_ = RebuildProgress();
  rebuild_.running = true;
  rebuilder_ = std::thread([this] { RunRebuild(); });
  return absl::OkStatus();
}

// On the rebuilder thread: fold the log into the inactive column family while the writer
// goes on, then let the writer fold the last few events and swap, alone.
void EventStore::Impl::RunRebuild() {
  const absl::Time started = absl::Now();
  auto finish = [this](absl::Status s) {
    absl::MutexLock lock(&rebuild_mu_);
    rebuild_.running = false;
    rebuild_.error = s.ok() ? "" : std::string(s.message());
    if (!s.ok()) LogMessage(options_.source, "rebuild_failed", rebuild_.error);
  };
  const int target_index = 1 - active_index_;
  internal::FoldTarget target{.db = db_, .events = events_, .projections = projections_[target_index],
                              .meta = meta_, .cursor_key = std::string(kRebuildCursorKey),
                              .projector = options_.projector,
                              .chunk_events = options_.rebuild_chunk_events,
                              .memory_bytes = options_.rebuild_memory_bytes};
  uint64_t folded = 0;
  const std::string target_name = target_index == 1 ? "b" : "a";
  if (Get(meta_, kRebuildTargetKey) == target_name) {
    folded = DecodeU64(Get(meta_, kRebuildCursorKey).value_or(""));  // resuming
  } else {
    if (absl::Status s = internal::ClearColumnFamily(db_, target.projections); !s.ok()) return finish(s);
    rocksdb::WriteBatch begin;
    begin.Put(meta_, ToSlice(kRebuildTargetKey), target_name);
    begin.Put(meta_, ToSlice(kRebuildCursorKey), EncodeU64(0));
    rocksdb::WriteOptions wo;
    wo.sync = options_.sync;
    if (absl::Status s = FromRocks(db_->Write(wo, &begin), "starting a rebuild"); !s.ok()) return finish(s);
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
    auto r = internal::FoldLog(target, folded + 1, last_position(), /*sync=*/false, note);
    if (!r.ok()) return finish(r.status());
    folded = *r;
    if (rebuild_stop_) return finish(absl::CancelledError("stopped; it resumes at the next start"));
  }
  // The rest alone on the writer thread, then the swap, in one synced batch.
  absl::Notification swapped;
  absl::Status swap_status;
  Submit(Pending{CommandMeta{},
                 [&](Tx&) -> absl::Status {
                   // Up to what the writer has written (groups may still be syncing).
                   auto r = internal::FoldLog(target, folded + 1, written_position_, /*sync=*/false, note);
                   if (!r.ok()) return r.status();
                   rocksdb::WriteBatch swap;
                   swap.Put(meta_, ToSlice(kActiveKey), target_name);
                   swap.Delete(meta_, ToSlice(kRebuildTargetKey));
                   swap.Delete(meta_, ToSlice(kRebuildCursorKey));
                   rocksdb::WriteOptions wo;
                   wo.sync = options_.sync;
                   REMISS_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &swap), "swapping in the rebuilt projections"));
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
