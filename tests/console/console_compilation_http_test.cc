// The console's sammanställning over HTTP against real services (referrals, responses and
// followup in one process, as remissd hosts them) that send at most 256 KiB
// (--max-message-bytes 64 KiB): a round whose boards' remarks make its compilation larger
// than that is read by board, page after page, and the page and its PDF show every board.
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/console/console.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/service_host.h"
#include "remiss/followup/module.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/console/dev_signin.h"
#include "tests/support/answers.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss::console {
namespace {

using namespace remiss::v1;
using remiss::testing::RemissServer;

constexpr int kMaxMessageBytes = 64 << 10;  // the services send at most 4 x this

class ConsoleCompilationOverHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    core::ModuleSettings settings{.data_dir = dir_.path(), .clock = &clock_};
    auto referrals = referrals::ReferralsModule::Open(settings);
    ASSERT_TRUE(referrals.ok()) << referrals.status();
    referrals_ = std::move(*referrals);
    auto responses = responses::ResponsesModule::Open(settings, std::make_unique<core::LocalFeed>(&referrals_->store()));
    ASSERT_TRUE(responses.ok()) << responses.status();
    responses_ = std::move(*responses);
    std::vector<std::unique_ptr<core::Feed>> observed;
    observed.push_back(std::make_unique<core::LocalFeed>(&referrals_->store()));
    observed.push_back(std::make_unique<core::LocalFeed>(&responses_->store()));
    auto followup = followup::FollowupModule::Open(settings, std::move(observed));
    ASSERT_TRUE(followup.ok()) << followup.status();
    followup_ = std::move(*followup);
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", kMaxMessageBytes, &clock_);
    referrals_->Host(*host_);
    responses_->Host(*host_);
    followup_->Host(*host_);
    ASSERT_TRUE(host_->Start().ok());
    const std::string address = absl::StrCat("127.0.0.1:", host_->port());
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    referral_stub_ = ReferralService::NewStub(channel);
    response_stub_ = ResponseService::NewStub(channel);
    followup_stub_ = FollowupService::NewStub(channel);

