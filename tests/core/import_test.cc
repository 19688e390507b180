// A restore's import into an empty store: cut short, it leaves a store that refuses to serve
// (not a store that runs on half a log) until the import is done again; finished, it gives
// back the feed cursors with the kind of feed whose offsets they are.
#include <gtest/gtest.h>

#include "remiss/core/store/event_store.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/server/prepare_store.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"
#include "tests/support/versions_projector.h"

namespace remiss::core {
namespace {

using remiss::testing::Registered;
using remiss::v1::EventEnvelope;

class ImportTest : public ::testing::Test {
 protected:
  std::unique_ptr<EventStore> Open(const std::string& name) {
    auto s = EventStore::Open({.path = dir_.Sub(name), .source = "referrals", .clock = &clock_,
                               .projector = &projector_});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // What a source store recorded, as its topic holds it: n events, the later ones consumed
  // from responses through a feed of `kind`.
  std::vector<EventEnvelope> Recorded(int n, const std::string& kind) {
    std::unique_ptr<EventStore> source = Open("source");
    for (int i = 0; i < n; ++i) {
      const std::string org = "org-" + std::to_string(i);
      auto r = source->Execute({}, [&](Tx& tx) {
        remiss::v1::ConsumedFrom consumed;
        consumed.set_source("responses");
        consumed.set_partition(0);
        consumed.set_offset(100 + i);
        consumed.set_position(i + 1);
        consumed.set_incarnation("resp-1");
        consumed.set_feed_kind(kind);
        tx.SetConsumed(&consumed);
        return tx.Append("organization/" + org, 0, {Registered(org)});
      });
      EXPECT_TRUE(r.ok()) << r.status();
    }
    auto log = source->ReadLog(1, n);
    EXPECT_TRUE(log.ok());
    digest_ = source->ProjectionDigest();
    return *log;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromUnixSeconds(1612137600)};
  remiss::testing::VersionsProjector projector_;
  Digest digest_;
};

// C6: an import cut short (the process killed between ImportEvents and FinishImport's end)
// leaves a store that refuses commands and refuses to start without a restore; started with
// one, the half import is discarded and done again.
TEST_F(ImportTest, AnImportCutShortRefusesToServeAndFinishesOnRetry) {
  const std::vector<EventEnvelope> events = Recorded(20, "kafka");
  {
    std::unique_ptr<EventStore> target = Open("target");
    ASSERT_TRUE(target->ImportEvents({events.begin(), events.begin() + 12}, nullptr).ok());
  }  // cut short: no FinishImport
  std::unique_ptr<EventStore> target = Open("target");
  ASSERT_NE(target, nullptr);
  EXPECT_TRUE(target->ImportUnfinished());
  auto r = target->Execute({.command_id = "c1", .command = "RegisterOrganization"}, [](Tx& tx) {
    return tx.Append("organization/new", 0, {Registered("new")});
  });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  ModuleSettings settings;
  settings.kafka_brokers = "127.0.0.1:1";  // never reached: it refuses first
  absl::Status start = PrepareStore(target.get(), settings);
  EXPECT_EQ(start.code(), absl::StatusCode::kFailedPrecondition) << start;
  EXPECT_NE(start.message().find("--restore-from-kafka"), std::string::npos) << start;
  ModuleSettings embedded;  // no Kafka at all: still no serving
  EXPECT_FALSE(PrepareStore(target.get(), embedded).ok());

  // The retry: discard, import all of it, finish.
  ASSERT_TRUE(target->DiscardImport().ok());
  EXPECT_EQ(target->LastPosition(), 0u);
  ASSERT_TRUE(target->ImportEvents(events, nullptr).ok());
  auto done = target->FinishImport();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->events, 20u);
  EXPECT_EQ(done->digest.sha256, digest_.sha256);
  EXPECT_FALSE(target->ImportUnfinished());
  target.reset();
  target = Open("target");
  EXPECT_FALSE(target->ImportUnfinished());
  EXPECT_TRUE(PrepareStore(target.get(), embedded).ok());
  auto after = target->Execute({.command_id = "c1", .command = "RegisterOrganization"}, [](Tx& tx) {
    return tx.Append("organization/new", 0, {Registered("new")});
  });
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->first_position, 21u);
}

// A restore gives back the records of commands within retention with the request's
// fingerprint (carried by their events): a retry of the same request is answered as a repeat,
// and one with other content under the same id is refused, as before the store was lost.
// (Restored records used to have no fingerprint, and answered any content as a repeat: found
// by the simulation, remissd+kafka seed 2.)
TEST_F(ImportTest, RestoredCommandRecordsRefuseARetryWithOtherContent) {
  std::unique_ptr<EventStore> source = Open("source");
  const CommandMeta first{.command_id = "c1", .command = "RegisterOrganization", .fingerprint = "request-A"};
  auto r = source->Execute(first, [](Tx& tx) { return tx.Append("organization/a", 0, {Registered("a")}); });
  ASSERT_TRUE(r.ok()) << r.status();
  auto log = source->ReadLog(1, 10);
  ASSERT_TRUE(log.ok());
  source.reset();

  std::unique_ptr<EventStore> target = Open("target");
  ASSERT_TRUE(target->ImportEvents(*log, nullptr).ok());
  auto done = target->FinishImport();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->command_records, 1u);
  auto append_b = [](Tx& tx) { return tx.Append("organization/b", 0, {Registered("b")}); };

