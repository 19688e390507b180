// Store incarnations: a store keeps the id it was created with; every event carries it and,
// when recorded from a feed, where it was consumed from. A consumer that meets a new
// incarnation of a source it has read (the source's store wiped and started afresh, its
// positions from 1 again) parks that feed loudly instead of taking the new events for
// repeats. And the import a restore from Kafka makes: positions back in place, a gap or a
// position with two contents refused by name, cursors and command records taken from the
// events.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/feeds/local_feed.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"
#include "tests/support/versions_projector.h"

namespace remiss::core {
namespace {

using remiss::testing::Registered;
using remiss::testing::VersionsProjector;
using remiss::v1::EventEnvelope;

class IncarnationTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> Open(const std::string& dir, const std::string& source) {
    auto s = EventStore::Open({.path = dir_.Sub(dir), .source = source, .clock = &clock_,
                               .projector = &projector_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static void Publish(EventStore& store, const std::string& org, const std::string& command_id = "") {
    CommandMeta meta;
    meta.command_id = command_id;
    meta.actor.set_org_id("ks");
    ASSERT_TRUE(store.Execute(meta, [&](Tx& tx) {
                       return tx.Append(absl::StrCat("organization/", org), std::nullopt,
                                        {Registered(org)});
                     }).ok());
  }
  static std::vector<EventEnvelope> Log(const EventStore& store) {
    auto log = store.ReadLog(1, 1000);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *log : std::vector<EventEnvelope>{};
  }
  static bool WaitUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return done();
  }
  // A consumer that records one event of its own for every source event it applies.
  std::unique_ptr<FeedConsumer> Restating(EventStore* store) {
    return std::make_unique<FeedConsumer>(store, [](const FeedEvent& e, Tx& tx) {
      const std::string org = e.envelope.referrals().organization_registered().org_id();
      return tx.Append(absl::StrCat("seen/", org), std::nullopt, {Registered(org)});
    });
  }

  remiss::testing::TempDir dir_;
  VersionsProjector projector_;
  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
};

TEST_F(IncarnationTest, AStoreKeepsItsIncarnationAcrossRestartsAndPutsItOnEveryEvent) {
  std::string first;
  {
    auto store = Open("a", "referrals");
    first = store->incarnation();
    EXPECT_EQ(first.size(), 32u);
    Publish(*store, "bromma-sdn");
  }
  auto again = Open("a", "referrals");
  EXPECT_EQ(again->incarnation(), first);
  Publish(*again, "sodermalm-sdn");
  for (const EventEnvelope& e : Log(*again)) EXPECT_EQ(e.incarnation(), first) << e.position();
  auto other = Open("b", "referrals");
  EXPECT_NE(other->incarnation(), first) << "two stores, one incarnation";
}

TEST_F(IncarnationTest, EventsRecordedFromAFeedSayWhereTheyWereConsumedFrom) {
  auto source = Open("referrals", "referrals");
  auto store = Open("responses", "responses");
  auto consumer = Restating(store.get());
  Publish(*source, "bromma-sdn");
  Publish(*source, "sodermalm-sdn");
  LocalFeed feed(source.get());
  ASSERT_TRUE(consumer->Run(feed).ok());
  ASSERT_TRUE(WaitUntil([&] { return store->LastPosition() == 2; }));
  feed.Stop();
  std::vector<EventEnvelope> log = Log(*store);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].consumed().source(), "referrals");
  EXPECT_EQ(log[1].consumed().position(), 2u);
  EXPECT_EQ(log[1].consumed().offset(), 2);
  EXPECT_EQ(log[1].consumed().incarnation(), source->incarnation());
  Publish(*store, "direct", "c1");
  EXPECT_FALSE(Log(*store).back().has_consumed()) << "a command's event was marked consumed";
}

// The source's store is wiped and started afresh: its new events are numbered from 1 again.
// Before incarnations, the consumer took them for repeats (or waited silently until the new
// positions passed its cursor) and never applied them.
TEST_F(IncarnationTest, AConsumerParksANewIncarnationOfItsSourceInsteadOfDroppingItsEvents) {
  auto store = Open("responses", "responses");
  auto consumer = Restating(store.get());
  {
    auto source = Open("referrals-1", "referrals");
    for (const char* org : {"a", "b", "c"}) Publish(*source, org);
    LocalFeed feed(source.get());
    ASSERT_TRUE(consumer->Run(feed).ok());
    ASSERT_TRUE(WaitUntil([&] { return store->LastPosition() == 3; }));
    feed.Stop();
  }
  auto fresh = Open("referrals-2", "referrals");  // the same source, started afresh
  Publish(*fresh, "d");
  LocalFeed feed(fresh.get());
  auto second = Restating(store.get());
  ASSERT_TRUE(second->Run(feed).ok());
  ASSERT_TRUE(WaitUntil([&] { return !feed.Parked().empty(); }))
      << "the new store's events were dropped silently";
  const ParkedEvent parked = feed.Parked().front();
  EXPECT_EQ(parked.source, "referrals");
  EXPECT_EQ(parked.position, 1u);
  EXPECT_NE(parked.reason.find("new store"), std::string::npos) << parked.reason;
  EXPECT_NE(parked.reason.find(fresh->incarnation()), std::string::npos) << parked.reason;
  EXPECT_EQ(store->LastPosition(), 3u) << "the new incarnation's events were applied";
  feed.Stop();
}

TEST_F(IncarnationTest, AnImportPutsTheLogBackWithCursorsAndCommandRecords) {
  std::vector<EventEnvelope> lost;
  std::string incarnation;
  Digest digest;
  {
    auto source = Open("referrals", "referrals");
    auto store = Open("responses", "responses");
    auto consumer = Restating(store.get());
    Publish(*source, "a");
    Publish(*source, "b");
    LocalFeed feed(source.get());
    ASSERT_TRUE(consumer->Run(feed).ok());
    ASSERT_TRUE(WaitUntil([&] { return store->LastPosition() == 2; }));
    feed.Stop();
    Publish(*store, "own", "c1");
    lost = Log(*store);
    incarnation = store->incarnation();
    digest = store->ProjectionDigest();
  }
  auto restored = Open("restored", "responses");
  // Out of order and with a duplicate, as partitions and a relay's resends deliver them.
  std::vector<EventEnvelope> delivered = {lost[2], lost[0], lost[1], lost[0]};
  uint64_t duplicates = 0;
  ASSERT_TRUE(restored->ImportEvents(delivered, &duplicates).ok());
  EXPECT_EQ(duplicates, 1u);
  auto result = restored->FinishImport();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events, 3u);
  EXPECT_EQ(restored->LastPosition(), 3u);
  EXPECT_EQ(restored->incarnation(), incarnation);
  EXPECT_EQ(result->digest.sha256, digest.sha256);
  EXPECT_EQ(result->digest.entries, 3u);
  auto cursor = restored->GetFeedCursor("referrals", 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->position, 2u);
  EXPECT_EQ(result->command_records, 1u);
  // The command's retry is answered from the restored record, not executed again.
  CommandMeta meta;
  meta.command_id = "c1";
  meta.actor.set_org_id("ks");
  meta.fingerprint = "whatever the retry's fingerprint";
  auto retry = restored->Execute(meta, [](Tx& tx) {
    return tx.Append("organization/own", std::nullopt, {Registered("own")});
  });
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->repeated);
  EXPECT_EQ(retry->last_position, 3u);
  // The log goes on after the restored one.
  Publish(*restored, "next", "c2");
  EXPECT_EQ(restored->LastPosition(), 4u);
  EXPECT_EQ(Log(*restored).back().incarnation(), incarnation);
  // Reopened, it is the same store.
  restored.reset();
  auto reopened = Open("restored", "responses");
  EXPECT_EQ(reopened->incarnation(), incarnation);
  EXPECT_EQ(reopened->LastPosition(), 4u);
}

