// KafkaFeed when things go wrong between a consumer and its topic, against a real broker
// (tools/kafka/kafka.sh), a real relay and real RocksDB stores:
//   - a transient handler error (storage busy, a full disk) pauses the partitions it concerns
//     and delivers their events again with backoff; the process never ends, the other
//     partitions go on, and every event is applied once (C1);
//   - a topic deleted, made again and republished: a consumer whose stored offsets are the old
//     topic's reads on without skipping any event, and applies each once (C12).
// Each test uses a source of its own (its topic holds one store's history).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kafka_broker.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/relay.h"
#include "tests/support/kafka_stores.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::testing::ConsumedMessage;
using remiss::testing::KafkaBroker;
using remiss::testing::ReadTopic;
using remiss::testing::AppendDrafted;
using remiss::testing::OpenStore;
using remiss::testing::SharedBroker;
using remiss::testing::TempDir;
using remiss::testing::WaitFor;
using remiss::v1::EventEnvelope;

std::unique_ptr<Feed> NewFeed(const KafkaBroker& broker, const std::string& group,
                              const std::string& source, size_t max_batch) {
  auto feed = MakeKafkaFeed(
      {.brokers = broker.bootstrap(), .group_id = group, .sources = {source}, .max_batch = max_batch});
  EXPECT_TRUE(feed.ok()) << feed.status();
  return feed.ok() ? std::move(*feed) : nullptr;
}

// The test projection: how often each source position was applied.
absl::Status CountPosition(const FeedEvent& event, Tx& tx) {
  const std::string key = absl::StrCat("applied/", event.envelope.position());
  uint64_t count = 0;
  if (auto v = tx.Get(key); v.has_value() && !absl::SimpleAtoi(*v, &count)) {
    return absl::InternalError("bad count");
  }
  tx.Put(key, absl::StrCat(count + 1));
  return absl::OkStatus();
}

uint64_t TimesApplied(const EventStore& consumer, uint64_t position) {
  uint64_t count = 0;
  if (auto v = consumer.GetProjection(absl::StrCat("applied/", position))) {
    (void)absl::SimpleAtoi(*v, &count);
  }
  return count;
}

// Positions 1..last applied at least once each.
bool AllApplied(const EventStore& consumer, uint64_t last) {
  for (uint64_t p = 1; p <= last; ++p) {
    if (TimesApplied(consumer, p) == 0) return false;
  }
  return true;
}

// What is missing or doubled among positions 1..last; empty when each was applied once.
std::string NotOnce(const EventStore& consumer, uint64_t last) {
  std::string out;
  int shown = 0;
  for (uint64_t p = 1; p <= last && shown < 20; ++p) {
    const uint64_t n = TimesApplied(consumer, p);
    if (n != 1) {
      absl::StrAppend(&out, " position ", p, " applied ", n, " times;");
      ++shown;
    }
  }
  return out;
}

// The partition of every position on a topic.
std::map<uint64_t, int32_t> PartitionsOf(const std::vector<ConsumedMessage>& messages) {
  std::map<uint64_t, int32_t> out;
  for (const ConsumedMessage& m : messages) {
    EventEnvelope e;
    if (e.ParseFromString(m.value)) out[e.position()] = m.partition;
  }
  return out;
}

// A store with its relay, publishing `count` events of `streams` referrals onto its topic.
struct Source {
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Relay> relay;
};

Source StartSource(const KafkaBroker& broker, const std::string& path, const std::string& name,
                   int count, int streams) {
  Source s;
  s.store = OpenStore(path, name);
  if (s.store == nullptr) return s;
  AppendDrafted(*s.store, 0, count, streams);
  auto relay = Relay::Start(s.store.get(), {.brokers = broker.bootstrap()});
  EXPECT_TRUE(relay.ok()) << relay.status();
  if (!relay.ok()) return s;
  s.relay = std::move(*relay);
  EXPECT_TRUE(WaitFor([&] { return s.relay->Cursor() == static_cast<uint64_t>(count); },
                      absl::Seconds(60)))
      << "relay cursor " << s.relay->Cursor() << ": " << s.relay->Health();
  return s;
}

