// The simulation's Kafka (mock_kafka.h) under the real pieces: a store's relay publishes its
// whole log onto the mock cluster, a KafkaFeed delivers it to a handler (also while Fetch
// requests fail and partitions change leaders), and a restore from the topic gives the same
// log back.
#include "tests/simulation/mock_kafka.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/kafka/restore.h"
#include "remiss/core/kafka/topic_reader.h"
#include "remiss/core/store/event_store.h"
#include "tests/support/kafka_stores.h"
#include "tests/support/temp_dir.h"

namespace remiss::sim {
namespace {

using remiss::testing::AppendDrafted;
using remiss::testing::OpenStore;
using remiss::testing::TempDir;
using remiss::testing::WaitFor;
using remiss::v1::EventEnvelope;

constexpr char kSource[] = "referrals";
const std::string kEvents = "remiss.referrals.events.v1";
const std::string kWatermarks = "remiss.referrals.watermarks.v1";

std::vector<EventEnvelope> Log(core::EventStore& store) {
  auto log = store.ReadLog(1, 100000);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : std::vector<EventEnvelope>();
}

// A mock cluster with the referrals topics, a store with `events` events and its relay over
// the mock, run until its cursor reaches the log's head.
struct Published {
  std::unique_ptr<MockKafka> kafka;
  TempDir dir;
  std::unique_ptr<core::EventStore> store;
  std::unique_ptr<core::Relay> relay;
};

void Publish(Published& p, int events, std::map<std::string, std::string> extra = {}) {
  auto kafka = MockKafka::Start(3);
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  p.kafka = std::move(*kafka);
  ASSERT_TRUE(p.kafka->CreateTopics({kSource}).ok());
  p.store = OpenStore(p.dir.Sub(kSource), kSource);
  ASSERT_NE(p.store, nullptr);
  AppendDrafted(*p.store, 0, events / 2, 7);  // before the relay runs
  core::RelayOptions options;
  options.brokers = p.kafka->bootstraps();
  options.topics = p.kafka->Topics();
  options.extra = std::move(extra);
  auto relay = core::Relay::Start(p.store.get(), std::move(options));
  ASSERT_TRUE(relay.ok()) << relay.status();
  p.relay = std::move(*relay);
  AppendDrafted(*p.store, events / 2, events, 7);  // while it runs
  ASSERT_TRUE(WaitFor([&] { return p.relay->Cursor() == p.store->LastPosition(); },
                      absl::Seconds(20)))
      << "relay cursor " << p.relay->Cursor() << " of " << p.store->LastPosition() << ": "
      << p.relay->Health();
  EXPECT_TRUE(p.relay->Health().ok()) << p.relay->Health();
}

TEST(MockKafka, TheRelayPublishesTheWholeLog) {
  Published p;
  ASSERT_NO_FATAL_FAILURE(Publish(p, 60));
  ASSERT_EQ(p.store->LastPosition(), 60u);
  const std::vector<EventEnvelope> log = Log(*p.store);

  auto messages = p.kafka->ReadTopic(kEvents);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 60u) << "each event once";
  std::map<uint64_t, int> positions;
  std::map<int32_t, uint64_t> last_in_partition;
  std::map<std::string, int32_t> partition_of_key;
  for (const Message& m : *messages) {
    EventEnvelope e;
    ASSERT_TRUE(e.ParseFromString(m.value)) << m.partition << "@" << m.offset;
    ASSERT_GE(e.position(), 1u);
    ASSERT_LE(e.position(), 60u);
    ++positions[e.position()];
    EXPECT_GT(e.position(), last_in_partition[m.partition]) << "positions in order per partition";
    last_in_partition[m.partition] = e.position();
    EXPECT_EQ(m.value, log[e.position() - 1].SerializeAsString());
    EXPECT_EQ(m.key, e.partition_key());
    auto [it, fresh] = partition_of_key.emplace(m.key, m.partition);
    EXPECT_EQ(it->second, m.partition) << "one key, one partition";
    EXPECT_EQ(m.headers.at("remiss_position"), absl::StrCat(e.position()));
  }
  EXPECT_EQ(positions.size(), 60u);
  EXPECT_GT(last_in_partition.size(), 1u) << "keys spread over partitions";

