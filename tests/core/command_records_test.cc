// The store's promises to a client's command under misuse: a retry gets the first result,
// a reused command_id with other content is refused, records are per calling organization
// and expire, the writer queue is bounded, a command whose caller gave up is not executed,
// and an event over the byte budget is refused naming its largest field.
#include <gtest/gtest.h>

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "remiss/core/base/byte_budget.h"
#include "remiss/core/store/event_store.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

using remiss::v1::EventEnvelope;

using remiss::testing::Registered;

CommandMeta Command(const std::string& org, const std::string& id, const std::string& fingerprint) {
  CommandMeta meta;
  meta.command_id = id;
  meta.command = "RegisterOrganization";
  meta.fingerprint = fingerprint;
  meta.actor.set_org_id(org);
  return meta;
}

class CommandRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open({}); }
  void Open(EventStoreOptions options) {
    store_.reset();
    options.path = dir_.Sub("store");
    options.source = "referrals";
    options.clock = &clock_;
    auto s = EventStore::Open(std::move(options));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  // Registers `org_id` under the command (org, id, fingerprint); counts the runs.
  absl::StatusOr<CommitResult> Register(const CommandMeta& meta, const std::string& org_id,
                                        const std::string& name = "Bromma") {
    return store_->Execute(meta, [&, org_id, name](Tx& tx) {
      ++runs_;
      return tx.Append(absl::StrCat("organization/", org_id), std::nullopt, {Registered(org_id, name)});
    });
  }
  // Occupies the writer until the returned notification is notified.
  std::shared_ptr<absl::Notification> BlockWriter() {
    auto release = std::make_shared<absl::Notification>();
    absl::Notification started;
    store_->Submit({}, [&started, release](Tx&) {
      started.Notify();
      release->WaitForNotification();
      return absl::OkStatus();
    }, [](absl::StatusOr<CommitResult>) {});
    started.WaitForNotification();
    return release;
  }

  remiss::testing::TempDir dir_;
  ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<EventStore> store_;
  std::atomic<int> runs_{0};
};

TEST_F(CommandRecordsTest, ARetryGetsTheFirstResultMarkedRepeated) {
  auto first = Register(Command("bromma-sdn", "1", "fp-a"), "bromma-sdn");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->repeated);
  auto again = Register(Command("bromma-sdn", "1", "fp-a"), "bromma-sdn");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(again->stream_id, first->stream_id);
  EXPECT_EQ(again->first_position, first->first_position);
  EXPECT_EQ(again->stream_version, first->stream_version);
  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(CommandRecordsTest, AReusedIdWithOtherContentIsRefusedNamingTheFirstAndRecordsNothing) {
  ASSERT_TRUE(Register(Command("ks", "1", "fp-a"), "bromma-sdn").ok());
  auto other = Register(Command("ks", "1", "fp-b"), "sodermalm-sdn");
  ASSERT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists) << other.status();
  EXPECT_NE(other.status().message().find("command_id: \"1\" was already used"), std::string::npos)
      << other.status();
  EXPECT_NE(other.status().message().find("RegisterOrganization on organization/bromma-sdn"),
            std::string::npos)
      << other.status();
  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(store_->LastPosition(), 1u);
  EXPECT_TRUE(store_->ReadStream("organization/sodermalm-sdn")->empty());
}

TEST_F(CommandRecordsTest, RecordsAreKeptPerCallingOrganization) {
  // Two boards' diary integrations both number their commands from 1.
  auto bromma = Register(Command("bromma-sdn", "1", "fp-a"), "bromma-sdn");
  auto sodermalm = Register(Command("sodermalm-sdn", "1", "fp-b"), "sodermalm-sdn");
  ASSERT_TRUE(bromma.ok()) << bromma.status();
  ASSERT_TRUE(sodermalm.ok()) << sodermalm.status();
  EXPECT_FALSE(sodermalm->repeated);
  EXPECT_EQ(sodermalm->stream_id, "organization/sodermalm-sdn");
  EXPECT_EQ(store_->LastPosition(), 2u);
  EXPECT_EQ(store_->CommandRecordCount(), 2u);
}

