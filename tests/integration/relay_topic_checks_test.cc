// What a relay checks before it publishes, against a real broker: a topic that is ahead of
// its store (a store restored from a backup) gets nothing (C5); resent duplicates on a topic
// that lost history are not taken for the history (C24); a production topics file is the
// one the topics are checked against, replication factor included, and a missing topic is
// not created (C14). And a relay's read of the log is bounded by bytes (C18).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/kafka/topic_reader.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"
#include "tests/support/versions_projector.h"

namespace remiss::core {
namespace {

using remiss::testing::Registered;
using remiss::testing::VersionsProjector;

constexpr char kTopic[] = "remiss.referrals.events.v1";

class RelayTopicChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {  // a broker of its own: each test starts from no topics
    auto started = remiss::testing::KafkaBroker::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    broker_ = std::move(*started);
  }
  const std::string& brokers() const { return broker_->bootstrap(); }
  std::unique_ptr<EventStore> Open(const std::string& dir) {
    auto s = EventStore::Open({.path = dir_.Sub(dir), .source = "referrals", .clock = &clock_,
                               .projector = &projector_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  void Publish(EventStore& store, const std::string& org, const std::string& name = "Bromma") {
    CommandMeta meta;
    meta.command_id = absl::StrCat("register-", org);
    meta.actor.set_org_id("ks");
    ASSERT_TRUE(store.Execute(meta, [&](Tx& tx) {
                       return tx.Append(absl::StrCat("organization/", org), std::nullopt,
                                        {Registered(org, name)});
                     }).ok());
  }
  void RelayUpTo(EventStore& store, uint64_t position) {
    auto relay = Relay::Start(&store, {.brokers = brokers()});
    ASSERT_TRUE(relay.ok()) << relay.status();
    ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == position; }))
        << (*relay)->Cursor() << " " << (*relay)->Health();
    (*relay)->Stop();
  }
  // How many messages the topic holds (a topic just made may not have its leaders yet).
  int64_t TopicEvents() {
    absl::StatusOr<TopicTail> tail = absl::UnavailableError("not read");
    WaitFor([&] {
      tail = ReadTopicTail(brokers(), kTopic);
      return !absl::IsUnavailable(tail.status());
    });
    EXPECT_TRUE(tail.ok()) << tail.status();
    return tail.ok() ? tail->events : -1;
  }
  // Waits for the relay to report a problem; its message.
  std::string RefusalOf(Relay& relay) {
    WaitFor([&] { return !relay.Health().ok(); }, absl::Seconds(40));
    return std::string(relay.Health().message());
  }
  bool WaitFor(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(60)) {
    for (absl::Time until = absl::Now() + limit; absl::Now() < until;) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }

