// Watermarks over Kafka, against a real broker (tools/kafka/kafka.sh): the relay publishes
// {settled_until, offsets} on remiss.<source>.watermarks.v1 and KafkaFeed::Watermark() passes
// an instant only once its consumer has handled every event recorded before it. A checker
// thread reads the feed's watermark all along and fails the test on any value that passes an
// event of the source not handled yet, or that goes back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "kafka_broker.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/kafka/relay.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::testing::KafkaBroker;
using remiss::testing::TempDir;
using remiss::v1::EventEnvelope;

const absl::Time kStart = absl::FromUnixSeconds(1709287200);  // 2024-03-01 10:00 UTC

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::unique_ptr<EventStore> OpenStore(const std::string& path, const std::string& source,
                                      const Clock* clock) {
  EventStoreOptions options;
  options.path = path;
  options.source = source;
  options.clock = clock;
  options.sync = false;  // a test of behaviour, not of durability
  auto store = EventStore::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

std::string ReferralId(int n) { return absl::StrCat("ks-2024-", 100 + n); }

// Appends one event to referral `n`'s stream (keyed by the referral id).
absl::Status AppendEvent(EventStore& store, int n) {
  return store
      .Execute(CommandMeta{},
               [&](Tx& tx) -> absl::Status {
                 EventEnvelope e;
                 e.set_partition_key(ReferralId(n));
                 auto* drafted = e.mutable_referrals()->mutable_referral_drafted();
                 drafted->set_referral_id(ReferralId(n));
                 drafted->set_title("an event");
                 std::vector<EventEnvelope> events;
                 events.push_back(std::move(e));
                 return tx.Append(absl::StrCat("referral/", ReferralId(n)), std::nullopt,
                                  std::move(events));
               })
      .status();
}

// `count` events, round robin over `streams` referrals.
void AppendEvents(EventStore& store, int count, int streams) {
  for (int i = 0; i < count; ++i) {
    absl::Status s = AppendEvent(store, i % streams);
    ASSERT_TRUE(s.ok()) << "append " << i << ": " << s;
  }
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

KafkaBroker* SharedBroker() {
  std::string error;
  KafkaBroker* broker = KafkaBroker::Shared(&error);
  EXPECT_NE(broker, nullptr) << "the test broker did not start: " << error;
  return broker;
}

std::unique_ptr<Relay> StartRelay(const KafkaBroker& broker, EventStore* store) {
  RelayOptions options;
  options.brokers = broker.bootstrap();
  auto relay = Relay::Start(store, options);
  EXPECT_TRUE(relay.ok()) << relay.status();
  return relay.ok() ? std::move(*relay) : nullptr;
}

// A consumer of one source: its own store behind a FeedConsumer and a KafkaFeed. The handler
// can be held on a batch holding a given position, slowed down, and records what it handled.
class Consumer {
 public:
  Consumer(const KafkaBroker& broker, const std::string& path, const std::string& source,
           const std::string& group, size_t max_batch = 500)
      : store_(OpenStore(path, "deadlines", &clock_)),
        consumer_(store_.get(), [](const FeedEvent&, Tx&) { return absl::OkStatus(); }) {
    KafkaFeedOptions options;
    options.brokers = broker.bootstrap();
    options.group_id = group;
    options.sources = {source};
    options.max_batch = max_batch;
    auto feed = MakeKafkaFeed(options);
    EXPECT_TRUE(feed.ok()) << feed.status();
    if (feed.ok()) feed_ = std::move(*feed);
  }
  ~Consumer() {
    Release();
    if (feed_) feed_->Stop();
  }

  absl::Status Start() {
    if (store_ == nullptr || feed_ == nullptr) return absl::InternalError("no consumer");
    return feed_->Start(
        [this](const std::string& source, int32_t partition) {
          return store_->GetFeedCursor(source, partition);
        },
        [this](const std::vector<FeedEvent>& batch) { return Handle(batch); });
  }

  Feed& feed() { return *feed_; }

  // The handler blocks on a batch holding `position` until Release().
  void Hold(uint64_t position) {
    absl::MutexLock lock(&mu_);
    hold_ = position;
    released_ = false;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  bool Holding() {
    absl::MutexLock lock(&mu_);
    return holding_;
  }
  void SlowDown(absl::Duration per_batch) {
    absl::MutexLock lock(&mu_);
    delay_ = per_batch;
  }

  std::set<uint64_t> Handled() {
    absl::MutexLock lock(&mu_);
    return handled_;
  }
  size_t HandledCount() {
    absl::MutexLock lock(&mu_);
    return handled_.size();
  }

 private:
  absl::Status Handle(const std::vector<FeedEvent>& batch) {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu_);
      for (const FeedEvent& e : batch) {
        if (e.envelope.position() == hold_) holding_ = true;
      }
      if (holding_) mu_.Await(absl::Condition(&released_));
      holding_ = false;
      delay = delay_;
    }
    absl::SleepFor(delay);
    absl::Status s = consumer_.Consume(batch);
    if (s.ok()) {
      absl::MutexLock lock(&mu_);
      for (const FeedEvent& e : batch) handled_.insert(e.envelope.position());
    }
    return s;
  }

  SystemClock clock_;
  std::unique_ptr<EventStore> store_;
  FeedConsumer consumer_;
  std::unique_ptr<Feed> feed_;

  absl::Mutex mu_;
  uint64_t hold_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = true;
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> handled_ ABSL_GUARDED_BY(mu_);
};

// Reads the consumer's feed watermark every few milliseconds until destroyed. Each value must
// not pass an event of the source the consumer had not handled when it was read (every event
// recorded before the watermark is handled), and must never go back.
class WatermarkChecker {
 public:
  WatermarkChecker(const EventStore& source, Consumer& consumer)
      : source_(source), consumer_(consumer), thread_([this] { Run(); }) {}
  ~WatermarkChecker() {
    stop_ = true;
    thread_.join();
  }

  std::vector<std::string> Violations() {
    absl::MutexLock lock(&mu_);
    return violations_;
  }
  int checks() const { return checks_; }

 private:
  void Run() {
    absl::Time last = absl::InfinitePast();
    while (!stop_) {
      const absl::Time watermark = consumer_.feed().Watermark();
      const std::set<uint64_t> handled = consumer_.Handled();
      if (watermark < last) {
        Violation(absl::StrCat("the watermark went back from ", absl::FormatTime(last), " to ",
                               absl::FormatTime(watermark)));
      }
      last = watermark;
      if (watermark != absl::InfinitePast()) {
        auto log = source_.ReadLog(1, 1000000);
        if (!log.ok()) {
          Violation(log.status().ToString());
        } else {
          for (const EventEnvelope& e : *log) {
            if (FromTimestamp(e.recorded_at()) < watermark && !handled.count(e.position())) {
              Violation(absl::StrCat("watermark ", absl::FormatTime(watermark),
                                     " passed position ", e.position(), " recorded at ",
                                     absl::FormatTime(FromTimestamp(e.recorded_at())),
                                     " before it was handled"));
              break;
            }
          }
        }
      }
      ++checks_;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  void Violation(std::string what) {
    absl::MutexLock lock(&mu_);
    if (violations_.size() < 10) violations_.push_back(std::move(what));
  }

  const EventStore& source_;
  Consumer& consumer_;
  std::atomic<bool> stop_{false};
  std::atomic<int> checks_{0};
  absl::Mutex mu_;
  std::vector<std::string> violations_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Waits for the feed's watermark to reach `at_least`; returns how long that took.
std::optional<absl::Duration> WaitForWatermark(Feed& feed, absl::Time at_least,
                                               absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time start = absl::Now();
  if (!WaitFor([&] { return feed.Watermark() >= at_least; }, timeout)) return std::nullopt;
  return absl::Now() - start;
}

void Report(const std::string& what, absl::Duration took) {
  std::fprintf(stderr, "watermark: %s took %s\n", what.c_str(),
               absl::FormatDuration(took).c_str());
}

TEST(KafkaWatermark, ReachesTheConsumerOnceItHandledEverythingRecordedBefore) {
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  ManualClock clock(kStart);
  auto source = OpenStore(dir.Sub("referrals"), "referrals", &clock);
  ASSERT_NE(source, nullptr);

  // The feed starts before the relay has created any topic.
  Consumer consumer(*broker, dir.Sub("consumer"), "referrals", "wm-a");
  ASSERT_TRUE(consumer.Start().ok());
  WatermarkChecker checker(*source, consumer);
  EXPECT_EQ(consumer.feed().Watermark(), absl::InfinitePast());

  auto relay = StartRelay(*broker, source.get());
  ASSERT_NE(relay, nullptr);
  AppendEvents(*source, 30, 10);  // recorded at kStart
  ASSERT_TRUE(WaitFor([&] { return consumer.HandledCount() == 30; }, absl::Seconds(60)))
      << "handled " << consumer.HandledCount() << "; feed: " << consumer.feed().status();
  // Events recorded at kStart are not before kStart: the watermark may get there, not past.
  auto first = WaitForWatermark(consumer.feed(), kStart);
  ASSERT_TRUE(first.has_value()) << "no watermark reached the consumer";
  Report("the first after the events were handled", *first);
  EXPECT_EQ(consumer.feed().Watermark(), kStart);

  // The clock moves on, nothing is recorded: the feed follows within about a second or two.
  clock.Set(kStart + absl::Hours(1));
  auto moved = WaitForWatermark(consumer.feed(), kStart + absl::Hours(1));
  ASSERT_TRUE(moved.has_value()) << "the watermark stayed at "
                                 << absl::FormatTime(consumer.feed().Watermark());
  Report("following the clock", *moved);
  EXPECT_LT(*moved, absl::Seconds(10));
  EXPECT_LE(consumer.feed().Watermark(), clock.Now()) << "a watermark past the source's clock";

  // More events, then the clock again.
  AppendEvents(*source, 20, 7);
  clock.Set(kStart + absl::Hours(2));
  auto again = WaitForWatermark(consumer.feed(), kStart + absl::Hours(2));
  ASSERT_TRUE(again.has_value());
  Report("after more events", *again);
  EXPECT_EQ(consumer.HandledCount(), 50u);

  // The feed restarted resumes after the consumer's stored cursors: with nothing new in any
  // partition, what the store has taken still counts, and the watermark follows the clock.
  consumer.feed().Stop();
  ASSERT_TRUE(consumer.Start().ok());
  clock.Set(kStart + absl::Hours(3));
  auto restarted = WaitForWatermark(consumer.feed(), kStart + absl::Hours(3));
  ASSERT_TRUE(restarted.has_value())
      << "stayed at " << absl::FormatTime(consumer.feed().Watermark());
  Report("after the feed restarted", *restarted);
  EXPECT_EQ(consumer.HandledCount(), 50u);

  EXPECT_GT(checker.checks(), 10);
  EXPECT_THAT(checker.Violations(), ::testing::IsEmpty());
  EXPECT_TRUE(consumer.feed().status().ok()) << consumer.feed().status();
}

TEST(KafkaWatermark, DoesNotPassAnEventTheHandlerIsStillOn) {
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  ManualClock clock(kStart);
  auto source = OpenStore(dir.Sub("responses"), "responses", &clock);
  ASSERT_NE(source, nullptr);
  auto relay = StartRelay(*broker, source.get());
  ASSERT_NE(relay, nullptr);
  Consumer consumer(*broker, dir.Sub("consumer"), "responses", "wm-b");
  ASSERT_TRUE(consumer.Start().ok());
  WatermarkChecker checker(*source, consumer);

  AppendEvents(*source, 10, 5);
  const absl::Time t2 = kStart + absl::Hours(1);
  clock.Set(t2);
  ASSERT_TRUE(WaitForWatermark(consumer.feed(), t2).has_value());

  // An event recorded at t2 that the handler gets stuck on.
  const uint64_t stuck = source->LastPosition() + 1;
  consumer.Hold(stuck);
  ASSERT_TRUE(AppendEvent(*source, 3).ok());
  ASSERT_EQ(source->LastPosition(), stuck);
  ASSERT_TRUE(WaitFor([&] { return consumer.Holding(); }, absl::Seconds(30)));

  // The source moves on and keeps publishing watermarks; the feed's stays at t2.
  for (int hour = 1; hour <= 3; ++hour) {
    clock.Set(t2 + absl::Hours(hour));
    absl::SleepFor(absl::Milliseconds(1200));
    EXPECT_LE(consumer.feed().Watermark(), t2) << "passed the event being handled";
  }
  auto published = remiss::testing::ReadTopic(broker->bootstrap(), "remiss.responses.watermarks.v1",
                                              1);
  ASSERT_TRUE(published.ok()) << published.status();
  remiss::v1::SourceWatermark latest;
  ASSERT_TRUE(latest.ParseFromString(published->back().value));
  EXPECT_EQ(published->back().key, "responses");
  EXPECT_GT(FromTimestamp(latest.settled_until()), t2)
      << "the relay published nothing newer while the consumer was stuck";
  EXPECT_FALSE(latest.offsets().empty());

  // Released: it handles the event and the watermark catches up.
  const absl::Time released = absl::Now();
  consumer.Release();
  auto caught_up = WaitForWatermark(consumer.feed(), t2 + absl::Hours(3));
  ASSERT_TRUE(caught_up.has_value())
      << "stayed at " << absl::FormatTime(consumer.feed().Watermark());
  Report("catching up after the handler was released", absl::Now() - released);
  EXPECT_TRUE(consumer.Handled().count(stuck));

  EXPECT_THAT(checker.Violations(), ::testing::IsEmpty());
  EXPECT_TRUE(consumer.feed().status().ok()) << consumer.feed().status();
}

TEST(KafkaWatermark, DoesNotPassEventsTheRelayHasNotPublished) {
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  ManualClock clock(kStart);
  auto source = OpenStore(dir.Sub("followup"), "followup", &clock);
  ASSERT_NE(source, nullptr);
  auto relay = StartRelay(*broker, source.get());
  ASSERT_NE(relay, nullptr);
  Consumer first(*broker, dir.Sub("first"), "followup", "wm-c-first");
  ASSERT_TRUE(first.Start().ok());
  WatermarkChecker first_checker(*source, first);

  AppendEvents(*source, 40, 10);  // over many partitions
  clock.Set(kStart + absl::Hours(1));
  ASSERT_TRUE(WaitForWatermark(first.feed(), kStart + absl::Hours(1)).has_value());

  // The relay stops; events are committed in the store but not in Kafka (one key: one
  // partition).
  relay->Stop();
  relay.reset();
  const absl::Time unpublished = kStart + absl::Hours(2);
  clock.Set(unpublished);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendEvent(*source, 0).ok());
  clock.Set(kStart + absl::Hours(4));
  absl::SleepFor(absl::Seconds(3));
  EXPECT_LE(first.feed().Watermark(), unpublished);

  // A new relay sends them. It learns where the topic ends, so its watermarks also cover the
  // partitions it does not write to: a new consumer, slow, must not get ahead of what it took.
  relay = StartRelay(*broker, source.get());
  ASSERT_NE(relay, nullptr);
  auto first_caught_up = WaitForWatermark(first.feed(), kStart + absl::Hours(4));
  ASSERT_TRUE(first_caught_up.has_value())
      << "stayed at " << absl::FormatTime(first.feed().Watermark());
  Report("after the relay came back", *first_caught_up);
  EXPECT_EQ(first.HandledCount(), 45u);

  Consumer second(*broker, dir.Sub("second"), "followup", "wm-c-second", /*max_batch=*/2);
  second.SlowDown(absl::Milliseconds(60));
  WatermarkChecker second_checker(*source, second);
  ASSERT_TRUE(second.Start().ok());
  clock.Set(kStart + absl::Hours(5));
  auto second_caught_up =
      WaitForWatermark(second.feed(), kStart + absl::Hours(5), absl::Seconds(60));
  ASSERT_TRUE(second_caught_up.has_value())
      << "stayed at " << absl::FormatTime(second.feed().Watermark()) << "; handled "
      << second.HandledCount();
  EXPECT_EQ(second.HandledCount(), 45u);

  EXPECT_THAT(first_checker.Violations(), ::testing::IsEmpty());
  EXPECT_THAT(second_checker.Violations(), ::testing::IsEmpty());
  EXPECT_TRUE(first.feed().status().ok()) << first.feed().status();
  EXPECT_TRUE(second.feed().status().ok()) << second.feed().status();
}

}  // namespace
}  // namespace remiss::core
