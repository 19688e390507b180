// A service whose disk is lost comes back from its own Kafka topic: the log at its positions
// (duplicates a relay sent again dropped), its incarnation, its relay's cursor (nothing is
// published twice more) and projections with the digest the lost store had. And a fresh
// store is never published onto a topic that holds an earlier store's history: the start-up
// check refuses it (or, in a server, waits for an operator's restore), and a relay started
// anyway publishes nothing and says why.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/kafka/restore.h"
#include "remiss/core/server/prepare_store.h"
#include "remiss/core/server/restore_gate.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/core/kafka/topic_reader.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"
#include "tests/support/versions_projector.h"

namespace remiss::core {
namespace {

using remiss::testing::Registered;
using remiss::testing::VersionsProjector;
using remiss::v1::EventEnvelope;

constexpr char kTopic[] = "remiss.referrals.events.v1";

class RestoreFromKafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {  // a broker of its own: each test starts from no topics
    auto started = remiss::testing::KafkaBroker::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    owned_ = std::move(*started);
    broker_ = owned_.get();
  }
  std::unique_ptr<EventStore> Open(const std::string& dir) {
    auto s = EventStore::Open({.path = dir_.Sub(dir), .source = "referrals", .clock = &clock_,
                               .projector = &projector_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  void Publish(EventStore& store, const std::string& org) {
    CommandMeta meta;
    meta.command_id = absl::StrCat("register-", ++commands_);
    meta.actor.set_org_id("ks");
    ASSERT_TRUE(store.Execute(meta, [&](Tx& tx) {
                       return tx.Append(absl::StrCat("organization/", org), std::nullopt,
                                        {Registered(org)});
                     }).ok());
  }
  // Relays `store`'s log to the topic until its cursor is at `position`, then stops.
  void RelayUpTo(EventStore& store, uint64_t position) {
    auto relay = Relay::Start(&store, {.brokers = broker_->bootstrap()});
    ASSERT_TRUE(relay.ok()) << relay.status();
    ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == position; }));
    (*relay)->Stop();
  }
  int64_t TopicEvents() {
    auto tail = ReadTopicTail(broker_->bootstrap(), kTopic);
    EXPECT_TRUE(tail.ok()) << tail.status();
    return tail.ok() ? tail->events : -1;
  }
  bool WaitFor(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(60)) {
    for (absl::Time until = absl::Now() + limit; absl::Now() < until;) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return done();
  }

  std::unique_ptr<remiss::testing::KafkaBroker> owned_;
  remiss::testing::KafkaBroker* broker_ = nullptr;
  remiss::testing::TempDir dir_;
  VersionsProjector projector_;
  int commands_ = 0;
  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
};

TEST_F(RestoreFromKafkaTest, ALostStoreComesBackFromItsTopicAndGoesOn) {
  Digest lost_digest;
  std::string incarnation;
  {
    auto store = Open("lost");
    for (int i = 0; i < 300; ++i) Publish(*store, absl::StrCat("org-", i % 120));
    auto relay = Relay::Start(store.get(), {.brokers = broker_->bootstrap()});
    ASSERT_TRUE(relay.ok()) << relay.status();
    ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 300; }));
    // An operator's republish: every event is on the topic twice.
    (*relay)->Republish();
    ASSERT_TRUE(WaitFor([&] { return TopicEvents() == 600; }));
    (*relay)->Stop();
    lost_digest = store->ProjectionDigest();
    incarnation = store->incarnation();
  }

  auto restored = Open("restored");
  auto summary = RestoreFromKafka(restored.get(), broker_->bootstrap());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->imported.events, 300u);
  EXPECT_EQ(summary->duplicates, 300u);
  EXPECT_EQ(summary->incarnation, incarnation);
  EXPECT_EQ(summary->imported.command_records, 300u);
  EXPECT_EQ(restored->LastPosition(), 300u);
  EXPECT_EQ(restored->ProjectionDigest().sha256, lost_digest.sha256);
  EXPECT_EQ(restored->ProjectionDigest().entries, 120u);

  // Its relay publishes nothing again, and what it records next goes out after the rest.
  auto relay = Relay::Start(restored.get(), {.brokers = broker_->bootstrap()});
  ASSERT_TRUE(relay.ok()) << relay.status();
  Publish(*restored, "after-the-restore");
  ASSERT_TRUE(WaitFor([&] { return (*relay)->Cursor() == 301; }));
  EXPECT_TRUE((*relay)->Health().ok()) << (*relay)->Health();
  EXPECT_EQ(TopicEvents(), 601);
  (*relay)->Stop();
}