  std::unique_ptr<remiss::testing::KafkaBroker> broker_;
  remiss::testing::TempDir dir_;
  VersionsProjector projector_;
  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
};

// C5: a store restored from a backup taken at 5 events, whose topic holds 10 of the same
// incarnation, records other events at positions 6 on: its relay publishes none of them,
// whether the store's log ends before the topic's positions or runs past them.
TEST_F(RelayTopicChecksTest, ATopicAheadOfARestoredBackupOfItsStoreGetsNothingFromIt) {
  std::string incarnation;
  {
    auto store = Open("live");
    for (int i = 1; i <= 5; ++i) Publish(*store, absl::StrCat("org-", i));
    ASSERT_NO_FATAL_FAILURE(RelayUpTo(*store, 5));
    incarnation = store->incarnation();
  }
  // The backup: the store's directory copied while it is closed.
  std::filesystem::copy(dir_.Sub("live"), dir_.Sub("backup"),
                        std::filesystem::copy_options::recursive);
  {
    auto store = Open("live");
    for (int i = 6; i <= 10; ++i) Publish(*store, absl::StrCat("org-", i));
    ASSERT_NO_FATAL_FAILURE(RelayUpTo(*store, 10));
  }
  ASSERT_EQ(TopicEvents(), 10);

  // The live store is lost; the backup is started in its place and records other events.
  auto restored = Open("backup");
  ASSERT_EQ(restored->incarnation(), incarnation);
  ASSERT_EQ(restored->LastPosition(), 5u);
  for (int i = 6; i <= 8; ++i) Publish(*restored, absl::StrCat("other-", i));
  {
    auto relay = Relay::Start(restored.get(), {.brokers = brokers()});
    ASSERT_TRUE(relay.ok()) << relay.status();
    const std::string why = RefusalOf(**relay);
    EXPECT_NE(why.find("forked"), std::string::npos) << why;
    EXPECT_NE(why.find(absl::StrCat("topic ", kTopic, " holds")), std::string::npos) << why;
    EXPECT_NE(why.find("--restore-from-kafka"), std::string::npos) << why;
    EXPECT_EQ(TopicEvents(), 10) << "other events were published at positions the topic holds";
    EXPECT_EQ((*relay)->Cursor(), 5u);
    (*relay)->Stop();
  }

  // Past the topic's end, the positions the topic holds still hold other events.
  for (int i = 9; i <= 12; ++i) Publish(*restored, absl::StrCat("other-", i));
  auto relay = Relay::Start(restored.get(), {.brokers = brokers()});
  ASSERT_TRUE(relay.ok()) << relay.status();
  const std::string why = RefusalOf(**relay);
  EXPECT_NE(why.find("forked"), std::string::npos) << why;
  EXPECT_NE(why.find("holds another event at position"), std::string::npos) << why;
  EXPECT_EQ(TopicEvents(), 10);
  EXPECT_EQ((*relay)->Cursor(), 5u);
  (*relay)->Stop();
}

// C24: the relay had published 10 events; the topic was lost and now holds the first three
// positions four times each (12 messages, as a resend gives them again). That is not the
// relay's 10 events of history: it publishes nothing more and says the topic lost history.
TEST_F(RelayTopicChecksTest, ResentDuplicatesOnATopicThatLostHistoryAreNotTakenForIt) {
  auto store = Open("store");
  for (int i = 1; i <= 10; ++i) Publish(*store, absl::StrCat("org-", i));
  ASSERT_NO_FATAL_FAILURE(RelayUpTo(*store, 10));
  auto published = remiss::testing::ReadTopic(brokers(), kTopic, 10);
  ASSERT_TRUE(published.ok()) << published.status();
  // The first three positions as the relay sends them: in position order.
  std::vector<std::pair<std::string, std::string>> first_three(3);
  for (const remiss::testing::ConsumedMessage& m : *published) {
    remiss::v1::EventEnvelope e;
    ASSERT_TRUE(e.ParseFromString(m.value));
    if (e.position() <= 3) first_three[e.position() - 1] = {m.key, m.value};
  }
  for (const auto& [key, value] : first_three) ASSERT_FALSE(value.empty());

  // The topic is lost and made again; the first positions arrive on it again, repeatedly.
  ASSERT_TRUE(remiss::testing::DeleteTopic(brokers(), kTopic).ok());
  const TopicDefinition* def = nullptr;
  for (const TopicDefinition& t : BuiltinTopics()) {
    if (t.name == kTopic) def = &t;
  }
  ASSERT_NE(def, nullptr);
  ASSERT_TRUE(WaitFor([&] { return EnsureTopics(brokers(), {*def}).ok() && TopicEvents() == 0; }));
  for (int copy = 0; copy < 4; ++copy) {
    ASSERT_TRUE(remiss::testing::ProduceRaw(brokers(), kTopic, first_three).ok());
  }
  ASSERT_EQ(TopicEvents(), 12);

  Publish(*store, "org-11");
  auto relay = Relay::Start(store.get(), {.brokers = brokers()});
  ASSERT_TRUE(relay.ok()) << relay.status();
  const std::string why = RefusalOf(**relay);
  EXPECT_NE(why.find("reach position 3 only"), std::string::npos) << why;
  EXPECT_NE(why.find("had published 10"), std::string::npos) << why;
  EXPECT_NE(why.find("remissctl republish referrals"), std::string::npos) << why;
  EXPECT_EQ(TopicEvents(), 12) << "published on a topic that lost positions 4 to 10";
  EXPECT_EQ((*relay)->Cursor(), 10u);
  (*relay)->Stop();
}

// C14: production's topics file demands three replicas. On a one-broker cluster whose topics
// have every other production setting, the relay publishes nothing and names the setting.
TEST_F(RelayTopicChecksTest, AProductionFileDemandingThreeReplicasIsRefusedOnOneBroker) {
  const std::string file = std::string(REMISS_SOURCE_DIR) + "/infra/kafka/topics.production.conf";
  auto production = ReadTopicsConfig(file);
  ASSERT_TRUE(production.ok()) << production.status();
  std::vector<TopicDefinition> one_replica = production->topics;
  for (TopicDefinition& t : one_replica) t.replication_factor = 1;
  ASSERT_TRUE(EnsureTopics(brokers(), one_replica).ok());

  auto store = Open("store");
  Publish(*store, "org-1");
  auto relay = Relay::Start(store.get(), {.brokers = brokers(), .topics = *production});
  ASSERT_TRUE(relay.ok()) << relay.status();
  const std::string why = RefusalOf(**relay);
  EXPECT_NE(why.find("topic remiss.referrals.events.v1: the replication factor is 1 but must be at least 3"),
            std::string::npos) << why;
  EXPECT_NE(why.find("topics.production.conf"), std::string::npos) << why;
  EXPECT_EQ(TopicEvents(), 0);
  EXPECT_EQ((*relay)->Cursor(), 0u);
  (*relay)->Stop();
}

// C14: with a deployment's topics file, a missing topic is the operator's to make: the relay
// makes none, says so, and publishes once the operator has made it.
TEST_F(RelayTopicChecksTest, WithADeploymentsTopicsFileAMissingTopicIsReportedNotCreated) {
  const std::string file = dir_.Sub("topics.conf");
  std::ofstream(file)
      << "remiss.referrals.events.v1 partitions=6 replication=1 retention.ms=-1 "
         "retention.bytes=-1 cleanup.policy=delete min.insync.replicas=1 max.message.bytes=4194304\n"
         "remiss.referrals.watermarks.v1 partitions=1 replication=1 cleanup.policy=compact "
         "segment.ms=3600000 min.insync.replicas=1\n";
  auto deployment = ReadTopicsConfig(file);
  ASSERT_TRUE(deployment.ok()) << deployment.status();

  auto store = Open("store");
  Publish(*store, "org-1");
  Publish(*store, "org-2");
  auto relay = Relay::Start(store.get(), {.brokers = brokers(), .topics = *deployment});
  ASSERT_TRUE(relay.ok()) << relay.status();
  const std::string why = RefusalOf(**relay);
  EXPECT_NE(why.find("does not exist"), std::string::npos) << why;
  EXPECT_NE(why.find("created by the operator"), std::string::npos) << why;
  EXPECT_NE(why.find(file), std::string::npos) << why;
  absl::Status exists = ReadTopicToEnd(
      brokers(), kTopic, [](const PartitionRange& r) { return r.high; },
      [](const TopicMessage&) { return absl::OkStatus(); }, absl::Seconds(10));
  EXPECT_TRUE(absl::IsNotFound(exists)) << "the relay made the topic: " << exists;

  // The operator makes the topics as the file defines them; the relay looks again and publishes.
  ASSERT_TRUE(EnsureTopics(brokers(), deployment->topics).ok());
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 2; })) << (*relay)->Health();
  EXPECT_TRUE((*relay)->Health().ok()) << (*relay)->Health();
  EXPECT_EQ(TopicEvents(), 2);
  (*relay)->Stop();
}

// C18: a relay's read of the log holds at most max_read_bytes of events, however many events
// the room under max_in_flight would allow.
TEST_F(RelayTopicChecksTest, ARelayReadOfLargeEventsIsBoundedByBytes) {
  auto store = Open("store");
  const std::string large(600 << 10, 'x');  // 600 KiB a name
  for (int i = 1; i <= 24; ++i) Publish(*store, absl::StrCat("org-", i), large);
  absl::Mutex mu;
  size_t largest = 0, reads = 0, events = 0;
  RelayOptions options{.brokers = brokers()};
  options.max_read_bytes = size_t{2} << 20;
  options.on_read = [&](size_t n, size_t bytes) {
    absl::MutexLock lock(&mu);
    largest = std::max(largest, bytes);
    events += n;
    ++reads;
  };
  auto relay = Relay::Start(store.get(), options);
  ASSERT_TRUE(relay.ok()) << relay.status();
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 24; })) << (*relay)->Health();
  (*relay)->Stop();
  absl::MutexLock lock(&mu);
  EXPECT_LE(largest, options.max_read_bytes) << "in " << reads << " reads";
  EXPECT_GE(reads, 8u);
  EXPECT_GE(events, 24u);
}

}  // namespace
}  // namespace remiss::core
