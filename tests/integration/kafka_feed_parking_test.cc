// What an operator can do with a KafkaFeed's parked partition, against a real broker: a
// message that is not an envelope (parked at position 0) is skipped through the AdminService
// by its offset and recorded as FeedEventSkipped (C9); skipping another source's envelope
// moves only the offset, so the source's genuine events after it are still applied (C10);
// and a consumer whose cursor is past what the topic holds (a topic that lost its tail)
// parks instead of taking the source's new events for repeats (C4). Each test has a topic of
// its own (one partition).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kafka_broker.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/server/service_host.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::testing::KafkaBroker;
using remiss::v1::EventEnvelope;

constexpr char kKey[] = "ks-2024-1";
constexpr char kIncarnation[] = "inc-1";

SystemClock* TheClock() {
  static SystemClock clock;
  return &clock;
}

KafkaBroker* SharedBroker() {
  std::string error;
  KafkaBroker* broker = KafkaBroker::Shared(&error);
  EXPECT_NE(broker, nullptr) << "the test broker did not start: " << error;
  return broker;
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

// An envelope of `source` at `position`, named by `name` (what the consumer records).
std::string Envelope(const std::string& source, uint64_t position, const std::string& name) {
  EventEnvelope e;
  e.set_source(source);
  e.set_position(position);
  e.set_incarnation(kIncarnation);
  e.set_event_id(name);
  e.set_partition_key(kKey);
  return e.SerializeAsString();
}

absl::Status CreateTopic(const KafkaBroker& broker, const std::string& source) {
  TopicDefinition topic;
  topic.name = TopicFor(source);
  topic.partitions = 1;
  return EnsureTopics(broker.bootstrap(), {topic});
}

absl::Status Produce(const KafkaBroker& broker, const std::string& source,
                     const std::vector<std::string>& values) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (const std::string& v : values) messages.emplace_back(kKey, v);
  return remiss::testing::ProduceRaw(broker.bootstrap(), TopicFor(source), messages);
}

// A consumer's store and a KafkaFeed into it that records every event it applies under
// "applied/<event id>".
class KafkaFeedParkingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = SharedBroker();
    ASSERT_NE(broker_, nullptr);
    auto store = EventStore::Open(
        {.path = dir_.Sub("consumer"), .source = "consumer", .clock = TheClock(), .sync = false});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    consumer_ = std::make_unique<FeedConsumer>(store_.get(), [](const FeedEvent& e, Tx& tx) {
      tx.Put(absl::StrCat("applied/", e.envelope.event_id()), "1");
      return absl::OkStatus();
    });
  }
  void TearDown() override {
    if (host_) host_->Shutdown(absl::Seconds(1));
    for (auto& feed : feeds_) feed->Stop();
  }

  // A new feed of `source` into the consumer (group: one per test).
  Feed* Run(const std::string& source) {
    KafkaFeedOptions options;
    options.brokers = broker_->bootstrap();
    options.group_id = absl::StrCat("remiss-parking-", source);
    options.sources = {source};
    auto feed = MakeKafkaFeed(options);
    EXPECT_TRUE(feed.ok()) << feed.status();
    if (!feed.ok()) return nullptr;
    feeds_.push_back(std::move(*feed));
    EXPECT_TRUE(consumer_->Run(*feeds_.back()).ok());
    return feeds_.back().get();
  }
  // The AdminService over the consumer and `feed`.
  void Host(Feed* feed) {
    host_ = std::make_unique<ServiceHost>("127.0.0.1:0", 4 << 20);
    host_->AddModule({.name = "consumer",
                      .grpc_service = "remiss.v1.FollowupService",
                      .store = store_.get(),
                      .feeds = {feed},
                      .consumers = {consumer_.get()}});
    ASSERT_TRUE(host_->Start().ok());
    admin_ = remiss::v1::AdminService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", host_->port()), grpc::InsecureChannelCredentials()));
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "stadsledningskontoret");
    ctx->AddMetadata("x-remiss-role", "operator");
    ctx->AddMetadata("x-remiss-person", "op-17");
    return ctx;
  }
  bool Applied(const std::string& name) {
    return store_->GetProjection(absl::StrCat("applied/", name)).has_value();
  }
  // The parked event of `feed`, once there is one (a default one when there never is).
  static ParkedEvent ParkedOf(const Feed& feed) {
    if (!WaitFor([&] { return !feed.Parked().empty(); })) return {};
    return feed.Parked().front();
  }

  KafkaBroker* broker_ = nullptr;
  remiss::testing::TempDir dir_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<FeedConsumer> consumer_;
  std::vector<std::unique_ptr<Feed>> feeds_;
  std::unique_ptr<ServiceHost> host_;
  std::unique_ptr<remiss::v1::AdminService::Stub> admin_;
};

