// Per-source failure isolation: a consumer that runs two feeds (as followup does) gets a
// transient error (retried with backoff, nothing lost) and a poison event from one source
// (parks only that source: health is NOT_SERVING and names it, GetPositions shows it, the
// other source goes on); an operator then skips it through the AdminService, which records
// FeedEventSkipped with the operator's identity and reason, or retries it after a fix.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/service_host.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "tests/support/health.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

using remiss::testing::Registered;

class FeedParkingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = Open("alpha");
    b_ = Open("beta");
    store_ = Open("followup");
    consumer_ = std::make_unique<FeedConsumer>(store_.get(), [this](const FeedEvent& e, Tx& tx) {
      const std::string& org = e.envelope.referrals().organization_registered().org_id();
      if (org == "poison" && !fixed_) return absl::InvalidArgumentError("org_id: \"poison\" is refused");
      if (org == "flaky" && flaky_failures_ > 0) {
        --flaky_failures_;
        return absl::UnavailableError("the disk is busy");
      }
      tx.Put(absl::StrCat("applied/", e.source, "/", org), "1");
      return absl::OkStatus();
    });
    feed_a_ = std::make_unique<LocalFeed>(a_.get(), 8);
    feed_b_ = std::make_unique<LocalFeed>(b_.get(), 8);
    ASSERT_TRUE(consumer_->Run(*feed_a_).ok());
    ASSERT_TRUE(consumer_->Run(*feed_b_).ok());
    host_ = std::make_unique<ServiceHost>("127.0.0.1:0", 4 << 20);
    host_->AddModule({.name = "followup",
                      .grpc_service = "remiss.v1.FollowupService",
                      .store = store_.get(),
                      .feeds = {feed_a_.get(), feed_b_.get()},
                      .consumers = {consumer_.get()}});
    ASSERT_TRUE(host_->Start().ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->port()),
                                   grpc::InsecureChannelCredentials());
    admin_ = remiss::v1::AdminService::NewStub(channel_);
  }
  void TearDown() override {
    host_->Shutdown(absl::Seconds(1));
    feed_a_->Stop();
    feed_b_->Stop();
  }
  std::unique_ptr<EventStore> Open(const std::string& name) {
    auto s = EventStore::Open({.path = dir_.Sub(name), .source = name, .clock = &clock_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static void Publish(EventStore& store, const std::string& org) {
    ASSERT_TRUE(store.Execute({}, [&](Tx& tx) {
                       return tx.Append(absl::StrCat("organization/", org), std::nullopt, {Registered(org)});
                     }).ok());
  }
  bool Applied(const std::string& source, const std::string& org) {
    return store_->GetProjection(absl::StrCat("applied/", source, "/", org)).has_value();
  }
  bool WaitUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }
  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "stadsledningskontoret");
    ctx->AddMetadata("x-remiss-role", "operator");
    ctx->AddMetadata("x-remiss-person", "op-17");
    return ctx;
  }
  remiss::v1::FeedPosition Position(const std::string& source) {
    remiss::v1::GetPositionsRequest r;
    remiss::v1::Positions positions;
    EXPECT_TRUE(admin_->GetPositions(Ctx().get(), r, &positions).ok());
    for (const auto& s : positions.services()) {
      for (const auto& f : s.feeds()) {
        if (f.source() == source) return f;
      }
    }
    return {};
  }
  int Health() { return remiss::testing::HealthStatus(*channel_, "remiss.v1.FollowupService"); }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1612137600)};
  std::unique_ptr<EventStore> a_, b_, store_;
  std::atomic<bool> fixed_{false};
  std::atomic<int> flaky_failures_{0};
  std::unique_ptr<FeedConsumer> consumer_;
  std::unique_ptr<LocalFeed> feed_a_, feed_b_;
  std::unique_ptr<ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<remiss::v1::AdminService::Stub> admin_;
};

TEST_F(FeedParkingTest, ATransientErrorIsRetriedAndNothingIsLost) {
  flaky_failures_ = 3;
  Publish(*a_, "before");
  Publish(*a_, "flaky");
  Publish(*a_, "after");
  ASSERT_TRUE(WaitUntil([&] { return Applied("alpha", "after"); }));
  EXPECT_TRUE(Applied("alpha", "before"));
  EXPECT_TRUE(Applied("alpha", "flaky"));
  EXPECT_EQ(flaky_failures_, 0);
  EXPECT_TRUE(feed_a_->Parked().empty());
  EXPECT_TRUE(feed_a_->status().ok());
}

