// The seeded random workload (random_commands.h) over Kafka, compared with remissd.
//
// The same commands, drawn from the printed seed, go to the four services as their own
// processes over a real broker, and to one remissd: in batches, each batch to one service,
// one command after another, every run settling between batches (every relay published,
// every consumer caught up) and moving the manual clock at the same points, so that each
// command meets the same state in both runs. What a user depends on:
//   - every command gets the same answer in both runs (and only answers the API documents);
//   - KS sees the same status board of every round (the projections' digests are printed
//     beside remissd's, not compared: see below);
//   - over Kafka, for every service: the live projections' digest equals a rebuild from its
//     own log (RebuildProjections), and equals the digest after its data directory is deleted
//     and it is started again with --restore-from-kafka (from its topic alone), at the same
//     log position.
// Sizes: REMISS_FAULTS_BATCHES (CI 10, full 60), REMISS_FAULTS_BATCH_COMMANDS (CI 40, full 60).
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/faults/cluster_support.h"
#include "tests/faults/random_commands.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/temp_dir.h"

namespace remiss::faults {
namespace {

using namespace random_commands;  // NOLINT: the commands drawn

constexpr char kStart[] = "2021-02-01T09:00:00+01:00";
constexpr char kTest[] = "random workload over kafka";

// One batch: a clock move (days, 0: none) before it, then commands to one service.
struct Batch {
  int clock_days = 0;
  std::vector<Drawn> commands;
};

std::vector<Batch> Plan(uint64_t seed, int batches, int per_batch) {
  Drawer drawer(seed, 0);
  std::mt19937_64 random(seed ^ 0x5eed);
  std::vector<Batch> plan;
  int days = 0;
  int k = 0;
  for (int b = 0; b < batches; ++b) {
    Batch batch;
    // At most 25 days in all (command_ids are remembered for 30).
    if (b % 3 == 2 && days < 25) {
      batch.clock_days = std::min(std::uniform_int_distribution<int>(1, 3)(random), 25 - days);
      days += batch.clock_days;
    }
    // Referrals more often at first: the rounds must exist for the others to do much.
    const int r = b < 2 ? 0 : std::uniform_int_distribution<int>(0, 5)(random);
    const std::string service = r <= 1 ? "referrals" : ServiceNames()[std::min(r - 1, 3)];
    while (static_cast<int>(batch.commands.size()) < per_batch) {
      Drawn d = drawer.Next(k++);
      if (d.service == service) batch.commands.push_back(std::move(d));
    }
    plan.push_back(std::move(batch));
  }
  return plan;
}

struct Played {
  std::vector<std::string> answers;  // "<rpc> <code>" per command, in order
  std::map<std::string, std::string> boards;
  std::map<std::string, std::string> digests;
  int64_t accepted = 0;
  absl::Duration settling;
};

// Plays the plan; ADD_FAILURE on an undocumented answer or a run that does not settle.
Played Play(Services& services, const std::vector<Batch>& plan) {
  Played out;
  for (int b = -1; b < kBoards; ++b) {
    RegisterOrganizationRequest r;
    r.set_command_id(absl::StrCat("setup-", b));
    r.set_org_id(b < 0 ? "ks" : Board(b));
    r.set_name(b < 0 ? "Kommunstyrelsen" : absl::StrCat("Nämnd ", b));
    r.set_kind(b < 0 ? ORGANIZATION_KIND_KOMMUNSTYRELSE : ORGANIZATION_KIND_STADSDELSNAMND);
    r.set_may_send_rounds(b < 0);  // KS first, as the sender its ks acts for
    r.set_diary_prefix("BRD");
    CommandOutcome o = Execute(services.endpoint("referrals"),
                               Command(&ReferralService::Stub::RegisterOrganization, r), nullptr, 50);
    EXPECT_TRUE(o.status.ok()) << Describe(o.status);
  }
  // Half the rounds issued to two boards each from the start, with deadlines the clock
  // passes, so that the boards' commands meet rounds they answer (and reminders and breaches
  // come); the random commands do the rest.
  for (int r = 0; r < kRounds / 2; ++r) {
    const std::string p = absl::StrCat("setup-r", r, "-");
    CreateReferralRequest create;
    create.set_command_id(p + "create");
    create.set_case_number(CaseNumber(r));
    create.set_title(absl::StrCat("Remiss ", r));
    create.set_sender_org_id("ks");
    AddAddresseeRequest add;
    add.set_command_id(p + "add-1");
    add.set_referral_id(RoundId(r));
    add.set_org_id(Board(r % kBoards));
    AddAddresseeRequest add2 = add;
    add2.set_command_id(p + "add-2");
    add2.set_org_id(Board((r + 1) % kBoards));
    SetDeadlineRequest deadline;
    deadline.set_command_id(p + "deadline");
    deadline.set_referral_id(RoundId(r));
    deadline.set_deadline(absl::StrCat("2021-02-", 10 + 2 * r));
    IssueReferralRequest issue;
    issue.set_command_id(p + "issue");
    issue.set_referral_id(RoundId(r));
    const Endpoint& referrals = services.endpoint("referrals");
    for (const Send& send : {Command(&ReferralService::Stub::CreateReferral, create),
                             Command(&ReferralService::Stub::AddAddressee, add),
                             Command(&ReferralService::Stub::AddAddressee, add2),
                             Command(&ReferralService::Stub::SetDeadline, deadline),
                             Command(&ReferralService::Stub::IssueReferral, issue)}) {
      CommandOutcome o = Execute(referrals, send, nullptr, 50);
      EXPECT_TRUE(o.status.ok()) << p << ": " << Describe(o.status);
    }
  }
  for (size_t b = 0; b < plan.size(); ++b) {
    const absl::Time t = absl::Now();
    std::string seen;
    absl::Status settled = services.Settle(absl::Seconds(120), &seen);
    out.settling += absl::Now() - t;
    if (!settled.ok()) {
      ADD_FAILURE() << "before batch " << b << ": " << settled;
      return out;
    }
    if (plan[b].clock_days > 0) {
      absl::Status s = services.SetClock(services.now() + absl::Hours(24 * plan[b].clock_days));
      if (!s.ok()) {
        ADD_FAILURE() << s;
        return out;
      }
      // Whatever the new day brings (reminders, breaches once the watermarks pass) before the
      // batch.
      const absl::Time t2 = absl::Now();
      settled = services.Settle(absl::Seconds(120), &seen, absl::Seconds(3));
      out.settling += absl::Now() - t2;
      if (!settled.ok()) {
        ADD_FAILURE() << "after the clock move before batch " << b << ": " << settled;
        return out;
      }
    }
    for (const Drawn& d : plan[b].commands) {
      CommandOutcome o = Execute(services.endpoint(d.service), d.send, nullptr, 50);
      if (!Documented(o.status.error_code())) {
        ADD_FAILURE() << d.rpc << " in batch " << b << ": " << Describe(o.status);
      }
      const std::string code = Describe(o.status).substr(0, Describe(o.status).find(':'));
      out.answers.push_back(absl::StrCat(d.rpc, " ", code));
      if (o.status.ok()) ++out.accepted;
    }
  }
  const absl::Time t = absl::Now();
  std::string seen;
  absl::Status settled = services.Settle(absl::Seconds(120), &seen, absl::Seconds(3));
  out.settling += absl::Now() - t;
  if (!settled.ok()) ADD_FAILURE() << "at the end: " << settled;
  std::vector<std::string> rounds;
  for (int r = 0; r < kRounds; ++r) rounds.push_back(RoundId(r));
  if (auto followup = services.endpoint("followup").Channel(); followup != nullptr) {
    out.boards = StatusBoards(*followup, rounds);
  }
  out.digests = ProjectionDigests(services);
  return out;
}

TEST(RandomWorkloadOverKafka, SameAsRemissdAndEveryServiceRestores) {
  const absl::Time began = absl::Now();
  const uint64_t seed = Seed(kTest);
  const int batches = static_cast<int>(Size("BATCHES", 10, 60));
  const int per_batch = static_cast<int>(Size("BATCH_COMMANDS", 40, 60));
  const std::vector<Batch> plan = Plan(seed, batches, per_batch);
  remiss::testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::filesystem::create_directories(dir.Sub("kafka"));
  std::filesystem::create_directories(dir.Sub("remissd"));

  auto broker = remiss::testing::KafkaBroker::Start();
  ASSERT_TRUE(broker.ok()) << "no Kafka broker: " << broker.status();
  Services kafka(Deployment::kOverKafka, dir.Sub("kafka"), (*broker)->bootstrap(), kStart);
  Services remissd(Deployment::kRemissd, dir.Sub("remissd"), "", kStart);
  struct DumpLogs {
    Services& a;
    Services& b;
    ~DumpLogs() {
      if (::testing::Test::HasFailure()) std::cerr << a.LogTails() << b.LogTails();
    }
  } dump{kafka, remissd};

  ASSERT_TRUE(kafka.StartAll().ok());
  const absl::Time kafka_began = absl::Now();
  Played over_kafka = Play(kafka, plan);
  const absl::Duration kafka_time = absl::Now() - kafka_began;
  ASSERT_FALSE(::testing::Test::HasFailure());

  // Over Kafka: live == rebuilt == restored from the topic, for every service.
  const absl::Time checks_began = absl::Now();
  absl::Duration restoring;
  for (const std::string& service : ServiceNames()) {
    SCOPED_TRACE(service);
    auto channel = kafka.endpoint(service).Channel();
    auto live = GetDigest(*channel, service);
    ASSERT_TRUE(live.ok()) << live.status();
    auto rebuilt = Rebuild(*channel, service);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(rebuilt->sha256(), live->sha256()) << "a rebuild from the log differs from the live projections";
    EXPECT_EQ(rebuilt->log_position(), live->log_position());
    ASSERT_EQ(kafka.Stop(service), "") << service << " did not stop cleanly";
    std::filesystem::remove_all(absl::StrCat(kafka.DataDir(service), "/", service));
    std::vector<std::string> args = kafka.Process(service).args();
    args.push_back("--restore-from-kafka");
    kafka.Process(service).set_args(args);
    const absl::Time t = absl::Now();
    ASSERT_TRUE(kafka.Start(service).ok());
    restoring += absl::Now() - t;
    kafka.Process(service).RemoveFlag("--restore-from-kafka");
    EXPECT_NE(kafka.Process(service).Log().find(absl::StrCat("restored ", service)), std::string::npos)
        << kafka.Process(service).Log();
    auto restored = GetDigest(*kafka.endpoint(service).Channel(), service);
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ(restored->sha256(), live->sha256()) << "restored from Kafka, the projections differ";
    EXPECT_EQ(restored->log_position(), live->log_position());
    EXPECT_EQ(restored->entries(), live->entries());
    Figure(kTest, absl::StrCat(service, " events / entries (live = rebuilt = restored)"),
           absl::StrCat(live->log_position(), " / ", live->entries()));
  }
  // After the restores the services settle again and KS sees the same.
  std::string seen;
  ASSERT_TRUE(kafka.Settle(absl::Seconds(120), &seen).ok()) << seen;
  std::vector<std::string> rounds;
  for (int r = 0; r < kRounds; ++r) rounds.push_back(RoundId(r));
  EXPECT_EQ(DescribeDifference(StatusBoards(*kafka.endpoint("followup").Channel(), rounds),
                               over_kafka.boards),
            "")
      << "KS's boards changed across the restores";
  EXPECT_EQ(kafka.StopAll(), "");
  const absl::Duration checks = absl::Now() - checks_began;

  ASSERT_TRUE(remissd.StartAll().ok());
  const absl::Time remissd_began = absl::Now();
  Played in_remissd = Play(remissd, plan);
  const absl::Duration remissd_time = absl::Now() - remissd_began;
  EXPECT_EQ(remissd.StopAll(), "");

  ASSERT_EQ(over_kafka.answers.size(), in_remissd.answers.size());
  int differing = 0;
  for (size_t i = 0; i < over_kafka.answers.size(); ++i) {
    if (over_kafka.answers[i] != in_remissd.answers[i] && ++differing <= 10) {
      ADD_FAILURE() << "command " << i << " answered " << over_kafka.answers[i]
                    << " over Kafka but " << in_remissd.answers[i] << " in remissd";
    }
  }
  EXPECT_EQ(DescribeDifference(over_kafka.boards, in_remissd.boards), "");
  // The projections themselves are not compared with remissd's: a consumer's own log holds
  // its sources' events in the order it heard them (over Kafka partition by partition, in
  // remissd in the source's log order), and its projections keep stream versions and
  // recording times from that log. Printed, for they have been seen to differ at full size
  // (deadlines, followup) while every answer and every board agreed.
  std::vector<std::string> digests;
  for (const std::string& service : ServiceNames()) {
    digests.push_back(absl::StrCat(service, " ",
                                   over_kafka.digests[service] == in_remissd.digests[service]
                                       ? "same"
                                       : "differs"));
  }
  Figure(kTest, "projection digests over Kafka vs remissd", absl::StrJoin(digests, ", "));
  std::map<std::string, int64_t> by_code;
  for (const std::string& a : over_kafka.answers) ++by_code[a.substr(a.rfind(' ') + 1)];
  std::vector<std::string> codes;
  for (const auto& [code, n] : by_code) codes.push_back(absl::StrCat(code, " ", n));
  Figure(kTest, "seed", absl::StrCat(seed));
  Figure(kTest, "batches x commands", absl::StrCat(batches, " x ", per_batch));
  Figure(kTest, "answers", absl::StrJoin(codes, ", "));
  Figure(kTest, "answers that differ from remissd's", differing);
  Figure(kTest, "over kafka: played (of which settling)",
         absl::StrCat(absl::FormatDuration(absl::Trunc(kafka_time, absl::Milliseconds(1))), " (",
                      absl::FormatDuration(absl::Trunc(over_kafka.settling, absl::Milliseconds(1))), ")"));
  Figure(kTest, "remissd: played", remissd_time);
  Figure(kTest, "four restores from Kafka (start to listening)", restoring);
  Figure(kTest, "rebuilds, stops, restores, settling again", checks);
  Figure(kTest, "whole test", absl::Now() - began);
}

}  // namespace
}  // namespace remiss::faults
