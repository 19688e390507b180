// The followup service as remissd runs it (referrals, responses and deadlines beside it,
// followed through LocalFeeds), on a manual clock, through gRPC: an organization's view
// across many rounds comes in pages.
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "remiss/core/local_feed.h"
#include "remiss/core/service_host.h"
#include "remiss/deadlines/module.h"
#include "remiss/followup/module.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "tests/support/paging.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;

class FollowupServiceTest : public ::testing::Test {
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
    std::vector<std::unique_ptr<core::Feed>> observed;
    observed.push_back(std::make_unique<core::LocalFeed>(&referrals_->store()));
    observed.push_back(std::make_unique<core::LocalFeed>(&responses_->store()));
    observed.push_back(std::make_unique<core::LocalFeed>(&deadlines_->store()));
    auto followup = followup::FollowupModule::Open({.data_dir = dir_.path(), .clock = &clock_}, std::move(observed));
    ASSERT_TRUE(followup.ok()) << followup.status();
    followup_ = std::move(*followup);
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20, &clock_);
    referrals_->Host(*host_);
    responses_->Host(*host_);
    deadlines_->Host(*host_);
    followup_->Host(*host_);
    ASSERT_TRUE(host_->Start().ok());
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()),
                                       grpc::InsecureChannelCredentials());
    referral_stub_ = ReferralService::NewStub(channel);
    followup_stub_ = FollowupService::NewStub(channel);
  }
  void TearDown() override {
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    followup_.reset();  // each reads the stores of those before it
    deadlines_.reset();
    responses_.reset();
    referrals_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "ks");
    ctx->AddMetadata("x-remiss-role", "registrator");
    return ctx;
  }
  template <typename Request>
  void Ok(grpc::Status (ReferralService::Stub::*method)(grpc::ClientContext*, const Request&, CommandResult*),
          Request request, const std::string& command_id) {
    request.set_command_id(command_id);
    CommandResult result;
    grpc::Status s = (referral_stub_.get()->*method)(Ctx().get(), request, &result);
    ASSERT_TRUE(s.ok()) << command_id << ": " << s.error_message();
  }
  void Register(const std::string& id, const std::string& name, OrganizationKind kind) {
    RegisterOrganizationRequest r;
    r.set_org_id(id);
    r.set_name(name);
    r.set_kind(kind);
    Ok(&ReferralService::Stub::RegisterOrganization, r, "register-" + id);
  }
  void Issue(const std::string& case_number, const std::vector<std::string>& orgs) {
    CreateReferralRequest create;
    create.set_case_number(case_number);
    create.set_title("Remiss " + case_number);
    create.set_sender_org_id("ks");
    Ok(&ReferralService::Stub::CreateReferral, create, "create-" + case_number);
    for (const auto& org : orgs) {
      AddAddresseeRequest add;
      add.set_referral_id(case_number);
      add.set_org_id(org);
      Ok(&ReferralService::Stub::AddAddressee, add, "add-" + case_number + "-" + org);
    }
    SetDeadlineRequest deadline;
    deadline.set_referral_id(case_number);
    deadline.set_deadline("2021-03-31");
    Ok(&ReferralService::Stub::SetDeadline, deadline, "deadline-" + case_number);
    IssueReferralRequest issue;
    issue.set_referral_id(case_number);
    Ok(&ReferralService::Stub::IssueReferral, issue, "issue-" + case_number);
  }
  grpc::Status View(const GetOrganizationViewRequest& r, OrganizationView* out) {
    return followup_stub_->GetOrganizationView(Ctx().get(), r, out);
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 8, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<referrals::ReferralsModule> referrals_;
  std::unique_ptr<responses::ResponsesModule> responses_;
  std::unique_ptr<deadlines::DeadlinesModule> deadlines_;
  std::unique_ptr<followup::FollowupModule> followup_;
  std::unique_ptr<core::ServiceHost> host_;
  std::unique_ptr<ReferralService::Stub> referral_stub_;
  std::unique_ptr<FollowupService::Stub> followup_stub_;
};

TEST_F(FollowupServiceTest, AnOrganizationsViewComesInPagesOfRoundsEachOnceByCaseNumber) {
  Register("ks", "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE);
  Register("bromma-sdn", "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  Register("sodermalm-sdn", "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND);
  for (const char* case_number : {"KS 2021/30", "KS 2020/7", "KS 2021/4", "KS 2019/1939", "KS 2021/300"}) {
    Issue(case_number, {"bromma-sdn"});
  }
  Issue("KS 2021/5", {"sodermalm-sdn"});
  GetOrganizationViewRequest bromma;
  bromma.set_org_id("bromma-sdn");
  OrganizationView whole;
  for (int i = 0; i < 500; ++i) {  // until the followup service has heard of all five
    if (View(bromma, &whole).ok() && whole.items_size() == 5) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(whole.items_size(), 5) << whole.ShortDebugString();
  EXPECT_TRUE(whole.next_page_token().empty());

  auto view = [&](const GetOrganizationViewRequest& r, OrganizationView* out) { return View(r, out); };
  std::vector<OrganizationView> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(view, bromma, 2, &pages));
  ASSERT_EQ(pages.size(), 3u);
  std::vector<std::string> cases;
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].org_id(), "bromma-sdn");
    EXPECT_EQ(pages[i].org_name(), "Bromma stadsdelsnämnd");
    EXPECT_EQ(pages[i].next_page_token().empty(), i + 1 == pages.size());
    for (const auto& item : pages[i].items()) cases.push_back(item.case_number());
  }
  EXPECT_EQ(cases, (std::vector<std::string>{"KS 2019/1939", "KS 2020/7", "KS 2021/30", "KS 2021/300",
                                             "KS 2021/4"}));
  std::vector<std::string> whole_cases;
  for (const auto& item : whole.items()) whole_cases.push_back(item.case_number());
  EXPECT_EQ(whole_cases, cases);

  remiss::testing::ExpectBadPagingRefused<OrganizationView>(view, bromma);
  GetOrganizationViewRequest sodermalm;
  sodermalm.set_org_id("sodermalm-sdn");
  sodermalm.set_page_token(pages[0].next_page_token());
  OrganizationView* type = nullptr;
  EXPECT_TRUE(remiss::testing::RefusedNaming(view, sodermalm, type, "page_token: belongs to another query"));

  GetOrganizationViewRequest unknown;
  unknown.set_org_id("no-such-board");
  OrganizationView out;
  EXPECT_EQ(View(unknown, &out).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace remiss
