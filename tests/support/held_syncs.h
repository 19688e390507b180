// A RocksDB file system for store tests whose write-ahead-log syncs can be held back (to
// see what readers see while a group waits for its fsync) or made to fail (a full or broken
// disk at fsync time), and whose log appends can fail (at write time). Thread-safe.
#pragma once

#include <memory>

#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"
#include "tests/support/wal_files.h"

namespace remiss::testing {

// A file system whose write-ahead-log files (NNNNNN.log) hold every Sync while `hold` is set
// (but as many as Pass lets through) and fail them with an I/O error while `fail` is set.
class HeldSyncs final : public WalFileSystem {
 public:
  using WalFileSystem::WalFileSystem;
  const char* Name() const override { return "HeldSyncs"; }

  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, HeldSyncs* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->AppendsFail()) return rocksdb::IOStatus::IOError("injected: writing the log failed");
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->AppendsFail()) return rocksdb::IOStatus::IOError("injected: writing the log failed");
      return target()->Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Gate(); !s.ok()) return s;
      return target()->Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (rocksdb::IOStatus s = fs_->Gate(); !s.ok()) return s;
      return target()->Fsync(options, dbg);
    }

   private:
    HeldSyncs* fs_;
  };

  void Hold(bool on) {
    absl::MutexLock lock(&mu_);
    hold_ = on;
  }
  void Fail(bool on) {
    absl::MutexLock lock(&mu_);
    fail_ = on;
  }
  // Appends to the write-ahead log fail with an I/O error while set (a disk error or a full
  // disk at write time).
  void FailAppends(bool on) {
    absl::MutexLock lock(&mu_);
    fail_appends_ = on;
  }
  bool AppendsFail() {
    absl::MutexLock lock(&mu_);
    return fail_appends_;
  }
  // Lets `n` held syncs through (the hold stays for the next ones).
  void Pass(int n) {
    absl::MutexLock lock(&mu_);
    passes_ += n;
  }
  // Waits until `n` syncs are being held.
  void AwaitHeldSyncs(int n) {
    absl::MutexLock lock(&mu_);
    auto held = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ >= n; };
    mu_.Await(absl::Condition(&held));
  }

 protected:
  std::unique_ptr<rocksdb::FSWritableFile> Wrap(std::unique_ptr<rocksdb::FSWritableFile> wal) override {
    return std::make_unique<File>(std::move(wal), this);
  }

 private:
  rocksdb::IOStatus Gate() {
    absl::MutexLock lock(&mu_);
    ++waiting_;
    auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !hold_ || passes_ > 0; };
    mu_.Await(absl::Condition(&open));
    if (hold_) --passes_;
    --waiting_;
    if (fail_) return rocksdb::IOStatus::IOError("injected: fsync of the log failed");
    return rocksdb::IOStatus::OK();
  }

  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_appends_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int passes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace remiss::testing