// C9
TEST_F(KafkaFeedParkingTest, AMessageThatIsNotAnEnvelopeIsRetriedAndSkippedThroughAdminByItsOffset) {
  const std::string source = "c9poison";
  ASSERT_TRUE(CreateTopic(*broker_, source).ok());
  ASSERT_TRUE(Produce(*broker_, source,
                      {Envelope(source, 1, "first"), std::string("\xff\xff\xff garbage", 11),
                       Envelope(source, 2, "second")})
                  .ok());
  Feed* feed = Run(source);
  ASSERT_NE(feed, nullptr);
  Host(feed);
  const ParkedEvent parked = ParkedOf(*feed);
  ASSERT_EQ(parked.source, source) << "never parked";
  EXPECT_EQ(parked.position, 0u);
  EXPECT_EQ(parked.offset, 1);
  EXPECT_TRUE(Applied("first"));

  // A retry delivers it again: still not an envelope, parked again.
  remiss::v1::RetryParkedEventRequest retry;
  retry.set_source(source);
  remiss::v1::ParkedEventAction action;
  grpc::Status retried = admin_->RetryParkedEvent(Ctx().get(), retry, &action);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(action.event().offset(), 1);
  ASSERT_EQ(ParkedOf(*feed).offset, 1) << "not parked again";

  // It is named by its offset: position 0 alone, or another offset, is refused.
  remiss::v1::SkipParkedEventRequest skip;
  skip.set_source(source);
  skip.set_partition(0);
  skip.set_position(0);
  skip.set_reason("inte ett kuvert; rättat i ärende 78");
  grpc::Status refused = admin_->SkipParkedEvent(Ctx().get(), skip, &action);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << refused.error_message();
  skip.set_offset(2);
  refused = admin_->SkipParkedEvent(Ctx().get(), skip, &action);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message().rfind("offset:", 0), 0u) << refused.error_message();
  skip.set_offset(1);
  grpc::Status skipped = admin_->SkipParkedEvent(Ctx().get(), skip, &action);
  ASSERT_TRUE(skipped.ok()) << skipped.error_message();

  ASSERT_TRUE(WaitFor([&] { return Applied("second"); })) << "not resumed after the skip";
  EXPECT_TRUE(feed->Parked().empty());
  auto cursor = store_->GetFeedCursor(source, 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->offset, 2);
  EXPECT_EQ(cursor->position, 2u);

  // The skip is a fact in the consumer's log, with the operator, the reason and the offset.
  auto events = store_->ReadStream(absl::StrCat("feed/", source, "/0"));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().position(), action.skip_position());
  EXPECT_EQ(events->front().actor().person_id(), "op-17");
  const auto& fact = events->front().operations().feed_event_skipped();
  EXPECT_EQ(fact.offset(), 1);
  EXPECT_EQ(fact.position(), 0u);
  EXPECT_EQ(fact.reason(), "inte ett kuvert; rättat i ärende 78");
  EXPECT_THAT(fact.failure(), ::testing::HasSubstr("not an EventEnvelope"));
}

