// The referrals service publishing to a real Kafka broker: what KS does over gRPC appears
// on remiss.referrals.events.v1, in order per round, keyed by the round, with its headers.
#include <gtest/gtest.h>

#include <map>

#include "remiss/v1/envelope.pb.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;
using ReferralsServer = remiss::testing::RemissServer;

TEST(ReferralsOnKafka, EveryCommandsEventsArriveOnTheTopicInOrderWithKeyAndHeaders) {
  std::string error;
  remiss::testing::KafkaBroker* broker = remiss::testing::KafkaBroker::Shared(&error);
  ASSERT_NE(broker, nullptr) << error;
  remiss::testing::TempDir dir;
  core::ManualClock clock(absl::FromCivil(absl::CivilSecond(2020, 12, 1, 8, 0, 0), absl::UTCTimeZone()));
  ReferralsServer server(dir.path(), &clock, {.brokers = broker->bootstrap()});
  ASSERT_TRUE(server.Start());

  auto call = [&](auto method, const auto& request) {
    CommandResult result;
    auto ctx = ReferralsServer::Context();
    grpc::Status s = (server.referrals().*method)(ctx.get(), request, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  for (const char* org : {"ks", "bromma-sdn", "sodermalm-sdn"}) {
    RegisterOrganizationRequest r;
    r.set_command_id(std::string("reg-") + org);
    r.set_org_id(org);
    r.set_name(org);
    r.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
    call(&ReferralService::Stub::RegisterOrganization, r);
  }
  CreateReferralRequest create;
  create.set_command_id("create");
  create.set_case_number("KS 2019/1939");
  create.set_title("Stockholms stads trygghetsprogram 2020-2023");
  create.set_sender_org_id("ks");
  call(&ReferralService::Stub::CreateReferral, create);
  for (const char* org : {"bromma-sdn", "sodermalm-sdn"}) {
    AddAddresseeRequest add;
    add.set_command_id(std::string("add-") + org);
    add.set_referral_id("ks-2019-1939");
    add.set_org_id(org);
    call(&ReferralService::Stub::AddAddressee, add);
  }
  SetDeadlineRequest deadline;
  deadline.set_command_id("deadline");
  deadline.set_referral_id("ks-2019-1939");
  deadline.set_deadline("2021-02-26");
  call(&ReferralService::Stub::SetDeadline, deadline);
  IssueReferralRequest issue;
  issue.set_command_id("issue");
  issue.set_referral_id("ks-2019-1939");
  call(&ReferralService::Stub::IssueReferral, issue);
  constexpr size_t kEvents = 3 + 5;

  auto messages = remiss::testing::ReadTopic(broker->bootstrap(), "remiss.referrals.events.v1", kEvents);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), kEvents);
  std::map<std::string, uint64_t> last_version;
  std::vector<std::string> round_types;
  for (const auto& m : *messages) {
    EventEnvelope e;
    ASSERT_TRUE(e.ParseFromString(m.value));
    EXPECT_EQ(m.key, e.partition_key());
    EXPECT_EQ(m.headers.at("ce_specversion"), "1.0");
    EXPECT_EQ(m.headers.at("ce_type"), "remiss.v1." + e.type());
    EXPECT_EQ(m.headers.at("ce_id"), e.event_id());
    EXPECT_EQ(m.headers.at("ce_source"), "remiss/referrals");
    EXPECT_EQ(m.headers.at("ce_subject"), e.stream_id());
    EXPECT_EQ(m.headers.at("content-type"), "application/protobuf");
    EXPECT_EQ(m.headers.at("remiss_position"), std::to_string(e.position()));
    EXPECT_FALSE(m.headers.at("ce_time").empty());
    EXPECT_EQ(e.source(), "referrals");
    EXPECT_EQ(e.stream_version(), last_version[e.stream_id()] + 1) << "out of order: " << e.event_id();
    last_version[e.stream_id()] = e.stream_version();
    if (m.key == "ks-2019-1939") round_types.push_back(e.type());
  }
  EXPECT_EQ(round_types, (std::vector<std::string>{"ReferralDrafted", "AddresseeAdded", "AddresseeAdded",
                                                   "DeadlineSet", "ReferralIssued"}));
}

}  // namespace
}  // namespace remiss
