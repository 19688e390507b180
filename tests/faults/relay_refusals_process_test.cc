// A relay's refusals through the real remiss-referrals process over a real broker (KRaft, on
// 127.0.0.1), as an operator meets them:
//   - C5: the service's data directory is replaced by a backup taken at 5 events while its
//     topic holds 10 (same incarnation). Started on the backup, it records new commands but
//     publishes none of them: the topic is unchanged, AdminService/GetPositions' relay_error
//     says the topic and the store have forked, and the service is NOT_SERVING.
//   - C14: started with --kafka-topics-config infra/kafka/topics.production.conf on a cluster
//     without the topics, it creates none and says so; on a one-broker cluster whose topics
//     exist with one replica, relay_error names the replication factor production requires.
//     A topics file that cannot be read ends the process with a line naming it.
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/topic_reader.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "tests/faults/fault_support.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/health.h"
#include "tests/support/temp_dir.h"

namespace remiss::faults {
namespace {

using remiss::v1::ReferralService;
using remiss::v1::RegisterOrganizationRequest;

constexpr char kStart[] = "2021-02-01T09:00:00+01:00";
constexpr char kTopic[] = "remiss.referrals.events.v1";

class RelayRefusalsTest : public ::testing::Test {
 protected:
  void SetUp() override {  // a broker of its own: each test starts from no topics
    auto started = remiss::testing::KafkaBroker::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    broker_ = std::move(*started);
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << server_->LogTails();
  }
  void StartReferrals(const std::string& data, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--data-dir", data, "--manual-clock", kStart,
                                     "--kafka-brokers", broker_->bootstrap()};
    args.insert(args.end(), more.begin(), more.end());
    if (server_ == nullptr) {
      server_ = std::make_unique<ServerProcess>("referrals", REMISS_REFERRALS, args, dir_.path());
    } else {
      server_->set_args(args);
    }
    auto address = server_->Start();
    ASSERT_TRUE(address.ok()) << address.status();
    endpoint_.Set(*address);
  }
  void StopReferrals() {
    EXPECT_EQ(server_->Stop(), "");
    endpoint_.Down();
  }
  void Register(const std::string& org) {
    RegisterOrganizationRequest r;
    r.set_command_id(absl::StrCat("register-", org));
    r.set_org_id(org);
    r.set_name(org);
    r.set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
    CommandOutcome o =
        Execute(endpoint_, Command(&ReferralService::Stub::RegisterOrganization, r, kOperator), nullptr, 20);
    ASSERT_TRUE(o.status.ok()) << org << ": " << Describe(o.status);
  }
  remiss::v1::ServicePositions Positions() {
    auto p = PositionsOf(*endpoint_.Channel(), "referrals");
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : remiss::v1::ServicePositions();
  }
  // Waits until the relay has published up to `cursor`.
  void WaitForCursor(uint64_t cursor) {
    for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until;) {
      if (Positions().relay_cursor() == cursor) return;
      absl::SleepFor(absl::Milliseconds(100));
    }
    FAIL() << "the relay's cursor did not reach " << cursor << ": " << Positions().DebugString();
  }
  // Waits for the relay to report why it publishes nothing; that reason.
  std::string RelayError() {
    for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until;) {
      const std::string error = Positions().relay_error();
      if (!error.empty()) return error;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return "";
  }
  int64_t TopicEvents() {
    // A topic made a moment ago may have no leader yet ("Not leader for partition").
    auto tail = core::ReadTopicTail(broker_->bootstrap(), kTopic);
    for (int i = 0; i < 50 && !tail.ok(); ++i) {
      absl::SleepFor(absl::Milliseconds(200));
      tail = core::ReadTopicTail(broker_->bootstrap(), kTopic);
    }
    EXPECT_TRUE(tail.ok()) << tail.status();
    return tail.ok() ? tail->events : -1;
  }
  bool TopicExists() {
    absl::Status s = core::ReadTopicToEnd(
        broker_->bootstrap(), kTopic, [](const core::PartitionRange& r) { return r.high; },
        [](const core::TopicMessage&) { return absl::OkStatus(); }, absl::Seconds(10));
    return !absl::IsNotFound(s);
  }

  remiss::testing::TempDir dir_;
  std::unique_ptr<remiss::testing::KafkaBroker> broker_;
  std::unique_ptr<ServerProcess> server_;
  Endpoint endpoint_;
};