  CommandMeta other = first;
  other.fingerprint = "request-B";
  auto refused = target->Execute(other, append_b);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists) << refused.status();
  EXPECT_NE(refused.status().message().find("RegisterOrganization"), std::string::npos)
      << refused.status();

  auto repeated = target->Execute(first, append_b);
  ASSERT_TRUE(repeated.ok()) << repeated.status();
  EXPECT_TRUE(repeated->repeated);
  EXPECT_EQ(repeated->first_position, 1u);
  EXPECT_EQ(target->LastPosition(), 1u);
}

// C11: the restored cursors keep the kind of feed whose offsets they are, so that a feed of
// the other kind refuses them (FeedConsumer::Run) instead of reading Kafka offsets as
// positions or the other way round.
TEST_F(ImportTest, RestoredFeedCursorsKeepTheirFeedsKind) {
  const std::vector<EventEnvelope> events = Recorded(5, "kafka");
  std::unique_ptr<EventStore> target = Open("target");
  ASSERT_TRUE(target->ImportEvents(events, nullptr).ok());
  auto done = target->FinishImport();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->feed_cursors, 1u);
  EXPECT_EQ(target->GetMeta("feeds/kind"), "kafka");
  auto cursor = target->GetFeedCursor("responses", 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->offset, 104);
  EXPECT_EQ(cursor->position, 5u);
}

}  // namespace
}  // namespace remiss::core

namespace remiss::core {
namespace {

// C13: an empty store whose broker does not answer does not start fresh (it could never
// publish on a topic that holds an earlier store's events): it asks again, then refuses.
TEST(PrepareStoreTest, AnEmptyStoreWithASilentBrokerRefusesToStartFresh) {
  remiss::testing::TempDir dir;
  ManualClock clock(absl::FromUnixSeconds(1612137600));
  auto store = EventStore::Open({.path = dir.Sub("store"), .source = "referrals", .clock = &clock});
  ASSERT_TRUE(store.ok()) << store.status();
  ModuleSettings settings;
  settings.kafka_brokers = "127.0.0.1:9";  // discard: nothing answers there
  settings.topic_check_budget = absl::Seconds(2);
  absl::Status started = PrepareStore(store->get(), settings);
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable) << started;
  EXPECT_NE(started.message().find("does not start fresh"), std::string::npos) << started;
}

}  // namespace
}  // namespace remiss::core
