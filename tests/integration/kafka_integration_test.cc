// The relay and KafkaFeed against a real broker (tools/kafka/kafka.sh): every event of a
// store reaches its topic once, in order per key, with its key and headers; a restarted relay
// loses nothing and a consumer applies each event once although the topic holds repeats; a
// broker outage does not stop commands and the relay catches up afterwards; a poison event
// stops a feed for good.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "kafka_broker.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/relay.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::testing::ConsumedMessage;
using remiss::testing::KafkaBroker;
using remiss::testing::ReadTopic;
using remiss::v1::EventEnvelope;

using remiss::testing::TempDir;

SystemClock* TheClock() {
  static SystemClock clock;
  return &clock;
}

std::unique_ptr<EventStore> OpenStore(const std::string& path, const std::string& source) {
  EventStoreOptions options;
  options.path = path;
  options.source = source;
  options.clock = TheClock();
  options.sync = false;  // a test of behaviour, not of durability
  auto store = EventStore::Open(std::move(options));
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

std::string ReferralId(int n) { return absl::StrCat("ks-2024-", 100 + n); }
std::string StreamOf(int n) { return absl::StrCat("referral/", ReferralId(n)); }
std::string TraceParent(int i) {
  return absl::StrCat("00-", std::string(24, 'a'), absl::StrFormat("%08x", i), "-",
                      std::string(16, 'b'), "-01");
}

// Appends one event to referral `n`'s stream (keyed by the referral id).
absl::Status AppendEvent(EventStore& store, int n, int i) {
  CommandMeta meta;
  meta.command_id = absl::StrCat("cmd-", store.source(), "-", i);
  meta.traceparent = TraceParent(i);
  meta.actor.set_org_id("ks");
  return store
      .Execute(meta,
               [&](Tx& tx) -> absl::Status {
                 EventEnvelope e;
                 e.set_partition_key(ReferralId(n));
                 auto* drafted = e.mutable_referrals()->mutable_referral_drafted();
                 drafted->set_referral_id(ReferralId(n));
                 drafted->set_title(absl::StrCat("event ", i));
                 std::vector<EventEnvelope> events;
                 events.push_back(std::move(e));
                 return tx.Append(StreamOf(n), std::nullopt, std::move(events));
               })
      .status();
}

// Appends events `from` .. `to`-1, round robin over `streams` referrals.
void AppendRange(EventStore& store, int from, int to, int streams) {
  for (int i = from; i < to; ++i) {
    absl::Status s = AppendEvent(store, i % streams, i);
    ASSERT_TRUE(s.ok()) << "append " << i << ": " << s;
  }
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

KafkaBroker* SharedBroker() {
  std::string error;
  KafkaBroker* broker = KafkaBroker::Shared(&error);
  // A broker that cannot start is a failure, never a skip.
  EXPECT_NE(broker, nullptr) << "the test broker did not start: " << error;
  return broker;
}

uint64_t SavedCursor(const EventStore& store) {
  auto saved = store.GetMeta("relay/cursor");
  return saved ? DecodeU64(*saved) : 0;
}

struct Published {
  ConsumedMessage message;
  EventEnvelope envelope;
};

// Parses every message of a topic; fails the test on one that is not an envelope.
std::vector<Published> Parse(const std::vector<ConsumedMessage>& messages) {
  std::vector<Published> out;
  for (const ConsumedMessage& m : messages) {
    Published p{m, {}};
    EXPECT_TRUE(p.envelope.ParseFromString(m.value)) << "offset " << m.offset;
    out.push_back(std::move(p));
  }
  return out;
}

// Every key stays in one partition, and there its positions only grow, except where the
// relay sent again from its cursor (a repeat run starting at or below what came before).
void ExpectOrderPerKey(const std::vector<Published>& published, bool allow_repeats) {
  std::map<std::string, std::vector<const Published*>> by_key;
  for (const Published& p : published) by_key[p.message.key].push_back(&p);
  for (auto& [key, list] : by_key) {
    std::sort(list.begin(), list.end(), [](const Published* a, const Published* b) {
      return a->message.offset < b->message.offset;
    });
    uint64_t highest = 0;
    std::set<uint64_t> seen;
    for (const Published* p : list) {
      EXPECT_EQ(p->message.partition, list.front()->message.partition) << key;
      const uint64_t position = p->envelope.position();
      if (position <= highest) {
        EXPECT_TRUE(allow_repeats) << key << ": position " << position << " after " << highest;
        EXPECT_TRUE(seen.count(position)) << key << ": position " << position
                                          << " arrived only after a later one (a gap)";
      }
      highest = std::max(highest, position);
      seen.insert(position);
    }
  }
}

// ---- the relay ----------------------------------------------------------------------------

TEST(KafkaRelay, PublishesEveryEventOnceInOrderWithKeyAndHeaders) {
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  auto store = OpenStore(dir.Sub("referrals"), "referrals");
  ASSERT_NE(store, nullptr);

  AppendRange(*store, 0, 40, 5);  // before the relay runs
  RelayOptions options;
  options.brokers = broker->bootstrap();
  auto relay = Relay::Start(store.get(), options);
  ASSERT_TRUE(relay.ok()) << relay.status();
  AppendRange(*store, 40, 100, 5);  // while it runs
  ASSERT_EQ(store->LastPosition(), 100u);
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 100; }, absl::Seconds(30)))
      << "relay cursor " << (*relay)->Cursor();
  (*relay)->Stop();
  EXPECT_EQ(SavedCursor(*store), 100u);

  auto log = store->ReadLog(1, 1000);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 100u);
  auto messages = ReadTopic(broker->bootstrap(), TopicFor("referrals"), 100);
  ASSERT_TRUE(messages.ok()) << messages.status();
  std::vector<Published> published = Parse(*messages);
  ASSERT_EQ(published.size(), 100u) << "each event exactly once";

  std::set<uint64_t> positions;
  std::set<int32_t> partitions;
  for (const Published& p : published) {
    const uint64_t position = p.envelope.position();
    ASSERT_GE(position, 1u);
    ASSERT_LE(position, 100u);
    EXPECT_TRUE(positions.insert(position).second) << "position " << position << " twice";
    const EventEnvelope& stored = (*log)[position - 1];
    EXPECT_EQ(p.message.value, stored.SerializeAsString()) << "position " << position;
    EXPECT_EQ(p.message.key, stored.partition_key());
    // The CloudEvents Kafka binding, binary mode, plus remiss_position (proto/asyncapi.yaml).
    const auto& h = p.message.headers;
    EXPECT_EQ(h.at("ce_specversion"), "1.0");
    EXPECT_EQ(h.at("ce_type"), "remiss.v1.ReferralDrafted");
    EXPECT_EQ(h.at("ce_type"), absl::StrCat("remiss.v1.", stored.type()));
    EXPECT_EQ(h.at("ce_id"), stored.event_id());
    EXPECT_EQ(h.at("ce_source"), absl::StrCat("remiss/", stored.source()));
    EXPECT_EQ(h.at("ce_subject"), stored.stream_id());
    EXPECT_EQ(h.at("content-type"), "application/protobuf");
    EXPECT_EQ(h.at("remiss_position"), absl::StrCat(position));
    EXPECT_EQ(h.at("ce_traceparent"), stored.traceparent());
    EXPECT_FALSE(stored.traceparent().empty());
    ASSERT_TRUE(stored.has_recorded_at());
    absl::Time ce_time;
    std::string error;
    ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, h.at("ce_time"), &ce_time, &error))
        << h.at("ce_time") << ": " << error;
    EXPECT_EQ(ce_time, absl::FromUnixSeconds(stored.recorded_at().seconds()) +
                           absl::Nanoseconds(stored.recorded_at().nanos()));
    EXPECT_EQ(h.at("ce_time").back(), 'Z') << h.at("ce_time");
    for (const char* old_name : {"event_type", "event_id", "source_position", "traceparent"}) {
      EXPECT_EQ(h.count(old_name), 0u) << old_name;
    }
    partitions.insert(p.message.partition);
  }
  EXPECT_EQ(positions.size(), 100u);
  EXPECT_GT(partitions.size(), 1u) << "5 keys over 6 partitions all landed in one";
  ExpectOrderPerKey(published, /*allow_repeats=*/false);
}