// C4: remissd with relay lag. responses (in the same process, a LocalFeed) applied referrals'
// events 1..4 while the relay had published only 1 and 2; referrals' disk is lost and it is
// restored from its topic: positions 1 and 2, the same incarnation. Its next events take
// positions 3.. with other content: responses' feed parks with that reason instead of taking
// them for repeats of what it applied.
TEST_F(RestoreFromKafkaTest, AConsumerAheadOfAStoreRestoredToAnEarlierPointParksInsteadOfSkipping) {
  auto responses = EventStore::Open({.path = dir_.Sub("responses"), .source = "responses",
                                     .clock = &clock_});
  ASSERT_TRUE(responses.ok()) << responses.status();
  auto applied = [&](const std::string& org) {
    return (*responses)->GetProjection(absl::StrCat("applied/", org)).has_value();
  };
  auto marking = [&] {
    return std::make_unique<FeedConsumer>(responses->get(), [](const FeedEvent& e, Tx& tx) {
      tx.Put(absl::StrCat("applied/", e.envelope.referrals().organization_registered().org_id()),
             "1");
      return absl::OkStatus();
    });
  };
  {
    auto lost = Open("lost");
    Publish(*lost, "a");
    Publish(*lost, "b");
    ASSERT_NO_FATAL_FAILURE(RelayUpTo(*lost, 2));
    Publish(*lost, "c");  // never reached the topic
    Publish(*lost, "d");
    auto consumer = marking();
    LocalFeed feed(lost.get());
    ASSERT_TRUE(consumer->Run(feed).ok());
    ASSERT_TRUE(WaitFor([&] { return applied("d"); }));
    feed.Stop();
  }
  auto restored = Open("restored");
  auto summary = RestoreFromKafka(restored.get(), broker_->bootstrap());
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(restored->LastPosition(), 2u);

  auto consumer = marking();
  LocalFeed feed(restored.get());
  ASSERT_TRUE(consumer->Run(feed).ok());
  ASSERT_TRUE(WaitFor([&] { return !feed.Parked().empty(); }, absl::Seconds(10)))
      << "responses waits silently, then takes referrals' new events for repeats";
  EXPECT_TRUE(feed.Parked().front().ahead);
  EXPECT_NE(feed.Parked().front().reason.find("holds only up to position 2"), std::string::npos)
      << feed.Parked().front().reason;
  for (const char* org : {"x", "y", "z"}) Publish(*restored, org);  // positions 3, 4, 5
  EXPECT_FALSE(feed.Parked().empty());
  EXPECT_FALSE(applied("x"));
  EXPECT_FALSE(applied("y"));
  EXPECT_FALSE(applied("z"));
  feed.Stop();
}

