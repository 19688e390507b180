// The console over HTTP against real services (referrals and responses in one process, as
// remissd hosts them): a registrar signs in through the development chooser and saves an
// answer through the console's forms, as a browser would.
#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/console/console.h"
#include "tests/console/dev_signin.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss::console {
namespace {

using namespace remiss::v1;
using remiss::testing::RemissServer;

std::unique_ptr<grpc::ClientContext> As(const std::string& org, const std::string& role) {
  return RemissServer::ContextAs(org, role);
}

class ConsoleOverHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    ASSERT_NO_FATAL_FAILURE(server_.IssueRoundToTwoBoards());
    for (int i = 0; i < 500 && Answer("bromma-sdn").referral_id().empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
    ASSERT_EQ(Answer("bromma-sdn").referral_id(), "ks-2019-1939");

    ConsoleOptions o;
    o.listen = "127.0.0.1:0";
    o.dev_signin = true;
    o.referrals = o.responses = o.deadlines = o.followup = absl::StrCat("127.0.0.1:", server_.port());
    auto c = StartConsole(o);
    ASSERT_TRUE(c.ok()) << c.status();
    console_ = std::move(*c);
    const std::string url = console_->Url();
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }

  Response Answer(const std::string& org) {
    GetResponseRequest req;
    req.set_referral_id("ks-2019-1939");
    req.set_org_id(org);
    Response out;
    (void)server_.responses().GetResponse(As(org, "board").get(), req, &out);  // a draft is the board's own
    return out;
  }

  std::string Origin() const { return absl::StrCat("http://127.0.0.1:", port_); }

  // Signs in as `identity` through the chooser; the session cookie and its CSRF token.
  // The operator takes KS's right to send rounds away.
  void StopKsSendingRounds() {
    UpdateOrganizationRequest stop;
    stop.set_command_id("ks-stops-sending");
    stop.set_org_id("ks");
    stop.set_name("ks");
    stop.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
    stop.set_may_send_rounds(false);
    CommandResult result;
    grpc::Status s = server_.referrals().UpdateOrganization(As("drift", "operator").get(), stop, &result);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void SignIn(const std::string& identity) {
    ASSERT_NO_FATAL_FAILURE(remiss::testing::DevSignIn(*http_, Origin(), identity, &session_));
    std::smatch m;
    // Any page for a signed-in person carries the person's token (the sign-out form).
    auto any = http_->Get("/remisser/ks-2019-1939/svar/bromma-sdn", {{"Cookie", "remiss_session=" + session_}});
    ASSERT_TRUE(any);
    ASSERT_TRUE(std::regex_search(any->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) << any->body;
    csrf_ = m[1];
  }

  httplib::Result Form(const std::string& path, const std::string& body) {
    return http_->Post(path, {{"Cookie", "remiss_session=" + session_}, {"Origin", Origin()}},
                       absl::StrCat(body, "&csrf=", csrf_), "application/x-www-form-urlencoded");
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 1, 9, 0, 0), absl::UTCTimeZone())};
  RemissServer server_{dir_.path(), &clock_, {.referrals = true, .responses = true, .brokers = ""}};
  std::unique_ptr<Console> console_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> http_;
  std::string session_, csrf_;
};