TEST(KafkaRelay, EnsureTopicsCreatesOnceAndAcceptsExistingTopics) {
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  auto defs = ParseTopicDefinitions(
      "remiss.test.ensure.v1 partitions=3 replication=-1 retention.ms=-1\n"
      "remiss.test.ensure.v2 partitions=2 replication=1\n");
  ASSERT_TRUE(defs.ok()) << defs.status();
  ASSERT_TRUE(EnsureTopics(broker->bootstrap(), *defs).ok());
  absl::Status again = EnsureTopics(broker->bootstrap(), *defs);
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_TRUE(EnsureTopics(broker->bootstrap(), BuiltinTopics()).ok());

  // The partition counts are the defined ones.
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", broker->bootstrap().c_str(), errstr,
                              sizeof errstr),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  ASSERT_NE(rk, nullptr) << errstr;
  // Topic creation is done at the controller first; the broker's metadata follows shortly.
  std::map<std::string, int> partitions;
  auto all_known = [&] {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 1, nullptr, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    partitions.clear();
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        partitions[md->topics[i].topic] = md->topics[i].partition_cnt;
      }
    }
    rd_kafka_metadata_destroy(md);
    for (const TopicDefinition& t : BuiltinTopics()) {
      if (!partitions.count(t.name)) return false;
    }
    return partitions.count("remiss.test.ensure.v1") && partitions.count("remiss.test.ensure.v2");
  };
  EXPECT_TRUE(WaitFor(all_known, absl::Seconds(15)));
  rd_kafka_destroy(rk);
  EXPECT_EQ(partitions["remiss.test.ensure.v1"], 3);
  EXPECT_EQ(partitions["remiss.test.ensure.v2"], 2);
  EXPECT_EQ(partitions[TopicFor("referrals")], 6);

  // No broker: an error within the timeout, not a hang.
  const absl::Time start = absl::Now();
  absl::Status down = EnsureTopics("127.0.0.1:1", *defs, absl::Seconds(2));
  EXPECT_FALSE(down.ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

// ---- relay restart and a consumer behind KafkaFeed -----------------------------------------

// The test projection: how many events of each stream the consumer applied. An event out of
// its stream's order is an error (the feed stops), so is any double effect (caught below).
absl::Status CountPerStream(const FeedEvent& event, Tx& tx) {
  const std::string key = absl::StrCat("count/", event.envelope.stream_id());
  uint64_t count = 0;
  if (auto v = tx.Get(key); v.has_value() && !absl::SimpleAtoi(*v, &count)) {
    return absl::InternalError("bad count");
  }
  if (event.envelope.stream_version() != count + 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(event.envelope.stream_id(), ": version ", event.envelope.stream_version(),
                     " after ", count, " applied"));
  }
  tx.Put(key, absl::StrCat(count + 1));
  return absl::OkStatus();
}

