#include "projection_fold.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/validation.h"

namespace remiss::core::internal {
namespace {

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

// A projector's view of the column family a fold writes: a write-back cache over it, bounded
// in bytes. Every key the fold read or wrote lately is kept with its value (or that it has
// none), so reads of them never reach RocksDB, within a chunk and across chunks. The entries
// changed since the last commit are dirty; Flush moves them into a WriteBatch and makes them
// clean. Only the fold writes its column family, so a clean entry stays what RocksDB holds.
// Lookups go through a hash map; the dirty keys are indexed in key order only once a
// projector scans (Scan merges them with the column family's own keys).
class ChunkTx final : public ProjectionTx {
 public:
  ChunkTx(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}

  std::optional<std::string> Get(absl::string_view key) override {
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.chunk = chunk_;
      return it->second.value;
    }
    std::string value;
    rocksdb::Status s = db_->Get(read_options_, cf_, ToSlice(key), &value);
    if (!s.ok() && !s.IsNotFound()) {
      if (status_.ok()) status_ = FromRocks(s, "reading a projection");
      return std::nullopt;
    }
    // Kept clean: a clean entry is never in the scan index, so this is safe inside a Scan.
    auto [it, inserted] = entries_.try_emplace(key);
    Entry& e = it->second;
    e.chunk = chunk_;
    bytes_ += kEntryBytes + key.size();
    if (s.ok()) {
      bytes_ += value.size();
      e.value = std::move(value);
      return e.value;
    }
    return std::nullopt;
  }
  void Put(absl::string_view key, absl::string_view value) override { Stage(key, value); }
  void Delete(absl::string_view key) override { Stage(key, std::nullopt); }
  // The dirty keys and the column family's, merged in key order (dirty ones win; clean
  // entries are what the column family holds).
  void Scan(absl::string_view prefix,
            const std::function<bool(absl::string_view, absl::string_view)>& fn) override {
    if (!indexed_) {
      for (const auto* node : dirty_) sorted_.insert(node->first);
      indexed_ = true;
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_));
    it->Seek(ToSlice(prefix));
    auto staged = sorted_.lower_bound(prefix);
    auto in_prefix = [&](absl::string_view k) { return absl::StartsWith(k, prefix); };
    while (true) {
      const bool db_ok = it->Valid() && in_prefix(ToView(it->key()));
      const bool st_ok = staged != sorted_.end() && in_prefix(*staged);
      if (!db_ok && !st_ok) break;
      if (st_ok && (!db_ok || *staged <= ToView(it->key()))) {
        if (db_ok && *staged == ToView(it->key())) it->Next();
        const absl::string_view key = *staged++;  // views the entry's key: it stays put
        const std::optional<std::string>& value = entries_.find(key)->second.value;
        const uint64_t seen = index_changes_;
        if (value && !fn(key, *value)) break;
        // The callback staged a new dirty key: `staged` may no longer be valid.
        if (index_changes_ != seen) staged = sorted_.upper_bound(key);
      } else {
        const uint64_t seen = index_changes_;
        const bool go_on = fn(ToView(it->key()), ToView(it->value()));
        if (index_changes_ != seen) staged = sorted_.upper_bound(ToView(it->key()));
        if (!go_on) break;
        it->Next();
      }
    }
    if (!it->status().ok() && status_.ok()) status_ = FromRocks(it->status(), "scanning a projection");
  }

