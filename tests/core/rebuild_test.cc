// Rebuilding projections in the background, in bounded memory: commands go on being served
// and queries answer from the old projections meanwhile; the swap gives the same digest as
// the live projections; a rebuild cut short by a stop resumes where it was at the next open.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "remiss/core/event_store.h"
#include "remiss/core/keys.h"
#include "tests/support/referrals_events.h"
#include "remiss/core/validation.h"
#include "tests/support/temp_dir.h"

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
    for (const std::string key : {absl::StrCat("count/", e.stream_id()), std::string("total")}) {
      auto v = tx.Get(key);
      tx.Put(key, EncodeU64((v ? DecodeU64(*v) : 0) + 1));
    }
    return absl::OkStatus();
  }
  std::atomic<uint64_t> applied{0};
  absl::Duration delay = absl::ZeroDuration();
};

class RebuildTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = EventStore::Open({.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_,
                               .projector = &projector_, .sync = false,
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
  std::unique_ptr<EventStore> store_;
};

TEST_F(RebuildTest, CommandsAreServedAndQueriesAnswerWhileItRunsAndTheSwapMatchesTheLiveDigest) {
  Record(20'000, "org-");
  const Digest live = store_->ProjectionDigest();
  projector_.delay = absl::Microseconds(50);  // ~1 s of folding
  ASSERT_TRUE(store_->StartRebuild().ok());
  ASSERT_TRUE(store_->Rebuild().running);
  // Meanwhile: commands are recorded at once, and queries see them in the old projections.
  const absl::Time before = absl::Now();
  Record(500, "late-");
  EXPECT_LT(absl::Now() - before, absl::Seconds(5));
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

}  // namespace
}  // namespace remiss::core