  // About once a second the relay publishes a watermark.
  std::vector<Message> watermarks;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto read = p.kafka->ReadTopic(kWatermarks, absl::Seconds(5));
        if (read.ok()) watermarks = std::move(*read);
        return !watermarks.empty();
      },
      absl::Seconds(10)))
      << "no watermark on " << kWatermarks;
  if (!watermarks.empty()) {
    EXPECT_EQ(watermarks.front().key, kSource);
  }
  p.relay->Stop();
}

// Collects what a KafkaFeed delivers: how often each position came.
struct Delivered {
  absl::Mutex mu;
  std::map<uint64_t, int> times;

  size_t distinct() {
    absl::MutexLock lock(&mu);
    return times.size();
  }
  std::vector<uint64_t> repeated() {
    absl::MutexLock lock(&mu);
    std::vector<uint64_t> out;
    for (const auto& [position, n] : times) {
      if (n > 1) out.push_back(position);
    }
    return out;
  }
};

std::unique_ptr<core::Feed> StartFeed(MockKafka& kafka, Delivered& delivered) {
  core::KafkaFeedOptions options;
  options.brokers = kafka.bootstraps();
  options.group_id = "remiss-simulation-test";
  options.sources = {kSource};
  options.instance_id = "simulation-test-1";
  auto feed = core::MakeKafkaFeed(std::move(options));
  EXPECT_TRUE(feed.ok()) << feed.status();
  if (!feed.ok()) return nullptr;
  absl::Status s = (*feed)->Start(
      [](const std::string&, int32_t) { return std::optional<core::FeedCursor>(); },
      [&delivered](const std::vector<core::FeedEvent>& batch) {
        absl::MutexLock lock(&delivered.mu);
        for (const core::FeedEvent& e : batch) ++delivered.times[e.envelope.position()];
        return absl::OkStatus();
      });
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() ? std::move(*feed) : nullptr;
}