// C10
TEST_F(KafkaFeedParkingTest, SkippingAnotherSourcesEnvelopeMovesOnlyTheOffsetNotThePosition) {
  const std::string source = "c10foreign";
  ASSERT_TRUE(CreateTopic(*broker_, source).ok());
  // Another service's envelope, at a position far beyond this source's, between two of its own.
  ASSERT_TRUE(Produce(*broker_, source,
                      {Envelope(source, 1, "own-1"), Envelope("intruder", 50, "intruder-50"),
                       Envelope(source, 2, "own-2"), Envelope(source, 3, "own-3")})
                  .ok());
  Feed* feed = Run(source);
  ASSERT_NE(feed, nullptr);
  const ParkedEvent parked = ParkedOf(*feed);
  ASSERT_EQ(parked.source, source) << "never parked";
  EXPECT_EQ(parked.position, 50u);
  EXPECT_EQ(parked.offset, 1);
  EXPECT_THAT(parked.reason, ::testing::HasSubstr("intruder"));

  remiss::v1::Actor op;
  op.set_org_id("stadsledningskontoret");
  op.set_role("operator");
  auto skipped = consumer_->Skip(source, 0, 50, std::nullopt, op, "fel ämne, rättat i ärende 79");
  ASSERT_TRUE(skipped.ok()) << skipped.status();

  // (The feed stays parked until its thread has sought past the skipped message.)
  EXPECT_TRUE(WaitFor([&] { return Applied("own-3"); }));
  EXPECT_TRUE(Applied("own-2")) << "the source's event after it was dropped as a repeat";
  EXPECT_TRUE(Applied("own-3")) << "the source's event after it was dropped as a repeat";
  EXPECT_FALSE(Applied("intruder-50"));
  auto cursor = store_->GetFeedCursor(source, 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->offset, 3);
  EXPECT_EQ(cursor->position, 3u);
}

// C4
TEST_F(KafkaFeedParkingTest, AConsumerAheadOfATopicThatLostItsTailParksInsteadOfSkipping) {
  const std::string source = "c4ahead";
  ASSERT_TRUE(CreateTopic(*broker_, source).ok());
  ASSERT_TRUE(Produce(*broker_, source,
                      {Envelope(source, 1, "old-1"), Envelope(source, 2, "old-2"),
                       Envelope(source, 3, "old-3")})
                  .ok());
  Feed* first = Run(source);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Applied("old-3"); }));
  first->Stop();

  // The topic loses its tail (here: it is recreated holding only position 1).
  ASSERT_TRUE(remiss::testing::DeleteTopic(broker_->bootstrap(), TopicFor(source)).ok());
  ASSERT_TRUE(WaitFor([&] { return CreateTopic(*broker_, source).ok(); }))
      << "the topic could not be created again";
  ASSERT_TRUE(WaitFor([&] { return Produce(*broker_, source, {Envelope(source, 1, "old-1")}).ok(); }));

  // The consumer's offset 3 is past the partition's end: it reads from the beginning.
  Feed* feed = Run(source);
  ASSERT_NE(feed, nullptr);
  ASSERT_TRUE(WaitFor([&] { return !feed->Parked().empty(); }))
      << "never parked: took old-1 at offset 0 for a repeat and waits for the source's next "
         "events, to drop those up to position 3 as repeats too";
  ASSERT_EQ(feed->Parked().size(), 1u);
  const ParkedEvent parked = feed->Parked().front();
  EXPECT_TRUE(parked.ahead);
  EXPECT_EQ(parked.offset, 0);
  EXPECT_EQ(parked.position, 3u);
  EXPECT_THAT(parked.reason, ::testing::HasSubstr("up to offset 2"));

  // The source, restored from the topic, records new events at positions 2, 3 and 4: the
  // partition stays parked; none of them is taken for a repeat.
  ASSERT_TRUE(Produce(*broker_, source,
                      {Envelope(source, 2, "new-2"), Envelope(source, 3, "new-3"),
                       Envelope(source, 4, "new-4")})
                  .ok());
  EXPECT_FALSE(feed->Parked().empty());
  EXPECT_FALSE(Applied("new-4"));
  EXPECT_EQ(store_->GetFeedCursor(source, 0)->offset, 2);
  remiss::v1::Actor op;
  op.set_role("operator");
  EXPECT_EQ(consumer_->Skip(source, 0, 3, std::nullopt, op, "försök").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace remiss::core
