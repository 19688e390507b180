// A restore from Kafka killed half-way (C6 of issue 22), through real processes and a real
// broker: remiss-referrals records organizations and publishes them; a second instance on an
// empty data directory restores from the topic and is killed (SIGKILL, a fault point) after
// it imported the events and before it finished. What an operator depends on:
//   - started again without --restore-from-kafka, it refuses to start, saying why and what
//     to do (it never serves a store with a log but no index, projections or cursors);
//   - started with --restore-from-kafka, it throws the half import away, restores again,
//     serves, and its projections are the original's, digest for digest.
#include <gtest/gtest.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "tests/faults/fault_support.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/temp_dir.h"

namespace remiss::faults {
namespace {

using remiss::v1::ReferralService;
using remiss::v1::RegisterOrganizationRequest;

constexpr char kTest[] = "restore cut short";

TEST(RestoreCutShort, RefusesToServeAndFinishesOnRetry) {
  auto broker = remiss::testing::KafkaBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  remiss::testing::TempDir dir;
  auto args = [&](const std::string& data) {
    return std::vector<std::string>{"--data-dir", dir.Sub(data), "--manual-clock",
                                    "2021-02-01T09:00:00+01:00", "--kafka-brokers",
                                    (*broker)->bootstrap()};
  };
  ServerProcess original("referrals", REMISS_REFERRALS, args("original"), dir.path());
  auto address = original.Start();
  ASSERT_TRUE(address.ok()) << address.status();
  Endpoint endpoint;
  endpoint.Set(*address);
  const int organizations = static_cast<int>(Size("RESTORE_ORGANIZATIONS", 300, 5000));
  for (int i = 0; i < organizations; ++i) {
    RegisterOrganizationRequest org;
    org.set_command_id(absl::StrCat("org-", i));
    org.set_org_id(absl::StrCat("namnd-", i));
    org.set_name(absl::StrCat("Nämnd ", i));
    org.set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
    org.set_diary_prefix("BRD");
    // As the operator: no ks acts before an organization may send rounds (issue 25).
    CommandOutcome done =
        Execute(endpoint, Command(&ReferralService::Stub::RegisterOrganization, org, kOperator));
    ASSERT_TRUE(done.status.ok()) << Describe(done.status);
  }
  // Everything is on the topic.
  ASSERT_TRUE(WaitForPositions(*endpoint.Channel(), [](const remiss::v1::Positions& p) {
    for (const auto& s : p.services()) {
      if (s.service() == "referrals") return s.relay_cursor() == s.log_position();
    }
    return false;
  }).ok());
  auto live = GetDigest(*endpoint.Channel(), "referrals");
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(original.Stop(), "");

  // Killed after importing the events, before finishing the store from them.
  std::vector<std::string> restoring = args("restored");
  restoring.push_back("--restore-from-kafka");
  ServerProcess restored("restored", REMISS_REFERRALS_FAULT_POINTS, restoring, dir.path());
  restored.set_env({"REMISS_FAULT_POINT=restore.before_finish"});
  auto killed = restored.Start();
  ASSERT_FALSE(killed.ok()) << "the restore was not killed half-way";
  ASSERT_NE(restored.LogTails().find("fault point restore.before_finish reached"), std::string::npos)
      << restored.LogTails();

  // Without the flag: no serving, and it says what to do.
  restored.set_env({});
  restored.RemoveFlag("--restore-from-kafka");
  auto refused = restored.Start(absl::Seconds(30));
  ASSERT_FALSE(refused.ok()) << "a store holding half a restore serves at " << *refused;
  EXPECT_NE(restored.Log().find("--restore-from-kafka"), std::string::npos) << restored.Log();
  Figure(kTest, "started without the flag", restored.Ended());

  // With it: the half import is discarded and the restore done again.
  std::vector<std::string> again = args("restored");
  again.push_back("--restore-from-kafka");
  restored.set_args(again);
  auto serving = restored.Start();
  ASSERT_TRUE(serving.ok()) << serving.status() << restored.LogTails();
  EXPECT_NE(restored.Log().find("discarded and done again"), std::string::npos) << restored.Log();
  endpoint.Set(*serving);
  auto digest = GetDigest(*endpoint.Channel(), "referrals");
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(digest->sha256(), live->sha256());
  EXPECT_EQ(digest->log_position(), live->log_position());
  Figure(kTest, "events restored", static_cast<int64_t>(digest->log_position()));
  EXPECT_EQ(restored.Stop(), "");
}

}  // namespace
}  // namespace remiss::faults
