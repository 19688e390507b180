#include "remiss/core/feeds/feed.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/feeds/local_feed.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

using remiss::testing::Registered;

class FeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = Open("source");
    consumer_store_ = Open("consumer");
  }
  std::unique_ptr<EventStore> Open(const std::string& name) {
    auto s = EventStore::Open({.path = dir_.Sub(name), .source = name, .clock = &clock_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  void Publish(int n) {
    for (int i = 0; i < n; ++i) {
      std::string org = absl::StrCat("org-", next_++ % 3);
      ASSERT_TRUE(source_
                      ->Execute({}, [&](Tx& tx) {
                        return tx.Append(absl::StrCat("organization/", org), std::nullopt,
                                         {Registered(org)});
                      })
                      .ok());
    }
  }
  // The consumer's projection: how many times each stream's events were applied.
  FeedConsumer::Apply CountApplied() {
    return [](const FeedEvent& e, Tx& tx) {
      std::string key = absl::StrCat("applied/", e.envelope.stream_id());
      auto v = tx.Get(key);
      tx.Put(key, EncodeU64((v ? DecodeU64(*v) : 0) + 1));
      return absl::OkStatus();
    };
  }
  uint64_t Applied(const std::string& stream) {
    auto v = consumer_store_->GetProjection(absl::StrCat("applied/", stream));
    return v ? DecodeU64(*v) : 0;
  }
  void WaitForCursor(uint64_t position) {
    for (int i = 0; i < 500; ++i) {
      auto c = consumer_store_->GetFeedCursor("source", 0);
      if (c && c->position >= position) return;
      absl::SleepFor(absl::Milliseconds(10));
    }
    FAIL() << "the consumer did not reach position " << position;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::UnixEpoch() + absl::Hours(24 * 365 * 51)};
  std::unique_ptr<EventStore> source_, consumer_store_;
  int next_ = 0;
};

TEST_F(FeedTest, LocalFeedDeliversEverythingOnceAndResumesAfterRestart) {
  Publish(10);
  FeedConsumer consumer(consumer_store_.get(), CountApplied());
  {
    LocalFeed feed(source_.get(), 4);
    ASSERT_TRUE(consumer.Run(feed).ok());
    WaitForCursor(10);
    Publish(5);  // events committed while the feed runs arrive too
    WaitForCursor(15);
  }
  Publish(6);  // while no feed runs
  LocalFeed again(source_.get());
  ASSERT_TRUE(consumer.Run(again).ok());
  WaitForCursor(21);
  again.Stop();
  EXPECT_EQ(Applied("organization/org-0") + Applied("organization/org-1") +
                Applied("organization/org-2"),
            21u);
  EXPECT_EQ(Applied("organization/org-0"), 7u);
}

TEST_F(FeedTest, RepeatsAreConsumedButNotApplied) {
  Publish(3);
  auto log = source_->ReadLog(1, 10);
  ASSERT_TRUE(log.ok());
  std::vector<FeedEvent> batch;
  int64_t offset = 0;
  for (const auto& e : *log) batch.push_back({"source", 0, offset++, e});
  // The topic holds the last two again, as after a relay restart, at later offsets.
  batch.push_back({"source", 0, offset++, (*log)[1]});
  batch.push_back({"source", 0, offset++, (*log)[2]});
  FeedConsumer consumer(consumer_store_.get(), CountApplied());
  ASSERT_TRUE(consumer.Consume(batch).ok());
  ASSERT_TRUE(consumer.Consume({batch.back()}).ok());
  EXPECT_EQ(Applied("organization/org-0") + Applied("organization/org-1") +
                Applied("organization/org-2"),
            3u);
  auto cursor = consumer_store_->GetFeedCursor("source", 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->offset, 4);
  EXPECT_EQ(cursor->position, 3u);
}

TEST_F(FeedTest, APoisonEventParksTheFeedAndIsNotSkipped) {
  Publish(5);
  FeedConsumer consumer(consumer_store_.get(), [](const FeedEvent& e, Tx& tx) -> absl::Status {
    if (e.envelope.position() == 3) return absl::DataLossError("position 3 makes no sense");
    tx.Put(absl::StrCat("seen/", e.envelope.position()), "");
    return absl::OkStatus();
  });
  LocalFeed feed(source_.get(), 1);
  ASSERT_TRUE(consumer.Run(feed).ok());
  for (int i = 0; i < 500 && feed.Parked().empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(feed.Parked().size(), 1u);
  EXPECT_EQ(feed.Parked()[0].position, 3u);
  EXPECT_NE(feed.Parked()[0].reason.find("DATA_LOSS"), std::string::npos) << feed.Parked()[0].reason;
  EXPECT_TRUE(feed.status().ok()) << "a parked feed has not stopped: " << feed.status();
  feed.Stop();
  auto cursor = consumer_store_->GetFeedCursor("source", 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->position, 2u);
  EXPECT_FALSE(consumer_store_->GetProjection("seen/4").has_value());
}

TEST_F(FeedTest, TheWatermarkPassesAnInstantOnlyOnceEverythingRecordedBeforeItIsHandled) {
  Publish(3);  // recorded at the clock's time T
  const absl::Time t = clock_.Now();
  absl::Notification release;
  std::atomic<int> handled{0};
  FeedConsumer consumer(consumer_store_.get(), [&](const FeedEvent&, Tx&) {
    release.WaitForNotification();
    ++handled;
    return absl::OkStatus();
  });
  LocalFeed feed(source_.get());
  EXPECT_EQ(feed.Watermark(), absl::InfinitePast());
  ASSERT_TRUE(consumer.Run(feed).ok());
  clock_.Advance(absl::Hours(1));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_LE(feed.Watermark(), t) << "the watermark passed events not yet handled";
  release.Notify();
  for (int i = 0; i < 500 && feed.Watermark() < t + absl::Hours(1); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(feed.Watermark(), t + absl::Hours(1));
  EXPECT_EQ(handled.load(), 3);
  feed.Stop();
}

}  // namespace
}  // namespace remiss::core

namespace remiss::core {
namespace {

// A data directory used by remissd (local feeds: offset = position) and then by a separate
// service (Kafka feeds: per-partition Kafka offsets) is refused, not misread.
TEST_F(FeedTest, AStoreRefusesCursorsWrittenByTheOtherKindOfFeed) {
  Publish(3);
  {
    FeedConsumer consumer(consumer_store_.get(), CountApplied());
    LocalFeed feed(source_.get());
    ASSERT_TRUE(consumer.Run(feed).ok());
    WaitForCursor(3);
    feed.Stop();
  }
  auto kafka = MakeKafkaFeed({.brokers = "127.0.0.1:1", .group_id = "remiss-consumer",
                              .sources = {"source"}});
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  FeedConsumer consumer(consumer_store_.get(), CountApplied());
  absl::Status refused = consumer.Run(**kafka);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_NE(refused.message().find("local"), absl::string_view::npos) << refused;
  EXPECT_NE(refused.message().find("kafka"), absl::string_view::npos) << refused;
  (*kafka)->Stop();

  // The same kind again is fine.
  LocalFeed again(source_.get());
  EXPECT_TRUE(consumer.Run(again).ok());
  again.Stop();
}

}  // namespace
}  // namespace remiss::core
