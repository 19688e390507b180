#include "projection_fold.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "remiss/core/keys.h"
#include "absl/container/btree_map.h"
#include "absl/strings/match.h"

namespace remiss::core::internal {
namespace {

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", s.ToString()));
}

// A projector's view of one column family plus the chunk staged so far, kept in an ordered
// map in memory (a chunk is bounded): reads of keys the chunk touched never reach RocksDB.
class ChunkTx final : public ProjectionTx {
 public:
  ChunkTx(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) : db_(db), cf_(cf) {}

  std::optional<std::string> Get(absl::string_view key) override {
    if (auto it = staged_.find(key); it != staged_.end()) return it->second;
    std::string value;
    rocksdb::Status s = db_->Get(read_options_, cf_, ToSlice(key), &value);
    if (s.ok()) return value;
    if (!s.IsNotFound() && status_.ok()) status_ = FromRocks(s, "reading a projection");
    return std::nullopt;
  }
  void Put(absl::string_view key, absl::string_view value) override {
    staged_.insert_or_assign(std::string(key), std::string(value));
  }
  void Delete(absl::string_view key) override { staged_.insert_or_assign(std::string(key), std::nullopt); }
  // The staged keys and the column family's, merged in key order (staged ones win).
  void Scan(absl::string_view prefix,
            const std::function<bool(absl::string_view, absl::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options_, cf_));
    it->Seek(ToSlice(prefix));
    auto staged = staged_.lower_bound(prefix);
    auto in_prefix = [&](absl::string_view k) { return absl::StartsWith(k, prefix); };
    while (true) {
      const bool db_ok = it->Valid() && in_prefix(ToView(it->key()));
      const bool st_ok = staged != staged_.end() && in_prefix(staged->first);
      if (!db_ok && !st_ok) return;
      if (st_ok && (!db_ok || staged->first <= ToView(it->key()))) {
        if (db_ok && staged->first == ToView(it->key())) it->Next();
        const auto& [key, value] = *staged++;
        if (value && !fn(key, *value)) return;
      } else {
        if (!fn(ToView(it->key()), ToView(it->value()))) return;
        it->Next();
      }
    }
  }
  // Moves what the chunk staged into `batch`.
  void Flush(rocksdb::WriteBatch& batch) {
    for (const auto& [key, value] : staged_) {
      if (value) {
        batch.Put(cf_, ToSlice(key), ToSlice(*value));
      } else {
        batch.Delete(cf_, ToSlice(key));
      }
    }
    staged_.clear();
  }
  const absl::Status& status() const { return status_; }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  rocksdb::ReadOptions read_options_;
  absl::btree_map<std::string, std::optional<std::string>, std::less<>> staged_;
  absl::Status status_;  // a read error other than NotFound: the fold fails
};

}  // namespace

absl::StatusOr<uint64_t> FoldLog(const FoldTarget& target, uint64_t from, uint64_t to, bool sync,
                                 const std::function<bool(uint64_t)>& progress) {
  uint64_t folded = from - 1;
  if (from > to) return folded;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a one-pass scan: keep the block cache for queries
  ro.readahead_size = 2 << 20;
  const std::string upper = EncodeU64(to + 1);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(target.db->NewIterator(ro, target.events));
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  wo.disableWAL = false;
  remiss::v1::EventEnvelope event;
  it->Seek(EncodeU64(from));
  while (true) {
    ChunkTx tx(target.db, target.projections);
    size_t n = 0;
    for (; it->Valid() && n < target.chunk_events; it->Next(), ++n) {
      const uint64_t position = DecodeU64(ToView(it->key()));
      if (position != folded + 1) {
        return absl::DataLossError(absl::StrCat("the log has no event at position ", folded + 1,
                                                " (the next is ", position, ")"));
      }
      if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("event at position ", position, " does not parse"));
      }
      if (target.projector != nullptr) {
        absl::Status s = target.projector->Apply(event, tx);
        if (!s.ok()) return s;
        if (!tx.status().ok()) return tx.status();
      }
      folded = position;
    }
    if (!it->status().ok()) return FromRocks(it->status(), "reading the log");
    if (n == 0) break;
    rocksdb::WriteBatch batch;
    tx.Flush(batch);
    batch.Put(target.meta, ToSlice(target.cursor_key), EncodeU64(folded));
    if (absl::Status s = FromRocks(target.db->Write(wo, &batch), "writing a rebuild chunk");
        !s.ok()) {
      return s;
    }
    if (progress && !progress(folded)) return folded;
    if (folded >= to) break;
  }
  if (folded < to) {
    return absl::DataLossError(absl::StrCat("the log ends at position ", folded, ", not ", to));
  }
  return folded;
}

absl::Status ClearColumnFamily(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf) {
  const std::string end(64, '\xff');
  rocksdb::WriteOptions wo;
  if (absl::Status s = FromRocks(db->DeleteRange(wo, cf, rocksdb::Slice(), end), "clearing projections");
      !s.ok()) {
    return s;
  }
  rocksdb::WriteBatch rest;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) rest.Delete(cf, it->key());
  if (!it->status().ok()) return FromRocks(it->status(), "clearing projections");
  return FromRocks(db->Write(wo, &rest), "clearing projections");
}

}  // namespace remiss::core::internal
