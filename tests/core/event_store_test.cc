#include "remiss/core/store/event_store.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

using remiss::testing::Registered;

// Counts events per stream and in all, as a projection.
class CountingProjector : public Projector {
 public:
  absl::Status Apply(const EventEnvelope& e, ProjectionTx& tx) override {
    if (fail_on_ && e.referrals().organization_registered().name() == *fail_on_) {
      return absl::InvalidArgumentError("name: refused by the projector");
    }
    for (const std::string key : {absl::StrCat("count/", e.stream_id()), std::string("total")}) {
      auto v = tx.Get(key);
      tx.Put(key, EncodeU64((v ? DecodeU64(*v) : 0) + 1));
    }
    return absl::OkStatus();
  }
  std::optional<std::string> fail_on_;
};

uint64_t Count(const EventStore& store, const std::string& key) {
  auto v = store.GetProjection(key);
  return v ? DecodeU64(*v) : 0;
}

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = EventStore::Open({.path = dir_.Sub("store"), .source = "referrals", .clock = &clock_,
                               .projector = &projector_});
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  absl::StatusOr<CommitResult> Append(const std::string& command_id, const std::string& stream,
                                      std::optional<uint64_t> expected,
                                      std::vector<EventEnvelope> events) {
    return store_->Execute({.command_id = command_id}, [&](Tx& tx) {
      return tx.Append(stream, expected, events);
    });
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  CountingProjector projector_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, AppendFillsTheEnvelopeAndReadsBack) {
  auto r = Append("c1", "organization/bromma-sdn", 0, {Registered("bromma-sdn")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream_version, 1u);
  EXPECT_EQ(r->first_position, 1u);
  EXPECT_EQ(r->last_position, 1u);

  auto stream = store_->ReadStream("organization/bromma-sdn");
  ASSERT_TRUE(stream.ok());
  ASSERT_EQ(stream->size(), 1u);
  const EventEnvelope& e = (*stream)[0];
  EXPECT_EQ(e.event_id(), "referrals-1");
  EXPECT_EQ(e.source(), "referrals");
  EXPECT_EQ(e.type(), "OrganizationRegistered");
  EXPECT_EQ(e.stream_version(), 1u);
  EXPECT_EQ(e.command_id(), "c1");
  EXPECT_EQ(e.recorded_at().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(e.occurred_at().seconds(), e.recorded_at().seconds());
  EXPECT_EQ(Count(*store_, "count/organization/bromma-sdn"), 1u);
}

// What the relay publishes: the stored bytes, each parsing to the event ReadLog gives.
TEST_F(EventStoreTest, ReadLogBytesGivesTheStoredEventsFromAPositionOn) {
  for (const char* org : {"bromma-sdn", "sodermalm-sdn", "kyrkogardsnamnden"}) {
    ASSERT_TRUE(Append(absl::StrCat("c-", org), absl::StrCat("organization/", org), 0, {Registered(org)}).ok());
  }
  auto bytes = store_->ReadLogBytes(2, 10);
  auto parsed = store_->ReadLog(2, 10);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(bytes->size(), 2u);
  ASSERT_EQ(parsed->size(), 2u);
  for (size_t i = 0; i < bytes->size(); ++i) {
    EXPECT_EQ((*bytes)[i].first, 2 + i);
    EventEnvelope e;
    ASSERT_TRUE(e.ParseFromString((*bytes)[i].second));
    EXPECT_EQ(e.SerializeAsString(), (*parsed)[i].SerializeAsString());
    EXPECT_EQ(e.position(), 2 + i);
  }
  auto one = store_->ReadLogBytes(3, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().first, 3u);
  auto none = store_->ReadLogBytes(4, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// A consumer's progress that records no event is written without an fsync of its own; it is
// still there after the store is closed and opened again, and a command after it is durable.
TEST_F(EventStoreTest, AConsumersProgressWithoutEventsIsKeptAcrossAReopen) {
  auto moved = store_->Execute({}, [](Tx& tx) {
    tx.SetFeedCursor("referrals", 0, FeedCursor{.offset = 41, .position = 42, .incarnation = "i1",
                                                .fingerprint = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"});
    tx.SetFeedCursor("responses", 0, FeedCursor{.offset = 7, .position = 7, .incarnation = "i2"});
    return absl::OkStatus();
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->first_position, 0u);
  ASSERT_TRUE(Append("c1", "organization/bromma-sdn", 0, {Registered("bromma-sdn")}).ok());
  Reopen();
  auto cursor = store_->GetFeedCursor("referrals", 0);
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->offset, 41);
  EXPECT_EQ(cursor->position, 42u);
  EXPECT_EQ(cursor->incarnation, "i1");
  EXPECT_EQ(cursor->fingerprint, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  auto without = store_->GetFeedCursor("responses", 0);  // as a cursor from before fingerprints
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->incarnation, "i2");
  EXPECT_EQ(without->fingerprint, "");
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, ExpectedVersionConflictIsAbortedWithTheCurrentVersion) {
  ASSERT_TRUE(Append("c1", "s", std::nullopt, {Registered("a"), Registered("a")}).ok());
  auto r = Append("c2", "s", 1, {Registered("a")});
  ASSERT_EQ(r.status().code(), absl::StatusCode::kAborted);
  EXPECT_NE(r.status().message().find("current version is 2"), absl::string_view::npos)
      << r.status();
  EXPECT_EQ(store_->LastPosition(), 2u);
  EXPECT_TRUE(Append("c3", "s", 2, {Registered("a")}).ok());
}

TEST_F(EventStoreTest, RepeatedCommandIdReturnsTheFirstResultAndAppendsNothing) {
  auto first = Append("same", "s", std::nullopt, {Registered("a")});
  ASSERT_TRUE(first.ok());
  auto again = Append("same", "s", std::nullopt, {Registered("a")});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(again->first_position, first->first_position);
  EXPECT_EQ(again->stream_version, 1u);
  EXPECT_EQ(store_->LastPosition(), 1u);
  Reopen();  // the record survives a restart
  auto later = Append("same", "s", std::nullopt, {Registered("a")});
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->repeated);
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(EventStoreTest, AFailedTransactionLeavesNothingAndKeepsPositionsGapFree) {
  projector_.fail_on_ = "bad";
  auto r = Append("c1", "s", std::nullopt, {Registered("a"), Registered("a", "bad")});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->LastPosition(), 0u);
  EXPECT_EQ(Count(*store_, "total"), 0u);
  // The failed command id was not recorded: a corrected retry goes through.
  projector_.fail_on_.reset();
  auto ok = Append("c1", "s", std::nullopt, {Registered("a")});
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->repeated);
  EXPECT_EQ(ok->first_position, 1u);
}

TEST_F(EventStoreTest, ConcurrentAppendsAreAllDurableAndGapFree) {
  constexpr int kThreads = 8, kPerThread = 150;
  std::vector<std::thread> threads;
  std::atomic<int> acknowledged{0};
  std::atomic<bool> done{false};
  std::atomic<int> violations{0};
  // A reader never sees a projection change before its event: when the projection counts
  // n events, the event at position n is in the log (positions are gap-free from 1).
  std::thread reader([&] {
    while (!done) {
      uint64_t projected = Count(*store_, "total");
      if (projected == 0) continue;
      auto at = store_->ReadLog(projected, 1);
      if (!at.ok() || at->empty() || (*at)[0].position() != projected) ++violations;
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string stream = absl::StrCat("stream-", t, "-", i % 5);
        auto r = Append(absl::StrCat("cmd-", t, "-", i), stream, std::nullopt, {Registered("x")});
        if (r.ok()) ++acknowledged;
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  EXPECT_EQ(violations.load(), 0);
  ASSERT_EQ(acknowledged.load(), kThreads * kPerThread);

  Reopen();
  auto log = store_->ReadLog(1, 100000);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), static_cast<size_t>(kThreads * kPerThread));
  std::map<std::string, uint64_t> versions;
  for (size_t i = 0; i < log->size(); ++i) {
    EXPECT_EQ((*log)[i].position(), i + 1);
    EXPECT_EQ((*log)[i].stream_version(), ++versions[(*log)[i].stream_id()]);
  }
  EXPECT_EQ(Count(*store_, "total"), log->size());
}

TEST_F(EventStoreTest, TheSameStreamInOneGroupSeesEarlierStagedEvents) {
  // Many submissions at once end up in few groups; versions must still follow each other.
  std::vector<std::thread> threads;
  std::atomic<int> conflicts{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto r = store_->Execute({}, [](Tx& tx) {
          return tx.Append("one", tx.StreamVersion("one"), {Registered("x")});
        });
        if (!r.ok()) ++conflicts;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(conflicts.load(), 0);
  auto stream = store_->ReadStream("one");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream->size(), 200u);
}

TEST_F(EventStoreTest, RebuildGivesTheSameDigest) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(Append("", absl::StrCat("s", i % 7), std::nullopt, {Registered("x")}).ok());
  }
  Digest live = store_->ProjectionDigest();
  EXPECT_EQ(live.entries, 8u);  // seven streams and the total
  // Damage the projections: a rebuild must restore them exactly.
  ASSERT_TRUE(store_->Execute({}, [](Tx& tx) {
                      tx.Put("count/s1", "garbage");
                      tx.Put("stray", "x");
                      return absl::OkStatus();
                    }).ok());
  EXPECT_NE(store_->ProjectionDigest().sha256, live.sha256);
  auto rebuilt = store_->RebuildProjections();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->sha256, live.sha256);
  EXPECT_EQ(rebuilt->entries, live.entries);
}

TEST_F(EventStoreTest, AScanInsideATransactionSeesWhatItStaged) {
  ASSERT_TRUE(store_->Execute({}, [](Tx& tx) {
                      tx.Put("idx/a", "1");
                      tx.Put("idx/b", "2");
                      return absl::OkStatus();
                    }).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store_->Execute({}, [&](Tx& tx) {
                      tx.Delete("idx/a");
                      tx.Put("idx/c", "3");
                      tx.Put("other", "x");
                      tx.Scan("idx/", [&](absl::string_view k, absl::string_view v) {
                        seen.push_back(absl::StrCat(k, "=", v));
                        return true;
                      });
                      return absl::OkStatus();
                    }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"idx/b=2", "idx/c=3"}));
}

TEST_F(EventStoreTest, WaitForPositionWakesOnCommit) {
  EXPECT_FALSE(store_->WaitForPosition(0, absl::Milliseconds(10)));
  std::thread writer([&] { ASSERT_TRUE(Append("", "s", std::nullopt, {Registered("x")}).ok()); });
  EXPECT_TRUE(store_->WaitForPosition(0, absl::Seconds(10)));
  writer.join();
}

TEST_F(EventStoreTest, MetaAndFeedCursorsSurviveReopen) {
  ASSERT_TRUE(store_->PutMeta("relay/cursor", EncodeU64(42)).ok());
  ASSERT_TRUE(store_->Execute({}, [](Tx& tx) {
                      tx.SetFeedCursor("referrals", 3, FeedCursor{17, 9});
                      return absl::OkStatus();
                    }).ok());
  Reopen();
  EXPECT_EQ(DecodeU64(*store_->GetMeta("relay/cursor")), 42u);
  auto c = store_->GetFeedCursor("referrals", 3);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->offset, 17);
  EXPECT_EQ(c->position, 9u);
  auto all = store_->FeedCursors();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(std::get<0>(all[0]), "referrals");
  EXPECT_EQ(std::get<1>(all[0]), 3);
}

}  // namespace
}  // namespace remiss::core
