// Opening a store's database (column families, what it resumes from) and closing it.
#include <openssl/rand.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/validation.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/base/thread_name.h"
#include "remiss/core/base/timestamps.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/table.h"
#include "store_impl.h"

namespace remiss::core {
namespace {

using namespace internal;
using remiss::v1::EventEnvelope;

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

// A background error (a failed flush or compaction, a full disk) stops RocksDB's writes
// until it recovers (by itself, for a full disk once space is back): the store reports it
// meanwhile (health, remiss_store_poisoned) rather than only failing each command anew.
class BackgroundErrors final : public rocksdb::EventListener {
 public:
  explicit BackgroundErrors(std::function<void(const absl::Status&)> set) : set_(std::move(set)) {}
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    if (error != nullptr && !error->ok()) {
      set_(absl::UnavailableError(absl::StrCat("RocksDB stopped writing on a background error (",
                                               error->ToString(), ")")));
    }
  }
  void OnErrorRecoveryEnd(const rocksdb::BackgroundErrorRecoveryInfo& info) override {
    if (info.new_bg_error.ok()) set_(absl::OkStatus());
  }

 private:
  std::function<void(const absl::Status&)> set_;
};

// 128 random bits, hex.
absl::StatusOr<std::string> NewIncarnation() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return absl::InternalError("no random bytes for the store's incarnation");
  std::string hex;
  for (unsigned char b : bytes) absl::StrAppend(&hex, absl::Hex(b, absl::kZeroPad2));
  return hex;
}

}  // namespace

EventStore::Impl::~Impl() {
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
  if (db_ != nullptr && Poisoned().ok()) {
    // A watermark handed out may be ahead of the last group: the next run records after it.
    absl::Time high;
    {
      absl::MutexLock lock(&queue_mu_);
      high = std::max(settled_high_, last_group_time_);
    }
    if (high != absl::InfinitePast()) {
      rocksdb::WriteBatch put;
      if (put.Put(meta_, ToSlice(kRecordedAtKey), EncodeU64(static_cast<uint64_t>(Micros(high)))).ok()) {
        (void)WriteToDb(rocksdb::WriteOptions(), &put);
      }
    }
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  delete db_;
}

absl::Status EventStore::Impl::Open() {
  std::error_code ec;
  std::filesystem::create_directories(options_.path, ec);
  if (ec) return absl::InternalError(absl::StrCat("data directory ", options_.path, ": ", ec.message()));
  rocksdb::DBOptions db_options;
  if (options_.env != nullptr) db_options.env = options_.env;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.info_log = std::make_shared<StderrLogger>(options_.source);
  listener_ = std::make_shared<BackgroundErrors>([this](const absl::Status& s) { SetRocksDbError(s); });
  db_options.listeners.push_back(listener_);
  // Memory stays bounded however much is stored: all memtables together flush at 64 MiB.
  db_options.db_write_buffer_size = 64 << 20;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = 16 << 20;
  // Projections are read by key far more than scanned, and a rebuild or a new aggregate
  // reads many keys that are not there yet: bloom filters (in the tables and the
  // memtables) answer those without searching. So are a command's record (a new
  // command_id: absent) and a new stream's head, read by every command: the same filters.
  rocksdb::ColumnFamilyOptions point_options = cf_options;
  rocksdb::BlockBasedTableOptions table_options;
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  point_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  point_options.memtable_prefix_bloom_size_ratio = 0.05;
  point_options.memtable_whole_key_filtering = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : {rocksdb::kDefaultColumnFamilyName.c_str(), kEvents, kStreams,
                           kCommands, kProjections, kMeta, kProjectionsB}) {
    const std::string_view n = name;
    const bool point_reads = n == kProjections || n == kProjectionsB || n == kCommands || n == kStreams;
    cfs.emplace_back(name, point_reads ? point_options : cf_options);
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
  // Read strictly: a key that cannot be read is not taken as absent (the wrong projections
  // would answer, or a resumable rebuild would start over).
  absl::StatusOr<std::optional<std::string>> active = Read(meta_, kActiveKey);
  if (!active.ok()) return active.status();
  active_index_ = *active == "b" ? 1 : 0;
  active_.store(projections_[active_index_]);
  absl::StatusOr<std::optional<std::string>> importing = Read(meta_, kImportKey);
  if (!importing.ok()) return importing.status();
  import_unfinished_ = importing->has_value();

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
  absl::StatusOr<std::optional<std::string>> kept = Read(meta_, kRecordedAtKey);
  if (!kept.ok()) return kept.status();
  if (kept->has_value()) floor = std::max(floor, absl::FromUnixMicros(static_cast<int64_t>(DecodeU64(**kept))));
  {
    absl::MutexLock lock(&queue_mu_);
    last_group_time_ = floor;
    settled_high_ = floor;
    settled_kept_ = floor;
  }
  absl::StatusOr<std::optional<std::string>> incarnation = Read(meta_, kIncarnationKey);
  if (!incarnation.ok()) return incarnation.status();
  if (incarnation->has_value()) {
    incarnation_ = **incarnation;
  } else {
    absl::StatusOr<std::string> made = NewIncarnation();
    if (!made.ok()) return made.status();
    incarnation_ = *made;
    rocksdb::WriteBatch keep;
    keep.Put(meta_, ToSlice(kIncarnationKey), incarnation_);
    REMISS_RETURN_IF_ERROR(WriteSynced(&keep, "keeping the store's incarnation"));
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
  absl::StatusOr<std::optional<std::string>> rebuilding = Read(meta_, kRebuildTargetKey);
  if (!rebuilding.ok()) return rebuilding.status();
  if (rebuilding->has_value() && !import_unfinished_) return StartRebuild();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> EventStore::Impl::Read(
    rocksdb::ColumnFamilyHandle* cf, absl::string_view key, const rocksdb::ReadOptions& ro) const {
  std::string value;
  rocksdb::Status s = db_->Get(ro, cf, ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return ReadFailed(s, absl::StrCat("the ", options_.source, " store's ", cf->GetName()));
  return std::optional<std::string>(std::move(value));
}

std::optional<std::string> EventStore::Impl::Get(rocksdb::ColumnFamilyHandle* cf,
                                                 absl::string_view key,
                                                 const rocksdb::ReadOptions& ro) const {
  absl::StatusOr<std::optional<std::string>> read = Read(cf, key, ro);
  if (!read.ok()) {
    LogMessage(options_.source, "read_failed", read.status().ToString());
    return std::nullopt;
  }
  return *std::move(read);
}

absl::Status EventStore::Impl::WriteSynced(rocksdb::WriteBatch* batch, absl::string_view what) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  // Refused before anything was written (RocksDB stopped on a background error), or the log
  // could not take the write (a full disk): nothing of it is in the log. Otherwise the write
  // reached the log and its sync failed: the disk may or may not keep it.
  const bool refused_up_front = !RocksDbError().ok();
  rocksdb::Status s = WriteToDb(wo, batch);
  if (s.ok()) {
    SetRocksDbError(absl::OkStatus());  // writing again: whatever stopped RocksDB is over
    return absl::OkStatus();
  }
  if (!wo.sync || refused_up_front || s.IsNoSpace()) {
    return absl::UnavailableError(absl::StrCat(what, " failed (", s.ToString(),
                                               "); nothing was recorded, retry later"));
  }
  absl::Status failed = absl::UnavailableError(absl::StrCat(
      what, " failed (", s.ToString(), "): the ", options_.source,
      " store cannot tell what its disk kept; restart the service: commands are refused until then"));
  Poison(failed);
  return failed;
}

}  // namespace remiss::core