    ConsoleOptions o;
    o.listen = "127.0.0.1:0";
    o.dev_signin = true;
    o.referrals = o.responses = o.deadlines = o.followup = o.notices = address;
    auto c = StartConsole(o);
    ASSERT_TRUE(c.ok()) << c.status();
    console_ = std::move(*c);
    const std::string url = console_->Url();
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    console_.reset();
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    followup_.reset();  // each reads the stores of those before it
    responses_.reset();
    referrals_.reset();
  }

  void Ks(grpc::Status s, const std::string& what) { ASSERT_TRUE(s.ok()) << what << ": " << s.error_message(); }

  // KS and `boards` registered, and round KS 2021/7 issued to them.
  void IssueRound(const std::vector<std::string>& boards) {
    CommandResult r;
    auto as_ks = [] { return RemissServer::ContextAs("ks", "ks"); };
    ASSERT_TRUE(remiss::testing::RegisterKs(*referral_stub_).ok());
    for (const std::string& id : boards) {
      RegisterOrganizationRequest org;
      org.set_command_id("org-" + id);
      org.set_org_id(id);
      org.set_name("Nämnden " + id);
      org.set_kind(ORGANIZATION_KIND_FACKNAMND);
      ASSERT_NO_FATAL_FAILURE(Ks(referral_stub_->RegisterOrganization(as_ks().get(), org, &r), id));
    }
    CreateReferralRequest create;
    create.set_command_id("create");
    create.set_case_number("KS 2021/7");
    create.set_title("Stockholms stads trygghetsprogram");
    create.set_sender_org_id("ks");
    for (const std::string& id : boards) create.add_add_org_ids(id);
    ASSERT_NO_FATAL_FAILURE(Ks(referral_stub_->CreateReferral(as_ks().get(), create, &r), "create"));
    SetDeadlineRequest deadline;
    deadline.set_command_id("deadline");
    deadline.set_referral_id("ks-2021-7");
    deadline.set_deadline("2021-03-31");
    ASSERT_NO_FATAL_FAILURE(Ks(referral_stub_->SetDeadline(as_ks().get(), deadline, &r), "deadline"));
    IssueReferralRequest issue;
    issue.set_command_id("issue");
    issue.set_referral_id("ks-2021-7");
    ASSERT_NO_FATAL_FAILURE(Ks(referral_stub_->IssueReferral(as_ks().get(), issue, &r), "issue"));
  }

  // Waits (bounded) until the followup service has heard every board's submission.
  void AwaitAllAnswered() {
    GetStatusBoardRequest get;
    get.set_referral_id("ks-2021-7");
    StatusBoard board;
    for (int i = 0; i < 500; ++i) {
      board.Clear();
      if (followup_stub_->GetStatusBoard(RemissServer::Context().get(), get, &board).ok() && board.rows_size() > 0 &&
          board.not_answered().empty()) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    FAIL() << "not every board's answer arrived: " << board.ShortDebugString().substr(0, 2000);
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 8, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<referrals::ReferralsModule> referrals_;
  std::unique_ptr<responses::ResponsesModule> responses_;
  std::unique_ptr<followup::FollowupModule> followup_;
  std::unique_ptr<core::ServiceHost> host_;
  std::unique_ptr<ReferralService::Stub> referral_stub_;
  std::unique_ptr<ResponseService::Stub> response_stub_;
  std::unique_ptr<FollowupService::Stub> followup_stub_;
  std::unique_ptr<Console> console_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

// Issue 25, finding 3: eight boards with 40 KB of remarks each make a compilation over the
// services' send limit (GetCompilation is refused); the console's sammanställning and its PDF
// still show every board's answer and each of its remarks once.
TEST_F(ConsoleCompilationOverHttpTest, TheSammanstallningOfARoundOverTheSendLimitShowsEveryBoard) {
  std::vector<std::string> boards;
  for (int i = 1; i <= 8; ++i) boards.push_back(absl::StrCat("namnd-0", i));
  ASSERT_NO_FATAL_FAILURE(IssueRound(boards));
  for (size_t i = 0; i < boards.size(); ++i) {
    ASSERT_NO_FATAL_FAILURE(remiss::testing::SubmitAnswerWithRemarks(*response_stub_, "ks-2021-7", boards[i], 20000,
                                                                     static_cast<char>('a' + i)));
  }
  ASSERT_NO_FATAL_FAILURE(AwaitAllAnswered());
  GetCompilationRequest whole;
  whole.set_referral_id("ks-2021-7");
  CompilationView view;
  grpc::Status s = followup_stub_->GetCompilation(RemissServer::Context().get(), whole, &view);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << "the round should be over the send limit";

  std::string session;
  ASSERT_NO_FATAL_FAILURE(
      remiss::testing::DevSignIn(*http_, absl::StrCat("http://127.0.0.1:", port_), "ks-registrator-1", &session));
  auto page = http_->Get("/remisser/ks-2021-7/sammanstallning", {{"Cookie", "remiss_session=" + session}});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200) << page->body.substr(0, 3000);
  for (size_t i = 0; i < boards.size(); ++i) {
    const std::string& org = boards[i];
    EXPECT_NE(page->body.find("<h3>Nämnden " + org + "</h3>"), std::string::npos) << org;
    const std::string remark = org + ": " + std::string(20000, static_cast<char>('a' + i));
    size_t count = 0;
    for (size_t at = page->body.find(remark); at != std::string::npos; at = page->body.find(remark, at + 1)) ++count;
    EXPECT_EQ(count, 2u) << org << "'s two remarks";
  }
  EXPECT_NE(page->body.find("<h3>trygghet</h3>"), std::string::npos);

  auto pdf = http_->Get("/remisser/ks-2021-7/sammanstallning.pdf", {{"Cookie", "remiss_session=" + session}});
  ASSERT_TRUE(pdf);
  EXPECT_EQ(pdf->status, 200) << pdf->body.substr(0, 2000);
  EXPECT_EQ(pdf->get_header_value("Content-Type"), "application/pdf");
  EXPECT_GT(pdf->body.size(), 8u * 2 * 20000) << "the PDF should hold every board's remarks";
  for (const std::string& org : boards) EXPECT_NE(pdf->body.find("mnden " + org), std::string::npos) << org;
}

}  // namespace
}  // namespace remiss::console