// Issue 25, finding 5: KS's new-round page is offered only while KS's organization may send
// rounds (the services would refuse its commands otherwise).
TEST_F(ConsoleOverHttpTest, TheNewRoundPageIsOnlyForAnOrganizationThatMaySendRounds) {
  SignIn("ks-registrator-1");
  auto page = http_->Get("/ny-remiss", {{"Cookie", "remiss_session=" + session_}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200) << page->body.substr(0, 2000);
  EXPECT_NE(page->body.find("Ny remiss"), std::string::npos);

  ASSERT_NO_FATAL_FAILURE(StopKsSendingRounds());
  page = http_->Get("/ny-remiss", {{"Cookie", "remiss_session=" + session_}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 403) << page->body.substr(0, 2000);
  EXPECT_NE(page->body.find("får inte skicka remisser"), std::string::npos) << page->body.substr(0, 3000);
}

// Issue 25, finding 5: the menu offers "Ny remiss" only to a ks whose organization may send
// rounds, and the new-round form of one that may not is refused before any command, saying
// why.
TEST_F(ConsoleOverHttpTest, TheMenuOffersANewRoundOnlyToAnOrganizationThatMaySendRounds) {
  const std::string link = R"(<a href="/ny-remiss">Ny remiss</a>)";
  // Any page has the menu (this one needs only the two services the test runs).
  auto menu = [&] {
    auto page = http_->Get("/remisser/ks-2019-1939/svar/bromma-sdn", {{"Cookie", "remiss_session=" + session_}});
    EXPECT_TRUE(page);
    if (!page) return std::string();
    EXPECT_NE(page->body.find("Huvudmeny"), std::string::npos) << page->body.substr(0, 3000);
    return page->body;
  };
  SignIn("ks-registrator-1");
  std::string page = menu();
  EXPECT_NE(page.find(link), std::string::npos) << page.substr(0, 3000);

  ASSERT_NO_FATAL_FAILURE(StopKsSendingRounds());
  page = menu();
  EXPECT_EQ(page.find("/ny-remiss"), std::string::npos) << page.substr(0, 3000);

  auto form = Form("/ny-remiss", "command_id=c1&case_number=KS+2020%2F77&title=Ny+plan&sender_org_id=ks"
                                 "&addressees=bromma-sdn&deadline=2021-02-26");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 403) << form->body.substr(0, 2000);
  EXPECT_NE(form->body.find("får inte skicka remisser"), std::string::npos) << form->body.substr(0, 3000);
  GetReferralRequest get;
  get.set_referral_id("ks-2020-77");
  Referral none;
  EXPECT_EQ(server_.referrals().GetReferral(As("ks", "reader").get(), get, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // A board's registrar never had it.
  SignIn("bromma-sdn-registrator-1");
  page = menu();
  EXPECT_EQ(page.find("/ny-remiss"), std::string::npos) << page.substr(0, 3000);
}

// Finding 12: a statement of tens of thousands of characters is saved through the console's
// form (the services take 100,000 per text; the form was cut at 8 KiB with 413).
TEST_F(ConsoleOverHttpTest, ALongStatementIsSavedThroughTheForm) {
  SignIn("bromma-sdn-registrator-1");
  auto registered = Form("/remisser/ks-2019-1939/svar/bromma-sdn/registrera",
                         "command_id=reg-1&diary_number=BRO%202020%2F440&registered_on=2020-12-01");
  ASSERT_TRUE(registered);
  ASSERT_EQ(registered->status, 303) << registered->body;
  ASSERT_EQ(Answer("bromma-sdn").diary_number(), "BRO 2020/440");

  std::string summary;
  while (summary.size() < 90'000) summary += "Förvaltningen ställer sig positiv till programmets inriktning. ";
  summary.resize(90'000);
  auto saved = Form("/remisser/ks-2019-1939/svar/bromma-sdn/utlatande",
                    absl::StrCat("command_id=st-1&standpoint=STANDPOINT_POSITIVE&statement_date=2020-12-01"
                                 "&proposed_decision=Att%20godk%C3%A4nna%20programmet&summary=",
                                 httplib::detail::encode_query_param(summary)));
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->status, 303) << saved->body.substr(0, 2000);
  auto after = http_->Get("/remisser/ks-2019-1939/svar/bromma-sdn", {{"Cookie", "remiss_session=" + session_}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body.find("class=\"error\""), std::string::npos) << after->body.substr(0, 3000);
  const std::string stored = Answer("bromma-sdn").statement().summary();
  EXPECT_EQ(stored.size(), summary.size());
  EXPECT_TRUE(stored == summary);
}

// Finding 15: a token is taken from the form's body only (a token in a URL leaks into logs
// and Referer headers), and signing out ends the session even without the form's token.
TEST_F(ConsoleOverHttpTest, TokensComeFromTheBodyOnlyAndSigningOutEndsTheSession) {
  auto page = http_->Get("/logga-in");
  ASSERT_TRUE(page);
  std::smatch m;
  const std::string cookie = page->get_header_value("Set-Cookie");
  ASSERT_TRUE(std::regex_search(cookie, m, std::regex("remiss_pre=([0-9a-f]+)")));
  const std::string pre = m[1];
  ASSERT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")));
  auto in_query = http_->Post(absl::StrCat("/logga-in?csrf=", m[1].str()), {{"Cookie", "remiss_pre=" + pre}, {"Origin", Origin()}},
                              "identity=ks-registrator-1", "application/x-www-form-urlencoded");
  ASSERT_TRUE(in_query);
  EXPECT_EQ(in_query->status, 403) << in_query->body.substr(0, 500);
  EXPECT_EQ(in_query->get_header_value("Set-Cookie").find("remiss_session="), std::string::npos);

  SignIn("bromma-sdn-registrator-1");
  auto form_in_query = http_->Post(absl::StrCat("/remisser/ks-2019-1939/svar/bromma-sdn/registrera?csrf=", csrf_),
                                   {{"Cookie", "remiss_session=" + session_}, {"Origin", Origin()}},
                                   "command_id=q&diary_number=BRO%202020%2F1&registered_on=2020-12-01",
                                   "application/x-www-form-urlencoded");
  ASSERT_TRUE(form_in_query);
  EXPECT_EQ(form_in_query->status, 403);
  auto out = http_->Post("/logga-ut", {{"Cookie", "remiss_session=" + session_}, {"Origin", Origin()}}, "",
                         "application/x-www-form-urlencoded");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 303);
  auto after = http_->Get("/remisser/ks-2019-1939/svar/bromma-sdn", {{"Cookie", "remiss_session=" + session_}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 303) << "the session outlived signing out";
  EXPECT_EQ(after->get_header_value("Location"), "/logga-in");
}

}  // namespace
}  // namespace remiss::console
