// The deadlines service as remissd runs it behind referrals and responses (LocalFeeds), on a
// manual clock, through gRPC: issue 25, finding 5. When the operator clears an organization's
// may_send_rounds in referrals, deadlines hears it through responses (OrganizationSendingRight,
// recorded here as SenderRightObserved) and a ks of that organization no longer decides
// extensions or sets reminders, not even on its own rounds; set again, it does again.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/service_host.h"
#include "remiss/deadlines/module.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/deadlines_events.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;

class RevokedSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto referrals = referrals::ReferralsModule::Open({.data_dir = dir_.path(), .clock = &clock_});
    ASSERT_TRUE(referrals.ok()) << referrals.status();
    referrals_ = std::move(*referrals);
    auto responses = responses::ResponsesModule::Open({.data_dir = dir_.path(), .clock = &clock_},
        std::make_unique<core::LocalFeed>(&referrals_->store()));
    ASSERT_TRUE(responses.ok()) << responses.status();
    responses_ = std::move(*responses);
    auto deadlines = deadlines::DeadlinesModule::Open({.data_dir = dir_.path(), .clock = &clock_},
        std::make_unique<core::LocalFeed>(&responses_->store()));
    ASSERT_TRUE(deadlines.ok()) << deadlines.status();
    deadlines_ = std::move(*deadlines);
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20, &clock_);
    referrals_->Host(*host_);
    responses_->Host(*host_);
    deadlines_->Host(*host_);
    ASSERT_TRUE(host_->Start().ok());
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()),
                                       grpc::InsecureChannelCredentials());
    referral_stub_ = ReferralService::NewStub(channel);
    deadline_stub_ = DeadlineService::NewStub(channel);
  }
  void TearDown() override {
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    deadlines_.reset();  // each reads the store of the one before it
    responses_.reset();
    referrals_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& org, const std::string& role) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", org);
    ctx->AddMetadata("x-remiss-role", role);
    ctx->AddMetadata("x-remiss-person", org + "-handlaggare-1");
    return ctx;
  }
  template <typename Request>
  void Ok(grpc::Status (ReferralService::Stub::*method)(grpc::ClientContext*, const Request&, CommandResult*),
          Request request, const std::string& command_id, const std::string& role = "registrator") {
    request.set_command_id(command_id);
    CommandResult result;
    grpc::Status s = (referral_stub_.get()->*method)(As(role == "operator" ? "drift" : "ks", role).get(),
                                                      request, &result);
    ASSERT_TRUE(s.ok()) << command_id << ": " << s.error_message();
  }
  void Register(const std::string& id, const std::string& name, OrganizationKind kind) {
    RegisterOrganizationRequest r;
    r.set_org_id(id);
    r.set_name(name);
    r.set_kind(kind);
    r.set_may_send_rounds(kind == ORGANIZATION_KIND_KOMMUNSTYRELSE);  // KS sends the rounds
    Ok(&ReferralService::Stub::RegisterOrganization, r, "register-" + id);
  }
  void Issue() {
    CreateReferralRequest create;
    create.set_case_number("KS 2021/5");
    create.set_title("Remiss KS 2021/5");
    create.set_sender_org_id("ks");
    Ok(&ReferralService::Stub::CreateReferral, create, "create");
    AddAddresseeRequest add;
    add.set_referral_id("KS 2021/5");
    add.set_org_id("bromma-sdn");
    Ok(&ReferralService::Stub::AddAddressee, add, "add-bromma");
    SetDeadlineRequest deadline;
    deadline.set_referral_id("KS 2021/5");
    deadline.set_deadline("2021-03-31");
    Ok(&ReferralService::Stub::SetDeadline, deadline, "deadline");
    IssueReferralRequest issue;
    issue.set_referral_id("KS 2021/5");
    Ok(&ReferralService::Stub::IssueReferral, issue, "issue");
  }
  // The operator sets or clears KS's may_send_rounds in referrals, then waits (bounded)
  // until deadlines has recorded what it observed of it through responses.
  void SetSender(bool may, const std::string& command_id) {
    UpdateOrganizationRequest u;
    u.set_org_id("ks");
    u.set_name("Kommunstyrelsen");
    u.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
    u.set_may_send_rounds(may);
    ASSERT_NO_FATAL_FAILURE(Ok(&ReferralService::Stub::UpdateOrganization, u, command_id, "operator"));
    for (int i = 0; i < 500; ++i) {
      auto bytes = deadlines_->store().GetProjection("sender/ks");
      SenderRightObserved observed;
      if (bytes && observed.ParseFromString(*bytes) && observed.may_send_rounds() == may) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "deadlines never observed may_send_rounds " << may << " of \"ks\"";
  }
  std::optional<Deadline> Bromma() {
    GetDeadlineRequest r;
    r.set_referral_id("ks-2021-5");
    r.set_org_id("bromma-sdn");
    Deadline d;
    if (!deadline_stub_->GetDeadline(As("ks", "ks").get(), r, &d).ok()) return std::nullopt;
    return d;
  }
  // Whether the deadlines log holds an event of the command `command_id`.
  bool Recorded(const std::string& command_id) {
    auto log = deadlines_->store().ReadLog(1, 100000);
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return false;
    for (const auto& e : *log) {
      if (e.command_id() == command_id) return true;
    }
    return false;
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 8, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<referrals::ReferralsModule> referrals_;
  std::unique_ptr<responses::ResponsesModule> responses_;
  std::unique_ptr<deadlines::DeadlinesModule> deadlines_;
  std::unique_ptr<core::ServiceHost> host_;
  std::unique_ptr<ReferralService::Stub> referral_stub_;
  std::unique_ptr<DeadlineService::Stub> deadline_stub_;
};

TEST_F(RevokedSenderTest, AKsOfAnOrganizationNoLongerAllowedToSendRoundsDecidesNoExtensionsOrReminders) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Issue();
  for (int i = 0; i < 500 && !(Bromma() && Bromma()->scheduled()); ++i) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(Bromma() && Bromma()->scheduled()) << "deadlines never scheduled Bromma's deadline";
  RequestExtensionRequest ask;
  ask.set_command_id("ask-1");
  ask.set_referral_id("KS 2021/5");
  ask.set_org_id("bromma-sdn");
  ask.set_requested_date("2021-04-16");
  ask.set_reason("nämnden sammanträder först den 15 april");
  CommandResult asked;
  grpc::Status s = deadline_stub_->RequestExtension(As("bromma-sdn", "board").get(), ask, &asked);
  ASSERT_TRUE(s.ok()) << s.error_message();

  DecideExtensionRequest grant;
  grant.set_referral_id("KS 2021/5");
  grant.set_org_id("bromma-sdn");
  grant.set_extension_id("anstand-1");
  grant.set_grant(true);
  SetReminderPolicyRequest policy;
  policy.set_referral_id("KS 2021/5");
  policy.add_days_before(7);
  auto as_ks = [&](auto method, auto request, const std::string& command_id) {
    request.set_command_id(command_id);
    CommandResult result;
    return (deadline_stub_.get()->*method)(As("ks", "ks").get(), request, &result);
  };

  ASSERT_NO_FATAL_FAILURE(SetSender(false, "ks-may-not-send"));
  s = as_ks(&DeadlineService::Stub::DecideExtension, grant, "grant-revoked");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("role ks: organization \"ks\" may not send rounds"), std::string::npos)
      << s.error_message();
  s = as_ks(&DeadlineService::Stub::SetReminderPolicy, policy, "policy-revoked");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_NE(s.error_message().find("role ks: organization \"ks\" may not send rounds"), std::string::npos)
      << s.error_message();
  EXPECT_FALSE(Recorded("grant-revoked"));
  EXPECT_FALSE(Recorded("policy-revoked"));
  EXPECT_EQ(Bromma()->extensions(0).state(), EXTENSION_STATE_REQUESTED);

  // What deadlines and responses observed is in their own logs: a rebuild gives the live
  // projections, and the ks stays refused.
  for (core::EventStore* store : {&responses_->store(), &deadlines_->store()}) {
    const core::Digest live = store->ProjectionDigest();
    auto rebuilt = store->RebuildProjections();
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(rebuilt->sha256, live.sha256);
  }
  s = as_ks(&DeadlineService::Stub::SetReminderPolicy, policy, "policy-revoked-after-rebuild");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();

  ASSERT_NO_FATAL_FAILURE(SetSender(true, "ks-may-send-again"));
  s = as_ks(&DeadlineService::Stub::DecideExtension, grant, "grant-a-sender-again");
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Bromma()->extensions(0).state(), EXTENSION_STATE_GRANTED);
  s = as_ks(&DeadlineService::Stub::SetReminderPolicy, policy, "policy-a-sender-again");
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(Recorded("policy-a-sender-again"));
}

}  // namespace
}  // namespace remiss