  // Moves the dirty entries into `batch` and makes them clean. In key order: the memtable
  // takes them faster so (for distinct keys the order changes nothing else).
  void Flush(rocksdb::WriteBatch& batch) {
    std::sort(dirty_.begin(), dirty_.end(),
              [](const Node* a, const Node* b) { return a->first < b->first; });
    for (auto* node : dirty_) {
      if (node->second.value) {
        batch.Put(cf_, ToSlice(node->first), ToSlice(*node->second.value));
      } else {
        batch.Delete(cf_, ToSlice(node->first));
      }
      node->second.dirty = false;
    }
    dirty_.clear();
    sorted_.clear();
  }
  // After a Flush: keeps the cache under `budget` bytes, dropping first what the last chunk
  // did not touch, then everything.
  void Trim(size_t budget) {
    if (bytes_ > budget) {
      for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->second.chunk != chunk_) {
          bytes_ -= Charge(it->first, it->second);
          entries_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    if (bytes_ > budget) {
      entries_.clear();
      bytes_ = 0;
    }
    ++chunk_;
  }
  size_t bytes() const { return bytes_; }
  const absl::Status& status() const { return status_; }

 private:
  struct Entry {
    std::optional<std::string> value;  // nullopt: the key has no value
    bool dirty = false;
    uint64_t chunk = 0;  // the last chunk that touched it
  };
  using Node = std::pair<const std::string, Entry>;
  // What an entry is counted as, besides its key's and value's bytes: the node, the hash slot,
  // the allocator's headers.
  static constexpr size_t kEntryBytes = 128;
  static size_t Charge(const std::string& key, const Entry& e) {
    return kEntryBytes + key.size() + (e.value ? e.value->size() : 0);
  }

  void Stage(absl::string_view key, std::optional<absl::string_view> value) {
    auto [it, inserted] = entries_.try_emplace(key);
    Entry& e = it->second;
    e.chunk = chunk_;
    if (inserted) {
      bytes_ += kEntryBytes + key.size();
    } else {
      // The same value again changes nothing (a clean entry is what RocksDB holds).
      if (value.has_value() == e.value.has_value() && (!value || *value == *e.value)) return;
      if (e.value) bytes_ -= e.value->size();
    }
    if (value) {
      if (e.value) {
        e.value->assign(value->data(), value->size());
      } else {
        e.value.emplace(*value);
      }
      bytes_ += value->size();
    } else {
      e.value.reset();
    }
    if (!e.dirty) {
      e.dirty = true;
      dirty_.push_back(&*it);
      if (indexed_) {
        sorted_.insert(it->first);
        ++index_changes_;
      }
    }
  }

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  rocksdb::ReadOptions read_options_;
  absl::node_hash_map<std::string, Entry> entries_;  // nodes stay put: pointers below hold
  std::vector<Node*> dirty_;                         // the dirty entries, in no order
  bool indexed_ = false;                             // a Scan came: sorted_ is kept
  absl::btree_set<absl::string_view> sorted_;        // the dirty keys, in key order
  uint64_t index_changes_ = 0;                       // insertions into sorted_
  size_t bytes_ = 0;
  uint64_t chunk_ = 0;
  absl::Status status_;  // a read error other than NotFound: the fold fails
};

// Reads the log from..to on a thread of its own and parses it into batches of envelopes,
// handed to the fold through a few reused batches: the fold applies one batch while the next
// ones are read. A batch ends early at a gap, an event that does not parse or a read error
// (its status, after the events before it), or at the end of the log (`last`).
class LogReader {
 public:
  struct Batch {
    std::vector<remiss::v1::EventEnvelope> events;  // reused: parsing keeps their buffers
    std::vector<bool> large;                        // held a large event: freed before reuse
    size_t size = 0;                                // events[0..size) are this batch's
    uint64_t first = 0;                             // the position of events[0]
    absl::Status status;
    bool last = false;
  };

  LogReader(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, uint64_t from, uint64_t to)
      : upper_(EncodeU64(to + 1)), upper_slice_(upper_) {
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // a one-pass scan: keep the block cache for queries
    ro.readahead_size = 2 << 20;
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro, events));
    for (auto& b : batches_) {
      b.events.resize(kBatchEvents);
      b.large.resize(kBatchEvents);
      free_.push_back(&b);
    }
    thread_ = std::thread([this, from] { Run(from); });
  }
  ~LogReader() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  // The next batch, in log order; hand it back with Release once applied.
  Batch* Next() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](std::deque<Batch*>* q) { return !q->empty(); }, &full_));
    Batch* b = full_.front();
    full_.pop_front();
    return b;
  }
  void Release(Batch* b) {
    absl::MutexLock lock(&mu_);
    free_.push_back(b);
  }

 private:
  static constexpr size_t kBatches = 8;
  static constexpr size_t kBatchEvents = 256;
  static constexpr size_t kBatchBytes = 256 << 10;  // a batch ends past this many bytes read
  static constexpr size_t kLargeEvent = 64 << 10;  // an envelope that keeps this much is freed

  void Run(uint64_t from) {
    uint64_t expected = from;
    it_->Seek(EncodeU64(from));
    while (true) {
      Batch* b = nullptr;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &LogReader::FreeOrStopped));
        if (stop_) return;
        b = free_.front();
        free_.pop_front();
      }
      Fill(*b, expected);
      expected += b->size;
      const bool last = b->last;
      {
        absl::MutexLock lock(&mu_);
        full_.push_back(b);
      }
      if (last) return;
    }
  }
  bool FreeOrStopped() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !free_.empty(); }

  void Fill(Batch& b, uint64_t expected) {
    b.size = 0;
    b.first = expected;
    b.status = absl::OkStatus();
    b.last = false;
    for (size_t i = 0; i < kBatchEvents; ++i) {
      if (b.large[i]) {
        b.events[i] = remiss::v1::EventEnvelope();
        b.large[i] = false;
      }
    }
    size_t bytes = 0;
    while (b.size < kBatchEvents && bytes < kBatchBytes) {
      if (!it_->Valid()) {
        if (!it_->status().ok()) b.status = FromRocks(it_->status(), "reading the log");
        b.last = true;
        return;
      }
      const uint64_t position = DecodeU64(ToView(it_->key()));
      if (position != expected) {
        b.status = absl::DataLossError(absl::StrCat("the log has no event at position ", expected,
                                                    " (the next is ", position, ")"));
        b.last = true;
        return;
      }
      const rocksdb::Slice value = it_->value();
      if (!b.events[b.size].ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        b.status = absl::DataLossError(absl::StrCat("event at position ", position, " does not parse"));
        b.last = true;
        return;
      }
      if (value.size() >= kLargeEvent) b.large[b.size] = true;
      bytes += value.size();
      ++b.size;
      ++expected;
      it_->Next();
    }
  }

  const std::string upper_;
  const rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;  // the reader thread's
  Batch batches_[kBatches];
  absl::Mutex mu_;
  std::deque<Batch*> free_ ABSL_GUARDED_BY(mu_);
  std::deque<Batch*> full_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// A fold stopped before its end: not a result anyone may swap in.
