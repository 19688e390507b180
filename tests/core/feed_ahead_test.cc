// C4: a consumer whose cursor is ahead of what its source holds. In remissd a source store
// restored from its topic to an earlier point (its relay lagged when the disk was lost) keeps
// its incarnation, while the consumer (responses, in the same process) has applied events
// past the restored log's end. The source's next events take those positions with other
// content: the consumer's LocalFeed parks that source with a reason that says so (health
// names it, GetPositions shows it, a metric counts it) instead of dropping them as repeats;
// a skip is refused (there is no event to skip), a retry looks again.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/telemetry/metrics.h"
#include "remiss/core/server/service_host.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "tests/support/health.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::testing::Registered;
using remiss::v1::EventEnvelope;

class FeedAheadTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> Open(const std::string& dir, const std::string& source) {
    auto s = EventStore::Open({.path = dir_.Sub(dir), .source = source, .clock = &clock_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static void Publish(EventStore& store, const std::string& org) {
    ASSERT_TRUE(store.Execute({}, [&](Tx& tx) {
                       return tx.Append(absl::StrCat("organization/", org), std::nullopt,
                                        {Registered(org)});
                     }).ok());
  }
  static bool WaitUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return done();
  }
  // A consumer that marks every organization it applies.
  std::unique_ptr<FeedConsumer> Marking(EventStore* store) {
    return std::make_unique<FeedConsumer>(store, [](const FeedEvent& e, Tx& tx) {
      tx.Put(absl::StrCat("applied/", e.envelope.referrals().organization_registered().org_id()),
             "1");
      return absl::OkStatus();
    });
  }
  bool Applied(const EventStore& store, const std::string& org) {
    return store.GetProjection(absl::StrCat("applied/", org)).has_value();
  }
  // A referrals store whose consumer `responses` applied organizations a..d, then lost with
  // its relay having published only positions 1 and 2: what its topic kept (and the lost
  // store's incarnation in `incarnation`).
  std::vector<EventEnvelope> LostAfterResponsesApplied(EventStore& responses,
                                                       std::string* incarnation = nullptr) {
    auto referrals = Open("referrals-lost", "referrals");
    for (const char* org : {"a", "b", "c", "d"}) Publish(*referrals, org);
    auto consumer = Marking(&responses);
    LocalFeed feed(referrals.get());
    EXPECT_TRUE(consumer->Run(feed).ok());
    EXPECT_TRUE(WaitUntil([&] { return Applied(responses, "d"); }));
    feed.Stop();
    auto log = referrals->ReadLog(1, 2);
    EXPECT_TRUE(log.ok()) << log.status();
    if (incarnation != nullptr) *incarnation = referrals->incarnation();
    return log.ok() ? *log : std::vector<EventEnvelope>();
  }
  // A referrals store restored (in `dir`) from what the lost one's topic kept.
  std::unique_ptr<EventStore> Restored(const std::string& dir,
                                       const std::vector<EventEnvelope>& published) {
    auto referrals = Open(dir, "referrals");
    uint64_t duplicates = 0;
    EXPECT_TRUE(referrals->ImportEvents(published, &duplicates).ok());
    EXPECT_TRUE(referrals->FinishImport().ok());
    return referrals;
  }
  // The consumer's feed of a restored referrals that recorded x, y and z anew at positions 3
  // to 5 parks ahead of it (`why` in its reason) instead of applying z.
  void ExpectParkedAhead(const LocalFeed& feed, const EventStore& responses, const std::string& why) {
    ASSERT_TRUE(WaitUntil([&] { return !feed.Parked().empty() || Applied(responses, "z"); }));
    ASSERT_FALSE(feed.Parked().empty())
        << "took x and y (positions 3 and 4) for repeats of c and d, and applied z";
    EXPECT_TRUE(feed.Parked().front().ahead);
    EXPECT_NE(feed.Parked().front().reason.find(why), std::string::npos)
        << feed.Parked().front().reason;
    EXPECT_FALSE(Applied(responses, "z"));
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "stadsledningskontoret");
    ctx->AddMetadata("x-remiss-role", "operator");
    ctx->AddMetadata("x-remiss-person", "op-17");
    return ctx;
  }
  // remiss_feed_ahead_of_source{store, source} as the host last exported it (-1: not there).
  static double AheadGauge(const std::string& store, const std::string& source) {
    for (const auto& family : metrics::Registry().Collect()) {
      if (family.name != "remiss_feed_ahead_of_source") continue;
      for (const auto& metric : family.metric) {
        bool match = true;
        for (const auto& label : metric.label) {
          if (label.name == "store" && label.value != store) match = false;
          if (label.name == "source" && label.value != source) match = false;
        }
        if (match) return metric.gauge.value;
      }
    }
    return -1;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
};

// C4
TEST_F(FeedAheadTest, AConsumerAheadOfARestoredSourceParksInsteadOfSkippingItsNewEvents) {
  auto responses = Open("responses", "responses");
  std::string incarnation;
  const std::vector<EventEnvelope> published = LostAfterResponsesApplied(*responses, &incarnation);
  ASSERT_EQ(published.size(), 2u);
  // Restored from its topic, which held only positions 1 and 2: the same incarnation.
  auto referrals = Open("referrals-restored", "referrals");
  uint64_t duplicates = 0;
  ASSERT_TRUE(referrals->ImportEvents(published, &duplicates).ok());
  auto restored = referrals->FinishImport();
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_EQ(referrals->incarnation(), incarnation);
  ASSERT_EQ(referrals->LastPosition(), 2u);

  auto consumer = Marking(responses.get());
  LocalFeed feed(referrals.get());
  ASSERT_TRUE(consumer->Run(feed).ok());
  ServiceHost host("127.0.0.1:0", 4 << 20);
  host.AddModule({.name = "responses",
                  .grpc_service = "remiss.v1.ResponseService",
                  .store = responses.get(),
                  .feeds = {&feed},
                  .consumers = {consumer.get()}});
  ASSERT_TRUE(host.Start().ok());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host.port()),
                                     grpc::InsecureChannelCredentials());
  auto admin = remiss::v1::AdminService::NewStub(channel);

  ASSERT_TRUE(WaitUntil([&] { return !feed.Parked().empty(); }))
      << "waits silently for the restored source to pass its cursor, then takes the source's "
         "new events at positions 3 and 4 for repeats";
  const ParkedEvent parked = feed.Parked().front();
  EXPECT_TRUE(parked.ahead);
  EXPECT_EQ(parked.source, "referrals");
  EXPECT_EQ(parked.position, 4u);
  EXPECT_NE(parked.reason.find("up to position 4"), std::string::npos) << parked.reason;
  EXPECT_NE(parked.reason.find("holds only up to position 2"), std::string::npos) << parked.reason;
  // Health names it, GetPositions shows it, a metric counts it.
  ASSERT_TRUE(WaitUntil([&] {
    return remiss::testing::HealthStatus(*channel, "remiss.v1.ResponseService") == 2;
  })) << "not NOT_SERVING while parked ahead of its source";
  remiss::v1::GetPositionsRequest positions_request;
  remiss::v1::Positions positions;
  ASSERT_TRUE(admin->GetPositions(Ctx().get(), positions_request, &positions).ok());
  ASSERT_EQ(positions.services_size(), 1);
  ASSERT_EQ(positions.services(0).feeds_size(), 1);
  EXPECT_NE(positions.services(0).feeds(0).parked().reason().find("restored to an earlier point"),
            std::string::npos)
      << positions.ShortDebugString();
  ASSERT_TRUE(WaitUntil([&] { return AheadGauge("responses", "referrals") == 1; }))
      << "remiss_feed_ahead_of_source is " << AheadGauge("responses", "referrals");

  // Nothing to skip; a retry looks again and parks again while the source is still behind.
  remiss::v1::SkipParkedEventRequest skip;
  skip.set_service("responses");
  skip.set_source("referrals");
  skip.set_position(4);
  skip.set_reason("försök");
  remiss::v1::ParkedEventAction action;
  EXPECT_EQ(admin->SkipParkedEvent(Ctx().get(), skip, &action).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  remiss::v1::RetryParkedEventRequest retry;
  retry.set_service("responses");
  retry.set_source("referrals");
  ASSERT_TRUE(admin->RetryParkedEvent(Ctx().get(), retry, &action).ok());
  EXPECT_TRUE(action.event().reason().find("restored") != std::string::npos);
  ASSERT_TRUE(WaitUntil([&] { return !feed.Parked().empty(); })) << "not parked again";

  // The restored source's new events take positions 3, 4 and 5 (responses applied 3 and 4
  // of the lost history): the feed stays parked, none of them is dropped or applied.
  for (const char* org : {"x", "y", "z"}) Publish(*referrals, org);

  EXPECT_TRUE(feed.Parked().front().ahead) << "resumed by itself once the source passed its cursor";
  EXPECT_FALSE(Applied(*responses, "x"));
  EXPECT_FALSE(Applied(*responses, "y"));
  EXPECT_FALSE(Applied(*responses, "z"));
  host.Shutdown(absl::Seconds(1));
  feed.Stop();
}

