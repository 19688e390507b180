#include "tests/simulation/sim_disk.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

namespace remiss::sim {
namespace {

bool EndsWith(const std::string& name, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return name.size() > n && name.compare(name.size() - n, n, suffix) == 0;
}
bool IsWal(const std::string& name) { return EndsWith(name, ".log"); }
bool IsTable(const std::string& name) { return EndsWith(name, ".sst"); }

}  // namespace

// Every file written goes through here: when the disk is dead nothing reaches it; a log's
// appends and syncs are counted, so that a crash can cut what was never synced.
class SimDisk::File final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  File(std::unique_ptr<rocksdb::FSWritableFile> f, SimDisk* disk, std::string name)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), disk_(disk), name_(std::move(name)),
        wal_(IsWal(name_)), table_(IsTable(name_)) {
    if (table_) disk_->TableOpened(+1);
  }
  ~File() override {
    if (table_) disk_->TableOpened(-1);
  }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = disk_->Dead(); !s.ok()) return s;
    auto s = target()->Append(data, options, dbg);
    if (s.ok() && wal_) disk_->Appended();
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = disk_->Dead(); !s.ok()) return s;
    auto s = target()->Append(data, options, info, dbg);
    if (s.ok() && wal_) disk_->Appended();
    return s;
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Sync(options, dbg); });
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Fsync(options, dbg); });
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (auto s = disk_->Dead(); !s.ok()) return s;
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  rocksdb::IOStatus Flush(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (auto s = disk_->Dead(); !s.ok()) return s;
    return target()->Flush(options, dbg);
  }

 private:
  template <typename F>
  rocksdb::IOStatus SyncWith(F sync) {
    if (auto s = disk_->Dead(); !s.ok()) return s;
    if (wal_) {
      if (auto s = disk_->BeforeSync(); !s.ok()) return s;
    }
    auto s = sync();
    if (s.ok() && wal_) disk_->Synced(name_, target()->GetFileSize(rocksdb::IOOptions(), nullptr));
    return s;
  }

  SimDisk* disk_;
  std::string name_;
  bool wal_;
  bool table_;
};

SimDisk::SimDisk() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {
  env_ = rocksdb::NewCompositeEnv(std::shared_ptr<rocksdb::FileSystem>(this, [](auto*) {}));
}

SimDisk::~SimDisk() = default;

void SimDisk::FailSyncs(int n, int after) {
  absl::MutexLock lock(&mu_);
  fail_syncs_ += n;
  pass_syncs_ = after;
}

void SimDisk::SlowSyncs(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  slow_ = d;
}

// RocksDB 7.8 asserts (ExtractUserKey, in CompactionJob's stats) when a compaction's output
// table fails half written, so the crash lets the tables being written finish (a moment
// earlier or later is as good a crash point) and lets no new one start.
void SimDisk::Die() {
  absl::MutexLock lock(&mu_);
  dying_ = true;
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](int* open) { return *open == 0; }, &open_tables_),
                       absl::Seconds(10));
  dying_ = false;
  dead_ = true;
}

void SimDisk::TableOpened(int delta) {
  absl::MutexLock lock(&mu_);
  open_tables_ += delta;
}

void SimDisk::DieAfterWrites(int n) {
  absl::MutexLock lock(&mu_);
  die_after_ = n;
}

void SimDisk::Heal() {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(+[](int* n) { return *n == 0; }, &syncing_), absl::Seconds(10));
  fail_syncs_ = 0;
  pass_syncs_ = 0;
  slow_ = absl::ZeroDuration();
  slow_appends_ = absl::ZeroDuration();
}

bool SimDisk::SyncFailed() const {
  absl::MutexLock lock(&mu_);
  return sync_failed_;
}