uint64_t Applied(const EventStore& consumer, int streams) {
  uint64_t total = 0;
  for (int n = 0; n < streams; ++n) {
    uint64_t count = 0;
    if (auto v = consumer.GetProjection(absl::StrCat("count/", StreamOf(n)))) {
      (void)absl::SimpleAtoi(*v, &count);
    }
    total += count;
  }
  return total;
}

std::unique_ptr<Feed> NewFeed(const KafkaBroker& broker, const std::string& group,
                              const std::string& source, size_t max_batch = 500) {
  KafkaFeedOptions options;
  options.brokers = broker.bootstrap();
  options.group_id = group;
  options.sources = {source};
  options.max_batch = max_batch;
  auto feed = MakeKafkaFeed(options);
  EXPECT_TRUE(feed.ok()) << feed.status();
  return feed.ok() ? std::move(*feed) : nullptr;
}

TEST(KafkaFeed, RelayRestartLosesNothingAndTheConsumerAppliesEachEventOnce) {
  constexpr int kStreams = 10;
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  auto source = OpenStore(dir.Sub("responses"), "responses");
  auto consumer = OpenStore(dir.Sub("deadlines"), "deadlines");
  ASSERT_NE(source, nullptr);
  ASSERT_NE(consumer, nullptr);
  RelayOptions relay_options;
  relay_options.brokers = broker->bootstrap();
  relay_options.max_in_flight = 16;

  // A first relay, stopped in the middle of a stream of appends.
  AppendRange(*source, 0, 200, kStreams);
  auto relay1 = Relay::Start(source.get(), relay_options);
  ASSERT_TRUE(relay1.ok()) << relay1.status();
  std::thread writer([&] { AppendRange(*source, 200, 400, kStreams); });
  ASSERT_TRUE(WaitFor([&] { return (*relay1)->Cursor() >= 100; }, absl::Seconds(30)));
  (*relay1)->Stop();
  const uint64_t stopped_at = (*relay1)->Cursor();
  EXPECT_EQ(SavedCursor(*source), stopped_at);
  relay1->reset();
  writer.join();
  ASSERT_EQ(source->LastPosition(), 400u);
  // As after a crash between a delivery and saving the cursor: the saved cursor lags what
  // Kafka has, so the next relay sends some events again.
  const uint64_t rewound = stopped_at / 2;
  ASSERT_TRUE(source->PutMeta("relay/cursor", EncodeU64(rewound)).ok());

  // The consumer takes what is there, and stops part way.
  FeedConsumer feed_consumer(consumer.get(), CountPerStream);
  auto feed1 = NewFeed(*broker, "remiss-deadlines", "responses", /*max_batch=*/7);
  ASSERT_NE(feed1, nullptr);
  ASSERT_TRUE(feed_consumer.Run(*feed1).ok());
  ASSERT_TRUE(WaitFor([&] { return Applied(*consumer, kStreams) >= 20; }, absl::Seconds(30)))
      << feed1->status();
  feed1->Stop();
  EXPECT_TRUE(feed1->status().ok()) << feed1->status();
  const uint64_t applied_before = Applied(*consumer, kStreams);

  // A new relay on the same store resumes from the saved cursor; more events meanwhile.
  auto relay2 = Relay::Start(source.get(), relay_options);
  ASSERT_TRUE(relay2.ok()) << relay2.status();
  EXPECT_EQ((*relay2)->Cursor(), rewound);
  AppendRange(*source, 400, 500, kStreams);
  ASSERT_TRUE(WaitFor([&] { return (*relay2)->Cursor() == 500; }, absl::Seconds(30)))
      << "relay cursor " << (*relay2)->Cursor();

  // A second feed resumes after the consumer's stored offsets and applies the rest once.
  auto feed2 = NewFeed(*broker, "remiss-deadlines", "responses");
  ASSERT_NE(feed2, nullptr);
  ASSERT_TRUE(feed_consumer.Run(*feed2).ok());
  EXPECT_TRUE(WaitFor([&] { return Applied(*consumer, kStreams) >= 500; }, absl::Seconds(30)))
      << "applied " << Applied(*consumer, kStreams) << "; feed: " << feed2->status();
  absl::SleepFor(absl::Milliseconds(500));  // room for a double effect to show
  feed2->Stop();
  EXPECT_TRUE(feed2->status().ok()) << feed2->status();
  (*relay2)->Stop();
  EXPECT_EQ(SavedCursor(*source), 500u);

  EXPECT_EQ(Applied(*consumer, kStreams), 500u) << "applied before the restart: " << applied_before;
  for (int n = 0; n < kStreams; ++n) {
    EXPECT_EQ(consumer->GetProjection(absl::StrCat("count/", StreamOf(n))).value_or(""), "50")
        << StreamOf(n);
  }

  // The topic holds every event, some of them twice, in order per key.
  auto messages = ReadTopic(broker->bootstrap(), TopicFor("responses"), 500);
  ASSERT_TRUE(messages.ok()) << messages.status();
  std::vector<Published> published = Parse(*messages);
  std::map<uint64_t, int> copies;
  for (const Published& p : published) ++copies[p.envelope.position()];
  EXPECT_EQ(copies.size(), 500u);
  EXPECT_EQ(copies.begin()->first, 1u);
  EXPECT_EQ(copies.rbegin()->first, 500u);
  EXPECT_GT(published.size(), 500u) << "the rewound cursor should have caused repeats";
  ExpectOrderPerKey(published, /*allow_repeats=*/true);

  // The consumer's cursors: per partition, the last offset and the highest position in it.
  std::map<int32_t, std::pair<int64_t, uint64_t>> last;
  for (const Published& p : published) {
    auto& [offset, position] = last[p.message.partition];
    offset = std::max(offset, p.message.offset);
    position = std::max(position, p.envelope.position());
  }
  for (const auto& [partition, expected] : last) {
    auto cursor = consumer->GetFeedCursor("responses", partition);
    ASSERT_TRUE(cursor.has_value()) << "partition " << partition;
    EXPECT_EQ(cursor->offset, expected.first) << "partition " << partition;
    EXPECT_EQ(cursor->position, expected.second) << "partition " << partition;
  }
}

