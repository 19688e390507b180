// Rebuilding projections in the background, in bounded memory: commands go on being served
// and queries answer from the old projections meanwhile; the swap gives the same digest as
// the live projections; a rebuild cut short by a stop resumes where it was at the next open.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/base/keys.h"
#include "tests/support/referrals_events.h"
#include "remiss/core/base/validation.h"
#include "tests/support/temp_dir.h"
#include "rocksdb/db.h"

namespace remiss::core {
namespace {

using remiss::testing::Registered;
using remiss::v1::EventEnvelope;

// Counts events per stream and in all; slow on demand, to catch a rebuild mid-way.
class SlowCountingProjector : public Projector {
 public:
  absl::Status Apply(const EventEnvelope& e, ProjectionTx& tx) override {
    ++applied;
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    if (!mode.empty()) tx.Put("mode", mode);
    for (const std::string key : {absl::StrCat("count/", e.stream_id()), std::string("total")}) {
      auto v = tx.Get(key);
      tx.Put(key, EncodeU64((v ? DecodeU64(*v) : 0) + 1));
    }
    return absl::OkStatus();
  }
  std::atomic<uint64_t> applied{0};
  absl::Duration delay = absl::ZeroDuration();
  std::string mode;  // when set, kept under "mode" (to tell which fold made the projections)
};

// Keeps a count per stream, an index of each stream's last three positions (found by a scan,
// the oldest beyond three deleted), and every 7th event the sum of the counts, read by a scan
// that reads each row again as it goes: a fold's Get, Put, Delete and Scan, mixed.
class IndexingProjector : public Projector {
 public:
  absl::Status Apply(const EventEnvelope& e, ProjectionTx& tx) override {
    const std::string count_key = absl::StrCat("n/", e.stream_id());
    auto n = tx.Get(count_key);
    tx.Put(count_key, EncodeU64((n ? DecodeU64(*n) : 0) + 1));
    const std::string index = absl::StrCat("i/", e.stream_id(), "/");
    tx.Put(absl::StrCat(index, EncodeU64(e.position())), e.event_id());
    std::vector<std::string> kept;
    tx.Scan(index, [&](absl::string_view key, absl::string_view) {
      kept.emplace_back(key);
      return true;
    });
    if (kept.size() > 3) tx.Delete(kept.front());
    if (e.position() % 7 == 0) {
      uint64_t sum = 0;
      tx.Scan("n/", [&](absl::string_view key, absl::string_view value) {
        auto again = tx.Get(key);
        if (again && *again == value) sum += DecodeU64(value);
        return true;
      });
      tx.Put("sum", EncodeU64(sum));
    }
    return absl::OkStatus();
  }
};

class RebuildTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = EventStore::Open({.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_,
                               .projector = &projector_, .sync = sync_,
                               .rebuild_chunk_events = 2048});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void Record(int n, const std::string& prefix) {
    for (int i = 0; i < n; i += 100) {
      auto r = store_->Execute({}, [&](Tx& tx) -> absl::Status {
        for (int k = i; k < std::min(n, i + 100); ++k) {
          const std::string org = absl::StrCat(prefix, k % 37);
          REMISS_RETURN_IF_ERROR(tx.Append(absl::StrCat("organization/", org), std::nullopt, {Registered(org)}));
        }
        return absl::OkStatus();
      });
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  uint64_t Total() {
    auto v = store_->GetProjection("total");
    return v ? DecodeU64(*v) : 0;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  SlowCountingProjector projector_;
  // Synced as in production (C17: with sync off a swap was never published, and the tests
  // compared the old projections with themselves).
  bool sync_ = true;
  std::unique_ptr<EventStore> store_;
};

TEST_F(RebuildTest, CommandsAreServedAndQueriesAnswerWhileItRunsAndTheSwapMatchesTheLiveDigest) {
  Record(20'000, "org-");
  const Digest live = store_->ProjectionDigest();
  projector_.delay = absl::Microseconds(50);  // ~1 s of folding
  ASSERT_TRUE(store_->StartRebuild().ok());
  ASSERT_TRUE(store_->Rebuild().running);
  // Meanwhile: commands are recorded while the rebuild still runs (not after it), and queries
  // see them in the old projections.
  Record(500, "late-");
  EXPECT_EQ(Total(), 20'500u);
  EXPECT_TRUE(store_->Rebuild().running) << "the rebuild ended before the commands were tested";
  EXPECT_NE(store_->ProjectionDigest().sha256, live.sha256);  // the live one moved on

  projector_.delay = absl::ZeroDuration();
  auto rebuilt = store_->RebuildProjections();  // waits for the one under way
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(Total(), 20'500u);
  const RebuildProgress done = store_->Rebuild();
  EXPECT_FALSE(done.running);
  EXPECT_EQ(done.position, 20'500u);
  EXPECT_EQ(done.error, "");
  // The digest of a live fold of the same events: folded again from scratch, it is the same.
  auto again = store_->RebuildProjections();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sha256, rebuilt->sha256);
  EXPECT_EQ(again->entries, 75u);  // count/ of 37 org- and 37 late- streams, and total
}

TEST_F(RebuildTest, ARebuildStoppedMidWayResumesWhereItWasAtTheNextOpen) {
  Record(30'000, "org-");
  const Digest live = store_->ProjectionDigest();
  projector_.delay = absl::Microseconds(30);
  ASSERT_TRUE(store_->StartRebuild().ok());
  while (store_->Rebuild().position < 5'000) absl::SleepFor(absl::Milliseconds(5));
  store_.reset();  // a stop between two chunks; the position folded so far is on disk
  projector_.delay = absl::ZeroDuration();
  projector_.applied = 0;
  Reopen();  // resumes by itself
  auto rebuilt = store_->RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256);
  EXPECT_LT(projector_.applied.load(), 30'000u - 4'000u) << "it started again from the beginning";
  EXPECT_EQ(Total(), 30'000u);
}

// C3: a stop during the final fold (on the writer) does not swap in what was folded so far;
// the old projections stay in use, and the rebuild resumes at the next open.
TEST_F(RebuildTest, AStopDuringTheFinalFoldSwapsNothingIn) {
  Record(3'000, "org-");  // less than the tail folded on the writer: all of it is the final fold
  const Digest live = store_->ProjectionDigest();
  projector_.applied = 0;
  projector_.delay = absl::Microseconds(300);
  ASSERT_TRUE(store_->StartRebuild().ok());
  while (projector_.applied.load() < 100) absl::SleepFor(absl::Milliseconds(2));
  store_.reset();  // stops the fold at its next chunk
  projector_.delay = absl::ZeroDuration();
  projector_.mode = "";
  clock_.Advance(absl::Seconds(1));
  auto s = EventStore::Open({.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_,
                             .projector = &projector_, .sync = sync_, .rebuild_chunk_events = 2048});
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = std::move(*s);
  EXPECT_EQ(Total(), 3'000u) << "a partly folded shadow was swapped in";
  auto rebuilt = store_->RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256);
  EXPECT_EQ(Total(), 3'000u);
}

// C17: with sync off (tests of speed), a rebuild's swap is seen at once all the same.
TEST_F(RebuildTest, TheSwapIsSeenWithSyncOff) {
  sync_ = false;
  Reopen();
  projector_.mode = "live";
  Record(500, "org-");
  ASSERT_EQ(store_->GetProjection("mode"), "live");
  projector_.mode = "rebuilt";
  auto rebuilt = store_->RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(store_->GetProjection("mode"), "rebuilt") << "readers still see the projections swapped out";
}

// A fold whose memory holds a handful of rows: chunks are written early and its cache is
// dropped again and again, while the projector reads, scans and deletes rows of earlier
// chunks; the rebuilt projections are still the live ones, byte for byte.
TEST(RebuildInLittleMemoryTest, GivesTheLiveDigestWithScansAndDeletesAcrossChunks) {
  remiss::testing::TempDir dir;
  ManualClock clock{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  IndexingProjector projector;
  for (size_t memory : {size_t{1} << 10, size_t{64} << 20}) {
    SCOPED_TRACE(memory);
    auto store = EventStore::Open({.path = dir.Sub(absl::StrCat("store-", memory)), .source = "referrals",
                                   .clock = &clock, .projector = &projector,
                                   .rebuild_chunk_events = 100, .rebuild_memory_bytes = memory});
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 2000; i += 50) {
      auto r = (*store)->Execute({}, [&](Tx& tx) -> absl::Status {
        for (int k = i; k < i + 50; ++k) {
          const std::string org = absl::StrCat("org-", (k * 7) % 53);
          REMISS_RETURN_IF_ERROR(tx.Append(absl::StrCat("organization/", org), std::nullopt, {Registered(org)}));
        }
        return absl::OkStatus();
      });
      ASSERT_TRUE(r.ok()) << r.status();
    }
    const Digest live = (*store)->ProjectionDigest();
    auto rebuilt = (*store)->RebuildProjections();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(rebuilt->sha256, live.sha256);
    EXPECT_EQ(rebuilt->entries, live.entries);
    EXPECT_EQ(rebuilt->entries, 53u + 53u * 3u + 1u);  // counts, three index rows each, sum
    auto again = (*store)->RebuildProjections();  // into the column family the first one left
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->sha256, live.sha256);
  }
}

// An event in the log that does not parse: the rebuild stops with an error naming its
// position, and the projections queries read are left as they were.
TEST(RebuildOfADamagedLogTest, FailsNamingTheEventAndKeepsTheProjections) {
  remiss::testing::TempDir dir;
  ManualClock clock{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  SlowCountingProjector projector;
  const std::string path = dir.Sub("store");
  auto open = [&] {
    return EventStore::Open({.path = path, .source = "referrals", .clock = &clock,
                             .projector = &projector, .rebuild_chunk_events = 64});
  };
  Digest live;
  {
    auto store = open();
    ASSERT_TRUE(store.ok()) << store.status();
    auto r = (*store)->Execute({}, [&](Tx& tx) -> absl::Status {
      for (int k = 0; k < 5000; ++k) {
        const std::string org = absl::StrCat("org-", k % 37);
        REMISS_RETURN_IF_ERROR(tx.Append(absl::StrCat("organization/", org), std::nullopt, {Registered(org)}));
      }
      return absl::OkStatus();
    });
    ASSERT_TRUE(r.ok()) << r.status();
    live = (*store)->ProjectionDigest();
  }
  {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, cfs, &handles, &db).ok());
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "events") {
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[i], EncodeU64(3210), "\xff\xff not an envelope").ok());
      }
    }
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  auto store = open();
  ASSERT_TRUE(store.ok()) << store.status();
  auto rebuilt = (*store)->RebuildProjections();
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_NE((*store)->Rebuild().error.find("3210"), std::string::npos) << (*store)->Rebuild().error;
  EXPECT_EQ((*store)->ProjectionDigest().sha256, live.sha256);
}

}  // namespace
}  // namespace remiss::core
