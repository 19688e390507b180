// Only NotFound means absent: a read that fails otherwise (here: the disk returns an I/O error
// for every file read) fails the transaction with UNAVAILABLE and records nothing, so a bad
// stream-head read can never restart a stream at version 1 over its index.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "remiss/core/store/event_store.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

// A file system whose file reads fail (IOError) while `failing` is set.
class FailingReads final : public rocksdb::FileSystemWrapper {
 public:
  explicit FailingReads(std::shared_ptr<rocksdb::FileSystem> target)
      : rocksdb::FileSystemWrapper(std::move(target)) {}
  const char* Name() const override { return "FailingReads"; }

  class File final : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSRandomAccessFile> f, const std::atomic<bool>* failing)
        : rocksdb::FSRandomAccessFileOwnerWrapper(std::move(f)), failing_(failing) {}
    rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& options,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* dbg) const override {
      if (*failing_) return rocksdb::IOStatus::IOError("injected: the disk returned EIO");
      return target()->Read(offset, n, options, result, scratch, dbg);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                                const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (*failing_) return rocksdb::IOStatus::IOError("injected: the disk returned EIO");
      return target()->MultiRead(reqs, num_reqs, options, dbg);
    }

   private:
    const std::atomic<bool>* failing_;
  };

  rocksdb::IOStatus NewRandomAccessFile(const std::string& name, const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
                                        rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSRandomAccessFile> file;
    rocksdb::IOStatus s = target()->NewRandomAccessFile(name, options, &file, dbg);
    if (s.ok()) *result = std::make_unique<File>(std::move(file), &failing);
    return s;
  }

  std::atomic<bool> failing{false};
};

EventEnvelope Registered(const std::string& org_id) {
  EventEnvelope e;
  e.set_partition_key(org_id);
  auto* r = e.mutable_referrals()->mutable_organization_registered();
  r->set_org_id(org_id);
  r->set_name("Bromma stadsdelsnämnd");
  return e;
}

class ReadErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_ = std::make_shared<FailingReads>(rocksdb::FileSystem::Default());
    env_ = rocksdb::NewCompositeEnv(fs_);
  }
  std::unique_ptr<EventStore> Open() {
    auto s = EventStore::Open(
        {.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_, .env = env_.get()});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A store holding the projection row p/bromma-sdn = "known", reopened: the row is in a
  // table file (recovery flushes the log), read from disk from now on.
  std::unique_ptr<EventStore> OpenWithKnownRow() {
    {
      auto store = Open();
      if (store == nullptr) return nullptr;
      auto put = store->Execute({}, [](Tx& tx) {
        tx.Put("p/bromma-sdn", "known");
        return absl::OkStatus();
      });
      EXPECT_TRUE(put.ok()) << put.status();
    }
    return Open();
  }
  absl::StatusOr<CommitResult> Append(EventStore& store, const std::string& stream) {
    return store.Execute({}, [&](Tx& tx) { return tx.Append(stream, std::nullopt, {Registered("bromma-sdn")}); });
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1612137600)};
  std::shared_ptr<FailingReads> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(ReadErrorsTest, AFailedStreamHeadReadFailsTheAppendAndLeavesTheStreamIntact) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Append(*store, "org/bromma-sdn").ok());
  }
  // Reopened, the log is in table files (recovery flushes it), read from disk from now on.
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const uint64_t last = store->LastPosition();
  ASSERT_EQ(last, 3u);

  fs_->failing = true;
  absl::StatusOr<CommitResult> r = Append(*store, "org/bromma-sdn");
  fs_->failing = false;
  ASSERT_FALSE(r.ok()) << "appended at version " << r->stream_version
                       << " after a failed read of the stream head";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(store->LastPosition(), last) << "something was recorded";

  r = Append(*store, "org/bromma-sdn");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream_version, 4u);
  auto stream = store->ReadStream("org/bromma-sdn");
  ASSERT_TRUE(stream.ok()) << stream.status();
  ASSERT_EQ(stream->size(), 4u);
  for (size_t i = 0; i < stream->size(); ++i) EXPECT_EQ((*stream)[i].stream_version(), i + 1);
}

TEST_F(ReadErrorsTest, AFailedReadInsideAHandlerFailsItWhateverItReturns) {
  auto store = OpenWithKnownRow();
  ASSERT_NE(store, nullptr);
  fs_->failing = true;
  // The handler reads "absent" and writes as if it were: that decision must not commit.
  auto r = store->Execute({}, [](Tx& tx) {
    if (!tx.Get("p/bromma-sdn").has_value()) tx.Put("p/bromma-sdn", "overwritten");
    return absl::OkStatus();
  });
  fs_->failing = false;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(store->GetProjection("p/bromma-sdn").value_or(""), "known");
}

// C22: a query whose read fails is UNAVAILABLE, not "not found": a board's answer that
// cannot be read is not an answer that does not exist.
TEST_F(ReadErrorsTest, AProjectionThatCannotBeReadIsUnavailableNotAbsent) {
  auto store = OpenWithKnownRow();
  ASSERT_NE(store, nullptr);
  fs_->failing = true;
  auto read = store->ReadProjection("p/bromma-sdn");
  fs_->failing = false;
  ASSERT_FALSE(read.ok()) << "a failed read answered " << (read->has_value() ? **read : "absent");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable) << read.status();
  auto again = store->ReadProjection("p/bromma-sdn");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, "known");
  auto absent = store->ReadProjection("p/nobody");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->has_value());
}

}  // namespace
}  // namespace remiss::core