// C1: the handler refuses a batch as a store would when it is busy or its disk is full
// (UNAVAILABLE, no event named) a few times, then takes it. Before the fix the retry called
// rd_kafka_poll on the consumer and librdkafka aborted the process.
TEST(KafkaFeedRecovery, TransientHandlerErrorPausesPartitionAndRetries) {
  constexpr int kEvents = 60;
  constexpr int kFailures = 5;
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  Source source = StartSource(*broker, dir.Sub("responses"), "responses", kEvents, 12);
  ASSERT_NE(source.relay, nullptr);
  auto consumer = OpenStore(dir.Sub("deadlines"), "deadlines");
  ASSERT_NE(consumer, nullptr);
  FeedConsumer feed_consumer(consumer.get(), CountPosition);

  auto feed = NewFeed(*broker, "remiss-c1-store-busy", "responses", /*max_batch=*/7);
  ASSERT_NE(feed, nullptr);
  std::atomic<int> calls{0};
  ASSERT_TRUE(feed->Start(
                      [&](const std::string& s, int32_t p) { return consumer->GetFeedCursor(s, p); },
                      [&](const std::vector<FeedEvent>& batch) -> absl::Status {
                        if (++calls <= kFailures) {
                          return absl::UnavailableError("committing to the event store failed: "
                                                        "IO error: No space left on device (test)");
                        }
                        return feed_consumer.Consume(batch);
                      })
                  .ok());
  EXPECT_TRUE(WaitFor([&] { return AllApplied(*consumer, kEvents); }, absl::Seconds(60)))
      << "applied:" << NotOnce(*consumer, kEvents) << " feed: " << feed->status();
  EXPECT_GT(calls.load(), kFailures);
  // The held partitions read on after their events: later events come too.
  AppendDrafted(*source.store, kEvents, kEvents + 20, 12);
  EXPECT_TRUE(WaitFor([&] { return AllApplied(*consumer, kEvents + 20); }, absl::Seconds(60)))
      << "applied:" << NotOnce(*consumer, kEvents + 20) << " feed: " << feed->status();
  absl::SleepFor(absl::Milliseconds(300));  // room for a double effect to show
  EXPECT_TRUE(feed->status().ok()) << feed->status();
  EXPECT_TRUE(feed->Parked().empty()) << "a transient error parks nothing";
  feed->Stop();
  source.relay->Stop();
  EXPECT_EQ(NotOnce(*consumer, kEvents + 20), "");
}

// C1: an event whose application fails transiently (UNAVAILABLE naming that event, as a
// failed read of the consumer's store does) holds its partition only: every other partition
// is applied meanwhile; once the trouble passes the held one catches up, each event once.
TEST(KafkaFeedRecovery, TransientErrorOfOneEventHoldsOnlyItsPartition) {
  constexpr int kEvents = 60;
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  Source source = StartSource(*broker, dir.Sub("deadlines"), "deadlines", kEvents, 12);
  ASSERT_NE(source.relay, nullptr);
  auto messages = ReadTopic(broker->bootstrap(), TopicFor("deadlines"), kEvents);
  ASSERT_TRUE(messages.ok()) << messages.status();
  const std::map<uint64_t, int32_t> partition_of = PartitionsOf(*messages);
  ASSERT_EQ(partition_of.size(), static_cast<size_t>(kEvents));
  const int32_t failing = partition_of.at(1);
  std::set<int32_t> partitions;
  for (const auto& [position, partition] : partition_of) partitions.insert(partition);
  ASSERT_GT(partitions.size(), 1u) << "the test needs events in more than one partition";

  auto consumer = OpenStore(dir.Sub("followup"), "followup");
  ASSERT_NE(consumer, nullptr);
  std::atomic<bool> healed{false};
  std::atomic<int> failures{0};
  FeedConsumer feed_consumer(consumer.get(), [&](const FeedEvent& e, Tx& tx) -> absl::Status {
    if (!healed && e.partition == failing) {
      ++failures;
      return absl::UnavailableError("reading the store failed (test)");
    }
    return CountPosition(e, tx);
  });
  auto feed = NewFeed(*broker, "remiss-c1-one-partition", "deadlines", /*max_batch=*/7);
  ASSERT_NE(feed, nullptr);
  ASSERT_TRUE(feed_consumer.Run(*feed).ok());

  auto others_applied = [&] {
    for (const auto& [position, partition] : partition_of) {
      if (partition != failing && TimesApplied(*consumer, position) == 0) return false;
    }
    return true;
  };
  EXPECT_TRUE(WaitFor([&] { return others_applied() && failures.load() >= 3; }, absl::Seconds(60)))
      << "failures " << failures.load() << ", applied:" << NotOnce(*consumer, kEvents);
  for (const auto& [position, partition] : partition_of) {
    if (partition == failing) EXPECT_EQ(TimesApplied(*consumer, position), 0u) << position;
  }
  EXPECT_TRUE(feed->status().ok()) << feed->status();
  healed = true;
  EXPECT_TRUE(WaitFor([&] { return AllApplied(*consumer, kEvents); }, absl::Seconds(60)))
      << "applied:" << NotOnce(*consumer, kEvents);
  AppendDrafted(*source.store, kEvents, kEvents + 20, 12);
  EXPECT_TRUE(WaitFor([&] { return AllApplied(*consumer, kEvents + 20); }, absl::Seconds(60)))
      << "applied:" << NotOnce(*consumer, kEvents + 20);
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(feed->Parked().empty());
  feed->Stop();
  source.relay->Stop();
  EXPECT_EQ(NotOnce(*consumer, kEvents + 20), "");
}

