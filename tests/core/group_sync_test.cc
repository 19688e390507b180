// The writer decides and writes the next group while the last one's fsync runs (issue 16).
// What must still hold, tried with a file system whose write-ahead-log syncs can be held back
// or made to fail:
// - nobody hears of a command, and no reader (projections, the log, positions, streams) sees
//   it, before the fsync that covers it returned;
// - meanwhile the next group is decided on it (a second command on the same stream sees the
//   first one's version);
// - a failed fsync answers UNAVAILABLE to what it covered and the store refuses every command
//   after it until it is opened again; reopened, the log is gap-free and holds no command that
//   was answered with an error as done.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "remiss/core/event_store.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

// A file system whose write-ahead-log files (NNNNNN.log) hold every Sync while `hold` is set
// (counting the syncs held) and fail them with an I/O error while `fail` is set.
class HeldSyncs final : public rocksdb::FileSystemWrapper {
 public:
  explicit HeldSyncs(std::shared_ptr<rocksdb::FileSystem> target)
      : rocksdb::FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "HeldSyncs"; }

  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, HeldSyncs* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
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

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (!s.ok()) return s;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0) {
      *result = std::make_unique<File>(std::move(file), this);
    } else {
      *result = std::move(file);
    }
    return s;
  }

  void Hold(bool on) {
    absl::MutexLock lock(&mu_);
    hold_ = on;
  }
  void Fail(bool on) {
    absl::MutexLock lock(&mu_);
    fail_ = on;
  }
  // Waits until a sync is being held.
  void AwaitHeldSync() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(+[](int* n) { return *n > 0; }, &waiting_));
  }

 private:
  rocksdb::IOStatus Gate() {
    absl::MutexLock lock(&mu_);
    ++waiting_;
    mu_.Await(absl::Condition(+[](bool* hold) { return !*hold; }, &hold_));
    --waiting_;
    if (fail_) return rocksdb::IOStatus::IOError("injected: fsync of the log failed");
    return rocksdb::IOStatus::OK();
  }

  absl::Mutex mu_;
  bool hold_ ABSL_GUARDED_BY(mu_) = false;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

EventEnvelope Registered(const std::string& org_id) {
  EventEnvelope e;
  e.set_partition_key(org_id);
  auto* r = e.mutable_referrals()->mutable_organization_registered();
  r->set_org_id(org_id);
  r->set_name("Bromma stadsdelsnämnd");
  return e;
}

class GroupSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<HeldSyncs>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(fs_);
  }
  std::unique_ptr<EventStore> Open() {
    auto s = EventStore::Open(
        {.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_, .env = env_.get()});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A command appending to `stream` at `expected` (nullopt: any version), staging key p/<id>.
  static absl::StatusOr<CommitResult> Append(EventStore& store, const std::string& id,
                                             const std::string& stream,
                                             std::optional<uint64_t> expected) {
    CommandMeta meta;
    meta.command_id = id;
    meta.command = "RegisterOrganization";
    meta.fingerprint = "fp-" + id;
    meta.actor.set_org_id("ks");
    return store.Execute(meta, [&](Tx& tx) {
      tx.Put("p/" + id, "registered");
      return tx.Append(stream, expected, {Registered(id)});
    });
  }

  // The bytes in the store's write-ahead-log files.
  uintmax_t WalBytes() const {
    uintmax_t n = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir_.Sub("store"))) {
      if (f.path().extension() == ".log") n += f.file_size();
    }
    return n;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1612137600)};
  std::shared_ptr<HeldSyncs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(GroupSyncTest, NoReaderSeesAGroupBeforeItsSyncAndTheNextGroupIsDecidedOnIt) {
  std::unique_ptr<EventStore> store = Open();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Append(*store, "org-1", "organization/org-1", 0).ok());
  const uint64_t head = store->LastPosition();

  fs_->Hold(true);
  absl::StatusOr<CommitResult> first, second;
  absl::Notification first_done, second_done;
  std::thread a([&] {
    first = Append(*store, "org-2", "organization/shared", 0);
    first_done.Notify();
  });
  fs_->AwaitHeldSync();  // the first command is written, its fsync held
  const uintmax_t wal_before = WalBytes();
  // Decided on the first one's write: the stream is at version 1 for it, though not durable.
  std::thread b([&] {
    second = Append(*store, "org-3", "organization/shared", 1);
    second_done.Notify();
  });
  // ... and written while the first one's fsync is still held.
  for (int i = 0; i < 500 && WalBytes() == wal_before; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_GT(WalBytes(), wal_before) << "the next group waited for the last one's fsync";
  // Nobody has heard of either, and no reader sees them.
  EXPECT_FALSE(first_done.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  EXPECT_FALSE(second_done.HasBeenNotified());
  EXPECT_EQ(store->LastPosition(), head);
  EXPECT_FALSE(store->GetProjection("p/org-2").has_value());
  auto log = store->ReadLog(head + 1, 10);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(log->empty()) << "the log shows an event whose fsync has not returned";
  auto stream = store->ReadStream("organization/shared");
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_TRUE(stream->empty());
  EXPECT_FALSE(store->WaitForPosition(head, absl::Milliseconds(50)));

  fs_->Hold(false);
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << "the second command was not decided on the first: "
                           << second.status();
  EXPECT_EQ(first->first_position, head + 1);
  EXPECT_EQ(second->first_position, head + 2);
  EXPECT_EQ(store->LastPosition(), head + 2);
  EXPECT_TRUE(store->GetProjection("p/org-3").has_value());
  stream = store->ReadStream("organization/shared");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream->size(), 2u);
}

TEST_F(GroupSyncTest, AFailedSyncIsUnavailableAndTheStoreRefusesUntilReopened) {
  std::unique_ptr<EventStore> store = Open();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(Append(*store, absl::StrCat("org-", i), absl::StrCat("organization/org-", i), 0).ok());
  }
  const uint64_t head = store->LastPosition();

  fs_->Fail(true);
  auto failed = Append(*store, "org-4", "organization/org-4", 0);
  ASSERT_FALSE(failed.ok()) << "answered as done though its fsync failed";
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_NE(failed.status().message().find("durable"), std::string::npos) << failed.status();
  fs_->Fail(false);
  // Its write is in memory: a retry must not be answered from it, nor anything decided on it.
  auto retried = Append(*store, "org-4", "organization/org-4", 0);
  EXPECT_EQ(retried.status().code(), absl::StatusCode::kUnavailable) << retried.status();
  auto other = Append(*store, "org-5", "organization/org-5", 0);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnavailable) << other.status();
  EXPECT_EQ(store->LastPosition(), head);
  EXPECT_FALSE(store->GetProjection("p/org-4").has_value());

  store.reset();
  store = Open();
  ASSERT_NE(store, nullptr);
  // What the disk kept of the failed group (here: all of it, the process did not die) is
  // there; positions stay gap-free and a retry is answered once.
  auto again = Append(*store, "org-4", "organization/org-4", 0);
  ASSERT_TRUE(again.ok()) << again.status();
  auto next = Append(*store, "org-5", "organization/org-5", 0);
  ASSERT_TRUE(next.ok()) << next.status();
  auto log = store->ReadLog(1, 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), store->LastPosition());
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].position(), i + 1);
  EXPECT_EQ(store->LastPosition(), head + 2);
}

}  // namespace
}  // namespace remiss::core