// C5
TEST_F(RelayRefusalsTest, AServiceStartedOnABackupBehindItsTopicPublishesNothingAndSaysWhy) {
  const std::string data = dir_.Sub("data");
  ASSERT_NO_FATAL_FAILURE(StartReferrals(data));
  for (int i = 1; i <= 5; ++i) ASSERT_NO_FATAL_FAILURE(Register(absl::StrCat("org-", i)));
  ASSERT_NO_FATAL_FAILURE(WaitForCursor(5));
  ASSERT_NO_FATAL_FAILURE(StopReferrals());
  std::filesystem::copy(data, dir_.Sub("backup"), std::filesystem::copy_options::recursive);

  ASSERT_NO_FATAL_FAILURE(StartReferrals(data));
  for (int i = 6; i <= 10; ++i) ASSERT_NO_FATAL_FAILURE(Register(absl::StrCat("org-", i)));
  ASSERT_NO_FATAL_FAILURE(WaitForCursor(10));
  ASSERT_NO_FATAL_FAILURE(StopReferrals());
  ASSERT_EQ(TopicEvents(), 10);

  // The disk is lost; the operator puts the backup in its place.
  ASSERT_NO_FATAL_FAILURE(StartReferrals(dir_.Sub("backup")));
  for (int i = 6; i <= 8; ++i) ASSERT_NO_FATAL_FAILURE(Register(absl::StrCat("other-", i)));
  const std::string error = RelayError();
  EXPECT_NE(error.find("forked"), std::string::npos) << error;
  EXPECT_NE(error.find(kTopic), std::string::npos) << error;
  EXPECT_EQ(remiss::testing::AwaitHealthStatus(*endpoint_.Channel(), "remiss.v1.ReferralService", 2), 2)
      << "NOT_SERVING";
  const remiss::v1::ServicePositions p = Positions();
  EXPECT_EQ(p.log_position(), 8u);
  EXPECT_EQ(p.relay_cursor(), 5u);
  EXPECT_EQ(TopicEvents(), 10) << "other events were published at positions the topic holds";
  ASSERT_NO_FATAL_FAILURE(StopReferrals());
}

// C14
TEST_F(RelayRefusalsTest, WithProductionsTopicsFileTopicsAreCheckedNotCreated) {
  const std::string production =
      std::string(REMISS_SOURCE_DIR) + "/infra/kafka/topics.production.conf";
  ASSERT_NO_FATAL_FAILURE(StartReferrals(dir_.Sub("data"), {"--kafka-topics-config", production}));
  ASSERT_NO_FATAL_FAILURE(Register("org-1"));  // recorded all the same
  std::string error = RelayError();
  EXPECT_NE(error.find("topic remiss.referrals.events.v1 does not exist"), std::string::npos) << error;
  EXPECT_NE(error.find("created by the operator"), std::string::npos) << error;
  EXPECT_FALSE(TopicExists()) << "a production service created its topic";
  ASSERT_NO_FATAL_FAILURE(StopReferrals());

  // The operator made the topics, but on a cluster of one broker: one replica each.
  auto topics = core::ReadTopicsConfig(production);
  ASSERT_TRUE(topics.ok()) << topics.status();
  for (core::TopicDefinition& t : topics->topics) t.replication_factor = 1;
  ASSERT_TRUE(core::EnsureTopics(broker_->bootstrap(), topics->topics).ok());
  ASSERT_NO_FATAL_FAILURE(StartReferrals(dir_.Sub("data"), {"--kafka-topics-config", production}));
  error = RelayError();
  EXPECT_NE(error.find("the replication factor is 1 but must be at least 3"), std::string::npos)
      << error;
  EXPECT_NE(error.find("topics.production.conf"), std::string::npos) << error;
  EXPECT_EQ(TopicEvents(), 0);
  ASSERT_NO_FATAL_FAILURE(StopReferrals());

  // A file that cannot be read: the process says so and ends.
  server_->set_args({"--data-dir", dir_.Sub("data"), "--kafka-brokers", broker_->bootstrap(),
                     "--kafka-topics-config", dir_.Sub("no-such-topics.conf")});
  EXPECT_FALSE(server_->Start(absl::Seconds(20)).ok());
  EXPECT_NE(server_->Log().find("no-such-topics.conf"), std::string::npos) << server_->Log();
}

}  // namespace
}  // namespace remiss::faults