// C12: the consumer's stored offsets are the old topic's (which held every event twice after
// a Republish); the topic is deleted, made again and republished (once each), then more
// events come. Reading on from the old offsets would skip events; the consumer sees that the
// event at its stored offset is not one it applied and reads the partition again.
TEST(KafkaFeedRecovery, RepublishIntoARecreatedTopicSkipsNothing) {
  constexpr int kOld = 30;
  constexpr int kNew = 90;  // more than the old events: the new topic reaches the old offsets
  constexpr int kStreams = 12;
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  Source source = StartSource(*broker, dir.Sub("referrals"), "referrals", kOld, kStreams);
  ASSERT_NE(source.relay, nullptr);
  // An operator's Republish onto the same topic: every event twice there.
  source.relay->Republish();
  ASSERT_TRUE(ReadTopic(broker->bootstrap(), TopicFor("referrals"), 2 * kOld).ok());
  ASSERT_TRUE(WaitFor([&] { return source.relay->Cursor() == kOld; }, absl::Seconds(60)));

  auto consumer = OpenStore(dir.Sub("responses"), "responses");
  ASSERT_NE(consumer, nullptr);
  FeedConsumer feed_consumer(consumer.get(), CountPosition);
  {
    auto feed = NewFeed(*broker, "remiss-c12", "referrals", 500);
    ASSERT_NE(feed, nullptr);
    ASSERT_TRUE(feed_consumer.Run(*feed).ok());
    ASSERT_TRUE(WaitFor([&] { return AllApplied(*consumer, kOld); }, absl::Seconds(60)))
        << NotOnce(*consumer, kOld);
    // Every offset of the old topic taken, repeats included.
    auto old = ReadTopic(broker->bootstrap(), TopicFor("referrals"), 2 * kOld);
    ASSERT_TRUE(old.ok()) << old.status();
    std::map<int32_t, int64_t> last;
    for (const ConsumedMessage& m : *old) last[m.partition] = std::max(last[m.partition], m.offset);
    ASSERT_TRUE(WaitFor(
        [&] {
          for (const auto& [partition, offset] : last) {
            auto cursor = consumer->GetFeedCursor("referrals", partition);
            if (!cursor || cursor->offset != offset) return false;
          }
          return true;
        },
        absl::Seconds(30)));
    feed->Stop();
  }

  // The topic is lost and made again; the relay says so and an operator republishes.
  source.relay->Stop();
  source.relay.reset();
  ASSERT_TRUE(remiss::testing::DeleteTopic(broker->bootstrap(), TopicFor("referrals")).ok());
  // Made again (empty) once the deletion went through.
  ASSERT_TRUE(WaitFor(
      [&] {
        if (!EnsureTopics(broker->bootstrap(), BuiltinTopics(), absl::Seconds(5)).ok()) return false;
        auto now = ReadTopic(broker->bootstrap(), TopicFor("referrals"), 0, absl::Seconds(5));
        return now.ok() && now->empty();
      },
      absl::Seconds(60)));
  auto relay = Relay::Start(source.store.get(), {.brokers = broker->bootstrap()});
  ASSERT_TRUE(relay.ok()) << relay.status();
  source.relay = std::move(*relay);
  source.relay->Republish();
  AppendDrafted(*source.store, kOld, kOld + kNew, kStreams);
  ASSERT_TRUE(WaitFor([&] { return source.relay->Cursor() == kOld + kNew; }, absl::Seconds(90)))
      << "relay cursor " << source.relay->Cursor() << ": " << source.relay->Health();
  auto recreated = ReadTopic(broker->bootstrap(), TopicFor("referrals"), kOld + kNew);
  ASSERT_TRUE(recreated.ok()) << recreated.status();
  ASSERT_EQ(recreated->size(), static_cast<size_t>(kOld + kNew)) << "the new topic holds each once";

  auto feed = NewFeed(*broker, "remiss-c12", "referrals", 500);
  ASSERT_NE(feed, nullptr);
  ASSERT_TRUE(feed_consumer.Run(*feed).ok());
  EXPECT_TRUE(WaitFor([&] { return AllApplied(*consumer, kOld + kNew); }, absl::Seconds(60)))
      << "not applied once:" << NotOnce(*consumer, kOld + kNew) << " feed: " << feed->status();
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_TRUE(feed->Parked().empty());
  feed->Stop();
  source.relay->Stop();
  EXPECT_EQ(NotOnce(*consumer, kOld + kNew), "");
}

}  // namespace
}  // namespace remiss::core