// A message that is not an envelope parks its partition (loudly, named with its offset): what
// came before it is delivered, nothing after it, and a new feed from the same cursor parks
// there again. It is never skipped silently.
TEST(KafkaFeed, APoisonEventParksItsPartitionAndIsNeverSkipped) {
  KafkaBroker* broker = SharedBroker();
  ASSERT_NE(broker, nullptr);
  ASSERT_TRUE(EnsureTopics(broker->bootstrap(), BuiltinTopics()).ok());
  auto envelope = [](uint64_t position) {
    EventEnvelope e;
    e.set_source("deadlines");
    e.set_position(position);
    e.set_event_id(absl::StrCat("deadlines-", position));
    e.set_partition_key("ks-2024-1");
    return e.SerializeAsString();
  };
  // One key, so one partition: a good event, a poison one, a good one.
  ASSERT_TRUE(remiss::testing::ProduceRaw(broker->bootstrap(), TopicFor("deadlines"),
                                          {{"ks-2024-1", envelope(1)},
                                           {"ks-2024-1", std::string("\xff\xff\xff garbage", 11)},
                                           {"ks-2024-1", envelope(2)}})
                  .ok());

  absl::Mutex mu;
  std::vector<FeedEvent> delivered;
  auto handler = [&](const std::vector<FeedEvent>& batch) {
    absl::MutexLock lock(&mu);
    delivered.insert(delivered.end(), batch.begin(), batch.end());
    return absl::OkStatus();
  };
  auto cursor_of_delivered = [&](const std::string& source,
                                 int32_t partition) -> std::optional<FeedCursor> {
    absl::MutexLock lock(&mu);
    std::optional<FeedCursor> cursor;
    for (const FeedEvent& e : delivered) {
      if (e.source == source && e.partition == partition) {
        cursor = FeedCursor{e.offset, e.envelope.position()};
      }
    }
    return cursor;
  };
  for (int attempt = 0; attempt < 2; ++attempt) {  // and again from its cursor: still stuck
    auto feed = NewFeed(*broker, "remiss-poison", "deadlines");
    ASSERT_NE(feed, nullptr);
    ASSERT_TRUE(feed->Start(cursor_of_delivered, handler).ok());
    ASSERT_TRUE(WaitFor([&] { return !feed->Parked().empty(); }, absl::Seconds(30)))
        << "attempt " << attempt;
    absl::SleepFor(absl::Milliseconds(300));  // room for anything after it to slip through
    const std::vector<ParkedEvent> parked = feed->Parked();
    feed->Stop();
    EXPECT_TRUE(feed->status().ok()) << "a parked partition does not stop the feed: " << feed->status();
    ASSERT_EQ(parked.size(), 1u);
    EXPECT_EQ(parked[0].source, "deadlines");
    EXPECT_EQ(parked[0].offset, 1);
    EXPECT_THAT(parked[0].reason, ::testing::HasSubstr("poison"));
    absl::MutexLock lock(&mu);
    ASSERT_EQ(delivered.size(), 1u) << "attempt " << attempt;
    EXPECT_EQ(delivered[0].source, "deadlines");
    EXPECT_EQ(delivered[0].envelope.position(), 1u);
    EXPECT_EQ(delivered[0].offset, 0);
  }
}