TEST_F(CommandRecordsTest, RecordsExpireAfterTheRetentionAndArePruned) {
  Open({.command_retention = absl::Hours(24 * 30)});
  ASSERT_TRUE(Register(Command("ks", "a", "fp-a"), "org-a").ok());
  ASSERT_TRUE(Register(Command("ks", "b", "fp-b"), "org-b").ok());
  ASSERT_TRUE(Register(Command("ks", "c", "fp-c"), "org-c").ok());
  EXPECT_EQ(store_->CommandRecordCount(), 3u);

  clock_.Advance(absl::Hours(24 * 29));
  auto within = Register(Command("ks", "a", "fp-other"), "org-x");
  EXPECT_EQ(within.status().code(), absl::StatusCode::kAlreadyExists) << within.status();
  EXPECT_EQ(store_->CommandRecordCount(), 3u);

  clock_.Advance(absl::Hours(24 * 2));  // 31 days after: the id is free again
  auto after = Register(Command("ks", "a", "fp-other"), "org-x");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->repeated);
  EXPECT_EQ(store_->ReadStream("organization/org-x")->size(), 1u);
  // b and c were pruned; a holds the new command's record.
  EXPECT_EQ(store_->CommandRecordCount(), 1u);
  auto retry = Register(Command("ks", "a", "fp-other"), "org-x");
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->repeated);
}

TEST_F(CommandRecordsTest, AFullQueueRefusesCommandsWithResourceExhausted) {
  Open({.max_queue = 2});
  auto release = BlockWriter();
  std::vector<absl::StatusOr<CommitResult>> done(2, absl::UnknownError("not yet"));
  absl::Notification both;
  std::atomic<int> finished{0};
  for (int i = 0; i < 2; ++i) {
    store_->Submit(Command("ks", absl::StrCat("q", i), "fp"),
                   [i](Tx& tx) {
                     return tx.Append(absl::StrCat("organization/q", i), std::nullopt,
                                      {Registered(absl::StrCat("q", i))});
                   },
                   [&, i](absl::StatusOr<CommitResult> r) {
                     done[i] = std::move(r);
                     if (++finished == 2) both.Notify();
                   });
  }
  auto refused = Register(Command("ks", "q2", "fp"), "q2");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(runs_, 0);
  release->Notify();
  both.WaitForNotification();
  EXPECT_TRUE(done[0].ok()) << done[0].status();
  EXPECT_TRUE(done[1].ok()) << done[1].status();
  // Room again once the writer caught up.
  EXPECT_TRUE(Register(Command("ks", "q3", "fp"), "q3").ok());
}

TEST_F(CommandRecordsTest, ACommandWhoseCallerGaveUpWhileQueuedIsNotExecuted) {
  auto release = BlockWriter();
  CommandMeta meta = Command("ks", "late", "fp");
  meta.deadline = absl::Now() + absl::Milliseconds(50);
  absl::Notification finished;
  absl::StatusOr<CommitResult> result;
  store_->Submit(meta, [&](Tx& tx) {
    ++runs_;
    return tx.Append("organization/late", std::nullopt, {Registered("late")});
  }, [&](absl::StatusOr<CommitResult> r) {
    result = std::move(r);
    finished.Notify();
  });
  absl::SleepFor(absl::Milliseconds(150));
  release->Notify();
  finished.WaitForNotification();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  EXPECT_EQ(runs_, 0);
  EXPECT_EQ(store_->LastPosition(), 0u);
  EXPECT_EQ(store_->CommandRecordCount(), 0u);  // a retry will run it
}

TEST_F(CommandRecordsTest, AnEventOverTheBudgetIsRefusedNamingItsLargestField) {
  const std::string huge(kMaxCommandEventBytes, 'x');
  auto r = Register(Command("ks", "big", "fp"), "big", huge);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_TRUE(absl::StartsWith(r.status().message(), "name: the OrganizationRegistered it records would be"))
      << r.status();
  EXPECT_EQ(store_->LastPosition(), 0u);
  EXPECT_EQ(store_->CommandRecordCount(), 0u);
  // Feeds' restatements of another service's events may be a little larger.
  auto feed = store_->Execute({}, [&](Tx& tx) {
    return tx.Append("organization/big", std::nullopt, {Registered("big", huge)});
  });
  EXPECT_TRUE(feed.ok()) << feed.status();
}

}  // namespace
}  // namespace remiss::core