void SimDisk::LoseUnsynced(uint64_t random, bool keep_part) {
  absl::MutexLock lock(&mu_);
  std::mt19937_64 gen(random);
  for (const auto& [path, synced] : synced_) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size <= synced) continue;
    uint64_t keep = synced;
    if (keep_part) keep += std::uniform_int_distribution<uint64_t>(0, size - synced)(gen);
    (void)!::truncate(path.c_str(), static_cast<off_t>(keep));
  }
  synced_.clear();
  sync_failed_ = false;
  dead_ = false;
  die_after_ = -1;
  fail_syncs_ = 0;
  pass_syncs_ = 0;
  slow_ = absl::ZeroDuration();
  slow_appends_ = absl::ZeroDuration();
}

rocksdb::IOStatus SimDisk::Dead() const {
  absl::MutexLock lock(&mu_);
  if (dead_) return rocksdb::IOStatus::IOError("simulated crash: the disk takes nothing more");
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus SimDisk::BeforeSync() {
  absl::Duration slow;
  bool fail = false;
  {
    absl::MutexLock lock(&mu_);
    if (fail_syncs_ > 0 && pass_syncs_ > 0) {
      --pass_syncs_;
    } else if (fail_syncs_ > 0) {
      --fail_syncs_;
      fail = true;
      sync_failed_ = true;
    }
    slow = slow_;
    ++syncing_;
  }
  if (slow > absl::ZeroDuration()) absl::SleepFor(slow);
  {
    absl::MutexLock lock(&mu_);
    --syncing_;
  }
  if (fail) return rocksdb::IOStatus::IOError("simulated: fsync of the log failed");
  return rocksdb::IOStatus::OK();
}

void SimDisk::Appended() {
  absl::Duration slow;
  {
    absl::MutexLock lock(&mu_);
    if (die_after_ > 0 && --die_after_ == 0) dead_ = true;
    slow = slow_appends_;
  }
  if (slow > absl::ZeroDuration()) absl::SleepFor(slow);
}

void SimDisk::SlowAppends(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  slow_appends_ = d;
}

void SimDisk::Synced(const std::string& name, uint64_t size) {
  absl::MutexLock lock(&mu_);
  uint64_t& synced = synced_[name];
  if (size > synced) synced = size;
}

rocksdb::IOStatus SimDisk::NewWritableFile(const std::string& name,
                                           const rocksdb::FileOptions& options,
                                           std::unique_ptr<rocksdb::FSWritableFile>* result,
                                           rocksdb::IODebugContext* dbg) {
  if (auto s = Dead(); !s.ok()) return s;
  if (IsTable(name)) {
    absl::MutexLock lock(&mu_);
    if (dying_) return rocksdb::IOStatus::IOError("simulated crash: no new table");
  }
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
  if (!s.ok()) return s;
  if (IsWal(name)) {
    absl::MutexLock lock(&mu_);
    synced_[name] = 0;
  }
  *result = std::make_unique<File>(std::move(file), this, name);
  return s;
}

rocksdb::IOStatus SimDisk::ReopenWritableFile(const std::string& name,
                                              const rocksdb::FileOptions& options,
                                              std::unique_ptr<rocksdb::FSWritableFile>* result,
                                              rocksdb::IODebugContext* dbg) {
  if (auto s = Dead(); !s.ok()) return s;
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, &file, dbg);
  if (!s.ok()) return s;
  if (IsWal(name)) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(name, ec);
    absl::MutexLock lock(&mu_);
    synced_[name] = ec ? 0 : size;  // what is there was kept
  }
  *result = std::make_unique<File>(std::move(file), this, name);
  return s;
}

rocksdb::IOStatus SimDisk::DeleteFile(const std::string& name, const rocksdb::IOOptions& options,
                                      rocksdb::IODebugContext* dbg) {
  if (auto s = Dead(); !s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    synced_.erase(name);
  }
  return target()->DeleteFile(name, options, dbg);
}

rocksdb::IOStatus SimDisk::RenameFile(const std::string& from, const std::string& to,
                                      const rocksdb::IOOptions& options,
                                      rocksdb::IODebugContext* dbg) {
  if (auto s = Dead(); !s.ok()) return s;
  return target()->RenameFile(from, to, options, dbg);
}

}  // namespace remiss::sim