TEST_F(IncarnationTest, AnImportRefusesAGapAndAPositionWithTwoContentsNamingThem) {
  std::vector<EventEnvelope> log;
  {
    auto store = Open("referrals", "referrals");
    for (const char* org : {"a", "b", "c", "d"}) Publish(*store, org);
    log = Log(*store);
  }
  {
    auto gap = Open("gap", "referrals");
    ASSERT_TRUE(gap->ImportEvents({log[0], log[1], log[3]}, nullptr).ok());
    auto result = gap->FinishImport();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("positions 3..3"), std::string::npos)
        << result.status();
    EXPECT_EQ(gap->LastPosition(), 0u);
  }
  auto twice = Open("twice", "referrals");
  EventEnvelope other = log[1];
  other.mutable_referrals()->mutable_organization_registered()->set_name("Another");
  absl::Status s = twice->ImportEvents({log[0], log[1], other}, nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("position 2"), std::string::npos) << s;
  EventEnvelope foreign = log[0];
  foreign.set_source("responses");
  EXPECT_EQ(twice->ImportEvents({foreign}, nullptr).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(IncarnationTest, OnlyAnEmptyStoreIsImportedInto) {
  auto store = Open("referrals", "referrals");
  Publish(*store, "a");
  std::vector<EventEnvelope> log = Log(*store);
  EXPECT_EQ(store->ImportEvents(log, nullptr).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->FinishImport().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace remiss::core