// In remissd the consumer's feed starts after its source's: a restored source that records
// new events at once (deadlines, taking referrals' new events from its own feeds) has passed
// the consumer's cursor again before the consumer looks. What counts is what the source held
// when it was opened (or restored), which is all the consumer could have applied of it.
TEST_F(FeedAheadTest, ARestoredSourceThatRecordsNewEventsBeforeItsConsumerStartsStillParksIt) {
  auto responses = Open("responses", "responses");
  const std::vector<EventEnvelope> published = LostAfterResponsesApplied(*responses);
  ASSERT_EQ(published.size(), 2u);
  auto referrals = Restored("referrals-restored", published);
  // Positions 3, 4 and 5 again, with other content, before the consumer's feed starts.
  for (const char* org : {"x", "y", "z"}) Publish(*referrals, org);
  ASSERT_EQ(referrals->LastPosition(), 5u);

  auto consumer = Marking(responses.get());
  LocalFeed feed(referrals.get());
  ASSERT_TRUE(consumer->Run(feed).ok());
  ExpectParkedAhead(feed, *responses, "holds only up to position 2");
  feed.Stop();
}

// The park outlives a restart. After it the store no longer knows it was restored, and it may
// have recorded past the consumer's cursor again (here x, y and z took positions 3 to 5): the
// consumer's cursor keeps a fingerprint of the last event it applied, and the event the source
// now holds at that position is another one (with the same id: ids are <source>-<position>).
TEST_F(FeedAheadTest, AConsumerParkedAheadOfARestoredSourceParksAgainAfterARestart) {
  auto responses = Open("responses", "responses");
  const std::vector<EventEnvelope> published = LostAfterResponsesApplied(*responses);
  ASSERT_EQ(published.size(), 2u);
  {
    auto referrals = Restored("referrals-restored", published);
    auto consumer = Marking(responses.get());
    LocalFeed feed(referrals.get());
    ASSERT_TRUE(consumer->Run(feed).ok());
    ASSERT_TRUE(WaitUntil([&] { return !feed.Parked().empty(); }));
    feed.Stop();
  }
  // The process restarts before an operator decided; the restored referrals records anew.
  responses.reset();
  responses = Open("responses", "responses");
  auto referrals = Open("referrals-restored", "referrals");
  for (const char* org : {"x", "y", "z"}) Publish(*referrals, org);
  ASSERT_EQ(referrals->LastPosition(), 5u);

  auto consumer = Marking(responses.get());
  LocalFeed feed(referrals.get());
  ASSERT_TRUE(consumer->Run(feed).ok());
  ExpectParkedAhead(feed, *responses, "position 4 is another event");
  // A retry looks again, and parks again: the event at position 4 is still another one.
  ASSERT_TRUE(feed.Resume("referrals", 0).ok());
  ASSERT_TRUE(WaitUntil([&] { return !feed.Parked().empty(); }));
  EXPECT_FALSE(Applied(*responses, "z"));
  feed.Stop();
}

// Within one run the consumer's cursor passes what the source held when it opened: a feed
// started again in that run (after a stop) does not take that for a restore.
TEST_F(FeedAheadTest, AFeedStartedAgainInTheSameRunDoesNotParkOnTheSourcesNewEvents) {
  auto responses = Open("responses", "responses");
  auto referrals = Open("referrals", "referrals");
  Publish(*referrals, "a");
  {
    auto consumer = Marking(responses.get());
    LocalFeed feed(referrals.get());
    ASSERT_TRUE(consumer->Run(feed).ok());
    Publish(*referrals, "b");
    ASSERT_TRUE(WaitUntil([&] { return Applied(*responses, "b"); }));
    feed.Stop();
  }
  Publish(*referrals, "c");
  auto consumer = Marking(responses.get());
  LocalFeed feed(referrals.get());
  ASSERT_TRUE(consumer->Run(feed).ok());
  EXPECT_TRUE(WaitUntil([&] { return Applied(*responses, "c"); }))
      << (feed.Parked().empty() ? "" : feed.Parked().front().reason);
  feed.Stop();
}

}  // namespace
}  // namespace remiss::core