TEST_F(RestoreFromKafkaTest, AFreshStoreIsNeverPublishedOntoAnEarlierStoresTopic) {
  {
    auto store = Open("earlier");
    for (int i = 0; i < 3; ++i) Publish(*store, absl::StrCat("org-", i));
    ASSERT_NO_FATAL_FAILURE(RelayUpTo(*store, 3));
  }
  // Started afresh: refused at start, naming the topic and the way out.
  auto fresh = Open("fresh");
  absl::Status started = PrepareStore(fresh.get(), {.kafka_brokers = broker_->bootstrap()});
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_NE(started.message().find(kTopic), std::string::npos) << started;
  EXPECT_NE(started.message().find("--restore-from-kafka"), std::string::npos) << started;

  // A store that recorded events of its own before its relay met the topic: it publishes
  // none of them, and its health says why.
  Publish(*fresh, "mixed-in");
  auto relay = Relay::Start(fresh.get(), {.brokers = broker_->bootstrap()});
  ASSERT_TRUE(relay.ok()) << relay.status();
  ASSERT_TRUE(WaitFor([&] { return !(*relay)->Health().ok(); }, absl::Seconds(30)));
  const std::string why((*relay)->Health().message());
  EXPECT_NE(why.find("another referrals store"), std::string::npos) << why;
  EXPECT_NE(why.find(fresh->incarnation()), std::string::npos) << why;
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(TopicEvents(), 3) << "a fresh store's events were mixed into the earlier history";
  EXPECT_EQ((*relay)->Cursor(), 0u);
  (*relay)->Stop();

  // A restore is only into an empty store.
  EXPECT_EQ(RestoreFromKafka(fresh.get(), broker_->bootstrap()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RestoreFromKafkaTest, ATopicThatDoesNotExistIsNotFoundAndAnEmptyOneRestoresNothing) {
  auto store = Open("empty");
  auto summary = RestoreFromKafka(store.get(), broker_->bootstrap());
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kNotFound) << summary.status();
  EXPECT_TRUE(PrepareStore(store.get(), {.kafka_brokers = broker_->bootstrap()}).ok());
}

// An empty store whose topic was checked once starts again while the broker is unreachable
// (a restart during a Kafka outage); one never checked still waits for the broker's answer.
// Found by the simulation (kafka wiring, seeds 1000, 1008, 1012).
TEST_F(RestoreFromKafkaTest, AnEmptyStoreCheckedOnceStartsAgainWithoutTheBroker) {
  const ModuleSettings unreachable{.kafka_brokers = "127.0.0.1:1", .topic_check_budget = absl::Seconds(2)};
  {
    auto never_checked = Open("never-checked");
    EXPECT_EQ(PrepareStore(never_checked.get(), unreachable).code(), absl::StatusCode::kUnavailable);
  }
  {
    auto store = Open("checked");
    ASSERT_TRUE(PrepareStore(store.get(), {.kafka_brokers = broker_->bootstrap()}).ok());
  }
  auto again = Open("checked");  // restarted
  EXPECT_TRUE(PrepareStore(again.get(), unreachable).ok());
}

// Started on an empty data directory whose topic holds events, a service waits: its address
// serves health (NOT_SERVING) and the admin service only, and an operator's
// AdminService.RestoreFromKafka restores it (through gRPC here, as remissctl does).
TEST_F(RestoreFromKafkaTest, AnEmptyStoreWaitsUntilAnOperatorRestoresItThroughTheAdminService) {
  Digest lost_digest;
  {
    auto store = Open("lost");
    for (int i = 0; i < 5; ++i) Publish(*store, absl::StrCat("org-", i));
    ASSERT_NO_FATAL_FAILURE(RelayUpTo(*store, 5));
    lost_digest = store->ProjectionDigest();
  }
  auto fresh = Open("fresh");
  std::atomic<int> port{0};
  RestoreGate gate([&](RestoreGate* g) -> absl::StatusOr<std::unique_ptr<ServiceHost>> {
    auto host = std::make_unique<ServiceHost>("127.0.0.1:0", 4 << 20);
    host->UseRestoreGate(g);
    if (absl::Status s = host->Start(); !s.ok()) return s;
    port = host->port();
    return host;
  });
  absl::Status prepared = absl::UnknownError("not yet");
  std::thread start([&] {
    prepared = PrepareStore(fresh.get(), {.kafka_brokers = broker_->bootstrap(), .restore_gate = &gate});
  });
  ASSERT_TRUE(WaitFor([&] { return port != 0; }));
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port.load()),
                                     grpc::InsecureChannelCredentials());
  auto call = [](grpc::ClientContext* ctx) {
    ctx->AddMetadata("x-remiss-org", "drift");
    ctx->AddMetadata("x-remiss-role", "operator");
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
  };
  {
    grpc::ClientContext ctx;
    call(&ctx);
    grpc::health::v1::HealthCheckResponse health;
    ASSERT_TRUE(grpc::health::v1::Health::NewStub(channel)
                    ->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &health).ok());
    EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }
  EXPECT_EQ(fresh->LastPosition(), 0u) << "nothing is restored before an operator asks";
  auto admin = remiss::v1::AdminService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    call(&ctx);
    remiss::v1::RestoreFromKafkaRequest other;
    other.set_service("responses");
    remiss::v1::RestoreReport report;
    const grpc::Status s = admin->RestoreFromKafka(&ctx, other, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
    EXPECT_NE(s.error_message().find("(referrals does)"), std::string::npos) << s.error_message();
  }
  grpc::ClientContext ctx;
  call(&ctx);
  remiss::v1::RestoreFromKafkaRequest request;
  request.set_service("referrals");
  remiss::v1::RestoreReport report;
  const grpc::Status s = admin->RestoreFromKafka(&ctx, request, &report);
  start.join();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(prepared.ok()) << prepared;
  EXPECT_EQ(report.topic(), kTopic);
  EXPECT_EQ(report.events(), 5u);
  EXPECT_EQ(report.incarnation(), fresh->incarnation());
  EXPECT_EQ(report.digest().sha256(), lost_digest.sha256);
  EXPECT_EQ(fresh->LastPosition(), 5u);
  EXPECT_EQ(fresh->ProjectionDigest().sha256, lost_digest.sha256);
  gate.Stop();
}

}  // namespace
}  // namespace remiss::core