// ---- a broker outage ---------------------------------------------------------------------

TEST(KafkaOutage, CommandsSucceedWhileTheBrokerIsDownAndTheRelayCatchesUp) {
  auto started = KafkaBroker::Start();  // its own broker: this test stops it
  ASSERT_TRUE(started.ok()) << "the test broker did not start: " << started.status();
  KafkaBroker& broker = **started;
  TempDir dir;
  auto store = OpenStore(dir.Sub("followup"), "followup");
  ASSERT_NE(store, nullptr);
  RelayOptions options;
  options.brokers = broker.bootstrap();
  // Reconnect soon after the broker is back (librdkafka backs off up to 10 s by default).
  options.extra["reconnect.backoff.max.ms"] = "1000";
  auto relay = Relay::Start(store.get(), options);
  ASSERT_TRUE(relay.ok()) << relay.status();
  AppendRange(*store, 0, 50, 4);
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 50; }, absl::Seconds(30)));

  // Broker down: appends still succeed, promptly; the relay holds at what Kafka confirmed.
  ASSERT_TRUE(broker.Stop().ok());
  const absl::Time start = absl::Now();
  AppendRange(*store, 50, 150, 4);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "appends waited for Kafka";
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ((*relay)->Cursor(), 50u);

  // Broker back (same port, same data): everything arrives and the cursor reaches the head.
  ASSERT_TRUE(broker.Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 150; }, absl::Seconds(45)))
      << "relay cursor " << (*relay)->Cursor();

  // Down again: a relay stopped now gives up on its deliveries in bounded time and keeps
  // its cursor. The next relay starts while the broker is still down (it cannot create the
  // topics yet, and says so without failing) and sends them once the broker is back.
  ASSERT_TRUE(broker.Stop().ok());
  AppendRange(*store, 150, 160, 4);
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time stop_start = absl::Now();
  (*relay)->Stop();
  EXPECT_LT(absl::Now() - stop_start, absl::Seconds(15)) << "Stop() with the broker down";
  EXPECT_EQ(SavedCursor(*store), 150u);
  relay->reset();
  auto relay2 = Relay::Start(store.get(), options);
  ASSERT_TRUE(relay2.ok()) << relay2.status();
  AppendRange(*store, 160, 170, 4);
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ((*relay2)->Cursor(), 150u);
  ASSERT_TRUE(broker.Restart().ok());
  ASSERT_TRUE(WaitFor([&] { return (*relay2)->Cursor() == 170; }, absl::Seconds(45)))
      << "relay cursor " << (*relay2)->Cursor();
  (*relay2)->Stop();
  EXPECT_EQ(SavedCursor(*store), 170u);

  auto messages = ReadTopic(broker.bootstrap(), TopicFor("followup"), 170);
  ASSERT_TRUE(messages.ok()) << messages.status();
  std::vector<Published> published = Parse(*messages);
  std::set<uint64_t> positions;
  for (const Published& p : published) positions.insert(p.envelope.position());
  EXPECT_EQ(positions.size(), 170u);
  EXPECT_EQ(*positions.begin(), 1u);
  EXPECT_EQ(*positions.rbegin(), 170u);
  ExpectOrderPerKey(published, /*allow_repeats=*/true);
}

}  // namespace
}  // namespace remiss::core