TEST_F(FeedParkingTest, APoisonEventParksOnlyItsSourceUntilAnOperatorSkipsIt) {
  Publish(*a_, "before");
  Publish(*a_, "poison");  // alpha position 2
  Publish(*a_, "after");
  ASSERT_TRUE(WaitUntil([&] { return !feed_a_->Parked().empty(); })) << "never parked";
  EXPECT_TRUE(Applied("alpha", "before")) << "what came before it was not delivered";
  EXPECT_FALSE(Applied("alpha", "after"));

  // The other source goes on.
  Publish(*b_, "unrelated");
  ASSERT_TRUE(WaitUntil([&] { return Applied("beta", "unrelated"); })) << "a poison event stopped every source";

  // Health and positions name it.
  ASSERT_TRUE(WaitUntil([&] { return Health() == 2; })) << "not NOT_SERVING while parked";
  remiss::v1::FeedPosition p = Position("alpha");
  ASSERT_TRUE(p.has_parked()) << p.ShortDebugString();
  EXPECT_EQ(p.parked().position(), 2u);
  EXPECT_NE(p.parked().reason().find("poison"), std::string::npos) << p.parked().reason();

  // A skip needs a reason and the parked event's position.
  remiss::v1::SkipParkedEventRequest skip;
  skip.set_source("alpha");
  skip.set_partition(0);
  skip.set_position(3);
  skip.set_reason("rättad manuellt i ärende 77");
  remiss::v1::ParkedEventAction action;
  grpc::Status refused = admin_->SkipParkedEvent(Ctx().get(), skip, &action);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message().rfind("position:", 0), 0u) << refused.error_message();
  skip.set_position(2);
  grpc::Status skipped = admin_->SkipParkedEvent(Ctx().get(), skip, &action);
  ASSERT_TRUE(skipped.ok()) << skipped.error_message();

  ASSERT_TRUE(WaitUntil([&] { return Applied("alpha", "after"); })) << "not resumed after the skip";
  EXPECT_FALSE(Applied("alpha", "poison"));
  ASSERT_TRUE(WaitUntil([&] { return Health() == 1; })) << "NOT_SERVING was never cleared";

  // The skip is a fact in the consumer's log, with the operator and the reason.
  auto events = store_->ReadStream("feed/alpha/0");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const EventEnvelope& e = events->front();
  EXPECT_EQ(e.type(), "FeedEventSkipped");
  EXPECT_EQ(e.position(), action.skip_position());
  EXPECT_EQ(e.actor().org_id(), "stadsledningskontoret");
  EXPECT_EQ(e.actor().role(), "operator");
  EXPECT_EQ(e.actor().person_id(), "op-17");
  const auto& fact = e.operations().feed_event_skipped();
  EXPECT_EQ(fact.source(), "alpha");
  EXPECT_EQ(fact.position(), 2u);
  EXPECT_EQ(fact.event_id(), "alpha-2");
  EXPECT_EQ(fact.reason(), "rättad manuellt i ärende 77");
  EXPECT_NE(fact.failure().find("poison"), std::string::npos);
}

TEST_F(FeedParkingTest, AfterAFixAnOperatorRetriesTheParkedEvent) {
  Publish(*a_, "poison");
  ASSERT_TRUE(WaitUntil([&] { return !feed_a_->Parked().empty(); }));
  remiss::v1::RetryParkedEventRequest retry;
  retry.set_source("alpha");
  remiss::v1::ParkedEventAction action;
  fixed_ = true;  // say, a new build that understands it
  grpc::Status s = admin_->RetryParkedEvent(Ctx().get(), retry, &action);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(action.event().position(), 1u);
  ASSERT_TRUE(WaitUntil([&] { return Applied("alpha", "poison"); }));
  EXPECT_TRUE(feed_a_->Parked().empty());
  retry.set_source("beta");
  EXPECT_EQ(admin_->RetryParkedEvent(Ctx().get(), retry, &action).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace remiss::core
