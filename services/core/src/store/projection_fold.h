// Folding a range of a store's log into one projections column family in bounded memory:
// the events are read in position order and applied by the projector in chunks, each chunk
// committed in its own WriteBatch together with the position it reached (so a fold that
// stops part-way resumes from there). Used by EventStore's rebuild into its shadow
// projections. Private to the core library; not thread-safe (one fold at a time per target).
// The log is read and parsed on a thread of its own, a few batches ahead of the projector;
// the projector runs on the caller's thread, in log order, as it would live.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "remiss/core/store/event_store.h"
#include "rocksdb/db.h"

namespace remiss::core::internal {

// How a fold writes its batches into the database (the store's WriteToDb, so that a failed
// write is known to its log sync).
using DbWrite = std::function<rocksdb::Status(const rocksdb::WriteOptions&, rocksdb::WriteBatch*)>;

struct FoldTarget {
  rocksdb::DB* db = nullptr;
  DbWrite write;  // db->Write when not set
  rocksdb::ColumnFamilyHandle* events = nullptr;       // the log, keyed by position
  rocksdb::ColumnFamilyHandle* projections = nullptr;  // where the fold writes
  rocksdb::ColumnFamilyHandle* meta = nullptr;         // where the reached position goes
  std::string cursor_key;                              // its key in `meta`
  Projector* projector = nullptr;                      // may be null (nothing to fold)
  size_t chunk_events = 131072;                        // events per committed batch, at most
  // What the fold keeps of the projections in memory (the chunk's changes and a cache of the
  // rows it read and wrote), about: a chunk is committed early when it reaches this, and the
  // cache is cut to half of it after each chunk.
  size_t memory_bytes = 32 << 20;
};

// Folds the events at positions from..to (inclusive) into `target`. `progress` is called
// after each chunk with the last position folded; returning false stops the fold: the result
// is then CANCELLED (unless the fold was complete), and what was committed stays, to resume
// from. `sync` fsyncs every chunk. Returns the last position folded.
[[nodiscard]] absl::StatusOr<uint64_t> FoldLog(const FoldTarget& target, uint64_t from,
                                              uint64_t to, bool sync,
                                              const std::function<bool(uint64_t)>& progress);

// Deletes every key of `cf` (a range tombstone over the whole key space, then whatever sorts
// after it).
[[nodiscard]] absl::Status ClearColumnFamily(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                             const DbWrite& write = nullptr);

}  // namespace remiss::core::internal