TEST(MockKafka, AKafkaFeedDeliversEveryEventOnceThroughFailedFetchesAndLeaderMoves) {
  Published p;
  ASSERT_NO_FATAL_FAILURE(Publish(p, 60));
  p.kafka->FailRequests(kFetch, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  Delivered delivered;
  std::unique_ptr<core::Feed> feed = StartFeed(*p.kafka, delivered);
  ASSERT_NE(feed, nullptr);
  EXPECT_TRUE(WaitFor([&] { return delivered.distinct() == 60; }, absl::Seconds(30)))
      << delivered.distinct() << " of 60 delivered; feed " << feed->status();

  // More events while fetches time out and every partition's leader moves.
  p.kafka->FailRequests(kFetch, 6, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  for (int32_t partition = 0; partition < 6; ++partition) {
    ASSERT_TRUE(p.kafka->MoveLeader(kEvents, partition, 1 + (partition + 1) % 3).ok());
  }
  AppendDrafted(*p.store, 60, 90, 7);
  EXPECT_TRUE(WaitFor([&] { return p.relay->Cursor() == 90; }, absl::Seconds(20)))
      << "relay cursor " << p.relay->Cursor() << ": " << p.relay->Health();
  EXPECT_TRUE(WaitFor([&] { return delivered.distinct() == 90; }, absl::Seconds(30)))
      << delivered.distinct() << " of 90 delivered; feed " << feed->status();
  // The feed's watermark follows the relay's (published about once a second).
  EXPECT_TRUE(WaitFor([&] { return feed->Watermark() != absl::InfinitePast(); },
                      absl::Seconds(10)))
      << "the feed's watermark never moved";
  EXPECT_TRUE(feed->status().ok()) << feed->status();
  EXPECT_TRUE(feed->Parked().empty());
  EXPECT_TRUE(delivered.repeated().empty()) << "delivered more than once: position "
                                            << delivered.repeated().front();
  feed->Stop();
  p.relay->Stop();
}

// librdkafka 2.0.2 aborts when a consumer whose group chose cooperative-sticky is freed
// after a JoinGroup came back and before any SyncGroup did (librdkafka issue 4312): a
// service stopped while its group rebalanced took its whole process down. Here the first
// SyncGroup is answered 8 s late, and the feed is stopped while it waits. Without the wait
// for the first assignment in KafkaFeed's Close this test dies with SIGABRT.
TEST(MockKafka, AFeedStoppedAfterJoiningAndBeforeItsFirstAssignmentStopsWithoutAborting) {
  Published p;
  ASSERT_NO_FATAL_FAILURE(Publish(p, 20));
  p.kafka->DelayNextResponse(kSyncGroup, absl::Seconds(8));
  Delivered delivered;
  std::unique_ptr<core::Feed> feed = StartFeed(*p.kafka, delivered);
  ASSERT_NE(feed, nullptr);
  // The mock cluster answers the JoinGroup after its rebalance delay (3 s), the SyncGroup
  // 8 s after that: the feed stops in between, and waits for it.
  absl::SleepFor(absl::Seconds(5));
  ASSERT_EQ(delivered.distinct(), 0u) << "the SyncGroup came back: the test did not set its scene";
  feed->Stop();
  EXPECT_TRUE(feed->status().ok()) << feed->status();
  // Whether the group is whole again afterwards is not asked here: the mock cluster of
  // librdkafka 2.0.2 knows no static membership, so a consumer of the same instance waits
  // out the session of the one before (a real broker: kafka_faults_test.cc, C20).
  p.relay->Stop();
}

TEST(MockKafka, TheRelayGoesOnThroughFailedProducesAndABrokerDown) {
  Published p;
  ASSERT_NO_FATAL_FAILURE(Publish(p, 20));
  Delivered delivered;
  std::unique_ptr<core::Feed> feed = StartFeed(*p.kafka, delivered);
  ASSERT_NE(feed, nullptr);
  p.kafka->FailRequests(kProduce, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  p.kafka->FailRequests(kProduce, 2, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT);
  AppendDrafted(*p.store, 20, 40, 7);
  EXPECT_TRUE(WaitFor([&] { return p.relay->Cursor() == 40; }, absl::Seconds(20)))
      << "relay cursor " << p.relay->Cursor() << ": " << p.relay->Health();
  // Broker 1 goes down with no partition of the events topic led by it (the mock moves no
  // leader by itself): the relay and the feed go on over brokers 2 and 3.
  for (int32_t partition = 0; partition < 6; ++partition) {
    ASSERT_TRUE(p.kafka->MoveLeader(kEvents, partition, 2 + partition % 2).ok());
  }
  ASSERT_TRUE(p.kafka->BrokerDown(1).ok());
  AppendDrafted(*p.store, 40, 60, 7);
  EXPECT_TRUE(WaitFor([&] { return p.relay->Cursor() == 60; }, absl::Seconds(20)))
      << "relay cursor " << p.relay->Cursor() << ": " << p.relay->Health();
  ASSERT_TRUE(p.kafka->BrokerUp(1).ok());
  EXPECT_TRUE(WaitFor([&] { return delivered.distinct() == 60; }, absl::Seconds(30)))
      << delivered.distinct() << " of 60 delivered; feed " << feed->status();
  feed->Stop();
  p.relay->Stop();

  auto messages = p.kafka->ReadTopic(kEvents);
  ASSERT_TRUE(messages.ok()) << messages.status();
  std::map<uint64_t, int> positions;
  for (const Message& m : *messages) {
    EventEnvelope e;
    ASSERT_TRUE(e.ParseFromString(m.value));
    ++positions[e.position()];
  }
  EXPECT_EQ(positions.size(), 60u);
  EXPECT_EQ(messages->size(), 60u) << "the idempotent producer's retries left no repeats";
}

// Produce requests refused again and again (NOT_LEADER_FOR_PARTITION, timeouts) while
// events keep arriving: the topic still holds every position once, with the producer
// setting the simulation gives its clients (kSimulationKafkaProperties).
//
// With librdkafka's default of 5 requests in flight the mock cluster loses messages here
// (about one run in three: positions 24, 26, 31 and 33 of 620 missing, each reported
// delivered). librdkafka 2.0.2's mock checks an idempotent producer's sequence numbers only
// for a transactional one (rd_kafka_mock_validate_records returns at once without a
// TransactionalId), so it appends a later batch while an earlier one was refused; a real
// broker answers that later batch OUT_OF_ORDER_SEQUENCE_NUMBER, and librdkafka, trusting the
// broker's order, counts the refused one as written once a later one is acknowledged. The
// simulation's kafka wirings found topics lacking a position after produce errors this way.
TEST(MockKafka, ProducesRefusedWhileEventsArriveLeaveNoGapInTheTopic) {
  Published p;
  ASSERT_NO_FATAL_FAILURE(Publish(p, 20, kSimulationKafkaProperties));
  int events = 20;
  for (int round = 0; round < 15; ++round) {
    p.kafka->FailRequests(kProduce, 1 + round % 17,
                          round % 3 == 2 ? RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT
                                         : RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
    for (int burst = 0; burst < 4; ++burst) {
      AppendDrafted(*p.store, events, events + 5, 7);
      events += 5;
      absl::SleepFor(absl::Milliseconds(2));
    }
  }
  EXPECT_TRUE(WaitFor([&] { return p.relay->Cursor() == p.store->LastPosition(); },
                      absl::Seconds(60)))
      << "relay cursor " << p.relay->Cursor() << ": " << p.relay->Health();
  p.relay->Stop();
  auto messages = p.kafka->ReadTopic(kEvents);
  ASSERT_TRUE(messages.ok()) << messages.status();
  std::set<uint64_t> positions;
  for (const Message& m : *messages) {
    EventEnvelope e;
    ASSERT_TRUE(e.ParseFromString(m.value));
    positions.insert(e.position());
  }
  std::vector<uint64_t> missing;
  for (uint64_t q = 1; q <= p.store->LastPosition(); ++q) {
    if (!positions.count(q)) missing.push_back(q);
  }
  EXPECT_THAT(missing, ::testing::IsEmpty()) << "of " << p.store->LastPosition();
}

// A topic's ends are asked within the caller's bound even when a partition's leader is down.
// librdkafka 2.0.2's rd_kafka_query_watermark_offsets waited for ever there (its issue 2588),
// so a relay's stop hung behind its topic check: found by the simulation (remissd+kafka seed
// 3, a crash after "broker down": the teardown never ended).
TEST(MockKafka, ATopicsTailIsAskedWithinItsBoundWithALeaderDown) {
  auto kafka = MockKafka::Start(3);
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  ASSERT_TRUE((*kafka)->CreateTopics({"referrals"}).ok());
  for (int32_t partition = 0; partition < 6; ++partition) {
    ASSERT_TRUE((*kafka)->MoveLeader(kEvents, partition, partition == 0 ? 1 : 2).ok());
  }
  ASSERT_TRUE((*kafka)->BrokerDown(1).ok());
  absl::Notification done;
  absl::StatusOr<core::TopicTail> tail = absl::UnknownError("not read");
  const absl::Time start = absl::Now();
  std::thread reader([&] {
    tail = core::ReadTopicTail((*kafka)->bootstraps(), kEvents, absl::Seconds(3));
    done.Notify();
  });
  if (!done.WaitForNotificationWithTimeout(absl::Seconds(90))) {
    ADD_FAILURE() << "reading the tail of " << kEvents << " did not end within 90 s";
    std::_Exit(1);  // the reader cannot be stopped
  }
  reader.join();
  EXPECT_FALSE(tail.ok()) << "partition 0 has no reachable leader";
  EXPECT_EQ(tail.status().code(), absl::StatusCode::kUnavailable) << tail.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(60));
  ASSERT_TRUE((*kafka)->BrokerUp(1).ok());
  auto again = core::ReadTopicTail((*kafka)->bootstraps(), kEvents, absl::Seconds(10));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events, 0);
}

// Topics() is checked by metadata alone (partition count): the mock has no DescribeConfigs,
// which topics.conf's own definitions (with settings) need.
TEST(MockKafka, TopicsAreCheckedByTheirPartitionCounts) {
  auto kafka = MockKafka::Start(3);
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  ASSERT_TRUE((*kafka)->CreateTopics({kSource}).ok());
  const core::TopicsConfig topics = (*kafka)->Topics();
  std::vector<core::TopicDefinition> mine;
  for (const core::TopicDefinition& t : topics.topics) {
    if (t.name == kEvents || t.name == kWatermarks) mine.push_back(t);
  }
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_TRUE(core::VerifyTopics((*kafka)->bootstraps(), mine, absl::Seconds(5), topics.file).ok());
  mine[0].partitions = 3;
  absl::Status s = core::VerifyTopics((*kafka)->bootstraps(), mine, absl::Seconds(5), topics.file);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("partition count"));

  std::vector<core::TopicDefinition> with_settings;
  for (const core::TopicDefinition& t : core::DevelopmentTopics().topics) {
    if (t.name == kEvents) with_settings.push_back(t);
  }
  s = core::VerifyTopics((*kafka)->bootstraps(), with_settings, absl::Seconds(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

// As on a real broker, looking at a topic does not make it: a relay opened with Topics()
// refuses to publish to a missing topic, and a restore from it fails.
TEST(MockKafka, ATopicTheClusterDoesNotHaveStaysMissing) {
  auto kafka = MockKafka::Start(1);
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  EXPECT_EQ((*kafka)->CreateTopics({"nobody"}).code(), absl::StatusCode::kInvalidArgument);
  auto read = (*kafka)->ReadTopic(kEvents, absl::Seconds(1));
  EXPECT_FALSE(read.ok()) << read->size() << " messages";

  TempDir dir;
  std::unique_ptr<core::EventStore> store = OpenStore(dir.Sub(kSource), kSource);
  ASSERT_NE(store, nullptr);
  auto restored = core::RestoreFromKafka(store.get(), (*kafka)->bootstraps());
  EXPECT_EQ(restored.status().code(), absl::StatusCode::kNotFound) << restored.status();

  TempDir dir2;
  std::unique_ptr<core::EventStore> store2 = OpenStore(dir2.Sub(kSource), kSource);
  ASSERT_NE(store2, nullptr);
  AppendDrafted(*store2, 0, 3, 7);
  core::RelayOptions options;
  options.brokers = (*kafka)->bootstraps();
  options.topics = (*kafka)->Topics();
  auto relay = core::Relay::Start(store2.get(), std::move(options));
  ASSERT_TRUE(relay.ok()) << relay.status();
  EXPECT_TRUE(WaitFor([&] { return !(*relay)->Health().ok(); }, absl::Seconds(10)));
  EXPECT_THAT(std::string((*relay)->Health().message()), ::testing::HasSubstr("does not exist"));
  EXPECT_EQ((*relay)->Cursor(), 0u);
  (*relay)->Stop();
  read = (*kafka)->ReadTopic(kEvents, absl::Seconds(1));
  EXPECT_FALSE(read.ok()) << "the relay made " << kEvents;
}

TEST(MockKafka, ARestoreFromTheTopicGivesTheSameLog) {
  Published p;
  ASSERT_NO_FATAL_FAILURE(Publish(p, 60));
  p.relay->Stop();
  TempDir fresh_dir;
  std::unique_ptr<core::EventStore> fresh = OpenStore(fresh_dir.Sub(kSource), kSource);
  ASSERT_NE(fresh, nullptr);
  auto restored = core::RestoreFromKafka(fresh.get(), p.kafka->bootstraps());
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(restored->imported.events, 60u);
  EXPECT_EQ(restored->duplicates, 0u);
  EXPECT_EQ(fresh->incarnation(), p.store->incarnation());
  EXPECT_EQ(fresh->LastPosition(), 60u);
  const std::vector<EventEnvelope> live = Log(*p.store);
  const std::vector<EventEnvelope> back = Log(*fresh);
  ASSERT_EQ(back.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(back[i].SerializeAsString(), live[i].SerializeAsString()) << "position " << i + 1;
  }
}

}  // namespace
}  // namespace remiss::sim
