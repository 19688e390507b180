// The simulation's disk: a RocksDB file system per service store whose log syncs can fail
// (the store must poison itself) or be slow, and which can die (a crash: from then on
// nothing more reaches it) and then lose what was written but never synced, as a power cut
// would. Everything random it does comes from the seed the caller gives. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace remiss::sim {

class SimDisk final : public rocksdb::FileSystemWrapper {
 public:
  SimDisk();
  ~SimDisk() override;
  const char* Name() const override { return "SimDisk"; }

  // The rocksdb::Env to open stores with (ModuleSettings::env); owned by this disk.
  rocksdb::Env* env() { return env_.get(); }

  // The next `n` syncs of a write-ahead log fail with an I/O error (a broken or full disk at
  // fsync time), after `after` more succeed. A failing sync takes as long as SlowSyncs says
  // before it fails, so that writes pile up behind it.
  void FailSyncs(int n, int after = 0);
  // Every sync of a write-ahead log takes `d` longer (0: none).
  void SlowSyncs(absl::Duration d);
  // A crash: from now on no write, sync, rename or delete reaches the disk (they fail). The
  // tables (.sst) being written are let finish first (see sim_disk.cc).
  void Die();
  // A crash right after the `n`-th next append to a write-ahead log, before its sync (say in
  // the middle of a restore).
  void DieAfterWrites(int n);
  // After the crashed store is closed: every write-ahead log loses what was appended after
  // its last successful sync, all of it or (keep_part) a part chosen by `random`; then the
  // disk lives again, with no faults.
  void LoseUnsynced(uint64_t random, bool keep_part);
  // Every append to a write-ahead log takes `d` longer (0: none): a rebuild's fold, which
  // writes a chunk at a time, then lasts long enough for a stop to land in it.
  void SlowAppends(absl::Duration d);
  // Ends FailSyncs, SlowSyncs and SlowAppends, once the syncs under way have returned (a
  // failing one sleeps as a slow one does before it fails).
  void Heal();
  // Whether a log sync failed since the disk was last made whole (LoseUnsynced): what it did
  // not write may be gone (Linux drops the dirty pages a failed fsync could not write), so a
  // restart may read the logs as a crash would leave them.
  bool SyncFailed() const;

  // rocksdb::FileSystem
  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

 private:
  class File;
  friend class File;
  rocksdb::IOStatus Dead() const;
  rocksdb::IOStatus BeforeSync();
  void Appended();
  void TableOpened(int delta);
  void Synced(const std::string& name, uint64_t size);

  mutable absl::Mutex mu_;
  int fail_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int pass_syncs_ ABSL_GUARDED_BY(mu_) = 0;
  bool sync_failed_ ABSL_GUARDED_BY(mu_) = false;
  int syncing_ ABSL_GUARDED_BY(mu_) = 0;  // syncs in BeforeSync's sleep
  absl::Duration slow_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration slow_appends_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
  bool dying_ ABSL_GUARDED_BY(mu_) = false;  // Die waits for the tables being written
  int open_tables_ ABSL_GUARDED_BY(mu_) = 0;
  int die_after_ ABSL_GUARDED_BY(mu_) = -1;  // appends left before dying; -1: none
  // Each write-ahead log written to since the disk came (back) to life: how much of it was
  // synced, by path.
  std::map<std::string, uint64_t> synced_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<rocksdb::Env> env_;
};

}  // namespace remiss::sim