absl::Status Stopped(uint64_t folded) {
  return absl::CancelledError(absl::StrCat(
      "the fold was stopped at position ", folded, "; it resumes from there at the next start"));
}

}  // namespace

absl::StatusOr<uint64_t> FoldLog(const FoldTarget& target, uint64_t from, uint64_t to, bool sync,
                                 const std::function<bool(uint64_t)>& progress) {
  uint64_t folded = from - 1;
  if (from > to) return folded;
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  ChunkTx tx(target.db, target.projections);
  size_t in_chunk = 0;
  // Writes what the chunk changed with the position it reached, in one batch.
  rocksdb::WriteBatch batch;  // reused: it keeps its buffer
  auto commit = [&]() -> absl::Status {
    batch.Clear();
    tx.Flush(batch);
    batch.Put(target.meta, ToSlice(target.cursor_key), EncodeU64(folded));
    REMISS_RETURN_IF_ERROR(FromRocks(target.write ? target.write(wo, &batch) : target.db->Write(wo, &batch),
                                     "writing a rebuild chunk"));
    tx.Trim(target.memory_bytes / 2);
    in_chunk = 0;
    return absl::OkStatus();
  };
  LogReader reader(target.db, target.events, from, to);
  while (true) {
    LogReader::Batch* read = reader.Next();
    for (size_t i = 0; i < read->size; ++i) {
      if (target.projector != nullptr) {
        REMISS_RETURN_IF_ERROR(target.projector->Apply(read->events[i], tx));
        REMISS_RETURN_IF_ERROR(tx.status());
      }
      folded = read->first + i;
      if (++in_chunk >= target.chunk_events || tx.bytes() >= target.memory_bytes) {
        REMISS_RETURN_IF_ERROR(commit());
        if (progress && !progress(folded) && folded < to) return Stopped(folded);
      }
    }
    REMISS_RETURN_IF_ERROR(read->status);
    const bool last = read->last;
    reader.Release(read);
    if (last) break;
  }
  if (in_chunk > 0) {
    REMISS_RETURN_IF_ERROR(commit());
    if (progress && !progress(folded) && folded < to) return Stopped(folded);
  }
  if (folded < to) {
    return absl::DataLossError(absl::StrCat("the log ends at position ", folded, ", not ", to));
  }
  return folded;
}

absl::Status ClearColumnFamily(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                               const DbWrite& write) {
  auto put = [&](const rocksdb::WriteOptions& wo, rocksdb::WriteBatch* b) {
    return write ? write(wo, b) : db->Write(wo, b);
  };
  const std::string end(64, '\xff');
  rocksdb::WriteOptions wo;
  rocksdb::WriteBatch range;
  if (absl::Status s = FromRocks(range.DeleteRange(cf, rocksdb::Slice(), end), "clearing projections");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = FromRocks(put(wo, &range), "clearing projections"); !s.ok()) return s;
  rocksdb::WriteBatch rest;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) rest.Delete(cf, it->key());
  if (!it->status().ok()) return FromRocks(it->status(), "clearing projections");
  return FromRocks(put(wo, &rest), "clearing projections");
}

}  // namespace remiss::core::internal
