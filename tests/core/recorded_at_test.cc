// recorded_at never goes backwards within a store: after a clock step back, each group is
// recorded at max(clock, last group's time, any settled instant already handed out),
// also across a restart, so no event lands behind a watermark that was published.
#include <gtest/gtest.h>

#include "remiss/core/store/event_store.h"

#include <filesystem>

#include "absl/time/clock.h"
#include "remiss/core/base/timestamps.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

const absl::Time kNoon = absl::FromUnixSeconds(1614337200);  // 2021-02-26 11:00 UTC

class RecordedAtTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = EventStore::Open({.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  absl::Time Append() {
    EventEnvelope e;
    e.set_partition_key("ks-2019-1939");
    e.mutable_referrals()->mutable_referral_drafted()->set_referral_id("ks-2019-1939");
    auto r = store_->Execute({}, [&](Tx& tx) { return tx.Append("referral/ks-2019-1939", std::nullopt, {e}); });
    EXPECT_TRUE(r.ok()) << r.status();
    auto log = store_->ReadLog(r->last_position, 1);
    EXPECT_TRUE(log.ok() && log->size() == 1);
    return FromTimestamp(log->front().recorded_at());
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{kNoon};
  std::unique_ptr<EventStore> store_;
};

TEST_F(RecordedAtTest, AClockStepBackNeitherReordersEventsNorPutsThemBehindAWatermark) {
  const absl::Time first = Append();
  EXPECT_EQ(first, kNoon);
  clock_.Set(kNoon + absl::Minutes(5));
  // A relay publishes this (once the writer has finished the group: until then it is the
  // group's time).
  absl::Time settled = store_->SettledUntil();
  for (int i = 0; i < 100 && settled != kNoon + absl::Minutes(5); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    settled = store_->SettledUntil();
  }
  EXPECT_EQ(settled, kNoon + absl::Minutes(5));

  clock_.Set(kNoon - absl::Hours(1));  // NTP steps the clock back
  EXPECT_GE(store_->SettledUntil(), settled) << "the settled instant went back";
  const absl::Time second = Append();
  EXPECT_GE(second, settled) << "recorded behind a published watermark";
  const absl::Time third = Append();
  EXPECT_GE(third, second);
}

TEST_F(RecordedAtTest, ItHoldsAcrossARestart) {
  clock_.Set(kNoon + absl::Hours(2));
  const absl::Time before = Append();
  const absl::Time settled = store_->SettledUntil();
  Reopen();
  clock_.Set(kNoon);  // the machine comes back with its clock behind
  const absl::Time after = Append();
  EXPECT_GE(after, before);
  EXPECT_GE(after, settled);
  EXPECT_GE(store_->SettledUntil(), after);
}

// C19: a watermark handed out while idle is kept before it is handed out, so a crash (here:
// the store's files as they are on disk while it runs, opened elsewhere) and a clock step
// back cannot put the next event behind it.
TEST_F(RecordedAtTest, AWatermarkHandedOutIsKeptAcrossACrash) {
  Append();
  clock_.Set(kNoon + absl::Hours(3));
  const absl::Time settled = store_->SettledUntil();
  ASSERT_EQ(settled, kNoon + absl::Hours(3));
  // The crash: what the disk holds now, without the clean close.
  std::filesystem::copy(dir_.Sub("store"), dir_.Sub("crashed"), std::filesystem::copy_options::recursive);
  std::filesystem::remove(dir_.Sub("crashed") + "/LOCK");
  clock_.Set(kNoon + absl::Minutes(1));  // back after the crash, the clock behind
  auto crashed = EventStore::Open({.path = dir_.Sub("crashed"), .source = "referrals", .clock = &clock_});
  ASSERT_TRUE(crashed.ok()) << crashed.status();
  store_ = std::move(*crashed);
  EXPECT_GE(Append(), settled) << "recorded behind a watermark handed out before the crash";
}

TEST_F(RecordedAtTest, SettledMarksNeverPassTheRestatedFeeds) {
  absl::Time upstream = kNoon - absl::Minutes(10);
  store_.reset();
  auto s = EventStore::Open({.path = dir_.Sub("restating"), .source = "responses", .clock = &clock_,
                             .restated_until = [&upstream] { return upstream; }});
  ASSERT_TRUE(s.ok()) << s.status();
  SettledMark mark = (*s)->Settled();
  EXPECT_EQ(mark.until, kNoon - absl::Minutes(10));
  upstream = kNoon + absl::Hours(1);
  mark = (*s)->Settled();
  EXPECT_EQ(mark.until, kNoon) << "its own settled instant bounds it too";
}

}  // namespace
}  // namespace remiss::core
