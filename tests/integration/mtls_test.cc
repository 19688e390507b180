// Identity and authorization through a real mutual-TLS handshake: referrals and responses in
// one server with the development PKI of tools/pki.sh (made at run time in a temp dir). Every
// refusal is asserted to leave both event logs as they were.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;
using remiss::testing::RemissServer;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class MutualTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new remiss::testing::TempDir();
    const std::string tool = std::string(REMISS_SOURCE_DIR) + "/tools/pki.sh";
    const std::string dir = pki_->Sub("dev"), foreign = pki_->Sub("foreign");
    const std::string script =
        tool + " " + dir + " >/dev/null && " + tool + " expired " + dir + " expired bromma-sdn board && " +
        tool + " nosan " + dir + " nosan && " + tool + " ca " + foreign + " && " + tool +
        " client " + foreign + " ks ks ks";
    ASSERT_EQ(std::system(script.c_str()), 0) << script;
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    // KS sets up a round with two boards and issues it; Bromma registers its answer.
    Ks(&ReferralService::Stub::RegisterOrganization, Org("ks", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS"));
    Ks(&ReferralService::Stub::RegisterOrganization, Org("bromma-sdn", ORGANIZATION_KIND_STADSDELSNAMND, "BRO"));
    Ks(&ReferralService::Stub::RegisterOrganization, Org("sodermalm-sdn", ORGANIZATION_KIND_STADSDELSNAMND, "SÖ"));
    CreateReferralRequest create;
    create.set_command_id("create");
    create.set_case_number("KS 2019/1939");
    create.set_title("Stockholms stads trygghetsprogram 2020-2023");
    create.set_summary("Ett program för ökad trygghet i Stockholm.");
    create.set_sender_org_id("ks");
    create.mutable_contact()->set_name("Handläggare");
    create.mutable_contact()->set_email("registrator@example.org");
    Ks(&ReferralService::Stub::CreateReferral, create);
    for (const char* org : {"bromma-sdn", "sodermalm-sdn"}) {
      AddAddresseeRequest add;
      add.set_command_id(std::string("add-") + org);
      add.set_referral_id("ks-2019-1939");
      add.set_org_id(org);
      Ks(&ReferralService::Stub::AddAddressee, add);
    }
    SetDeadlineRequest deadline;
    deadline.set_command_id("deadline");
    deadline.set_referral_id("ks-2019-1939");
    deadline.set_deadline("2021-02-26");
    Ks(&ReferralService::Stub::SetDeadline, deadline);
    IssueReferralRequest issue;
    issue.set_command_id("issue");
    issue.set_referral_id("ks-2019-1939");
    Ks(&ReferralService::Stub::IssueReferral, issue);
    ASSERT_TRUE(WaitForResponsesToSeeTheRound());
  }

  static RegisterOrganizationRequest Org(const std::string& id, OrganizationKind kind,
                                         const std::string& prefix) {
    RegisterOrganizationRequest r;
    r.set_command_id("register-" + id);
    r.set_org_id(id);
    r.set_name(id);
    r.set_kind(kind);
    r.set_diary_prefix(prefix);
    // KS (registered first, by its own ks certificate: the first start's concession) may
    // send rounds; no one else.
    r.set_may_send_rounds(kind == ORGANIZATION_KIND_KOMMUNSTYRELSE);
    return r;
  }
  static RegisterResponseRequest Registration(const std::string& org, const std::string& id) {
    RegisterResponseRequest r;
    r.set_command_id(id);
    r.set_referral_id("ks-2019-1939");
    r.set_org_id(org);
    r.set_diary_number("BRO 2020/440");
    r.set_registered_on("2020-12-02");
    return r;
  }

  // A channel presenting `name`.pem/.key of `dir` (no client certificate for an empty name),
  // trusting the development CA.
  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& name, std::string dir = "") {
    if (dir.empty()) dir = pki_->Sub("dev");
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(pki_->Sub("dev") + "/ca.pem");
    if (!name.empty()) {
      o.pem_cert_chain = Read(dir + "/" + name + ".pem");
      o.pem_private_key = Read(dir + "/" + name + ".key");
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_.port()),
                                     grpc::SslCredentials(o), args);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return ctx;
  }
  template <typename Request>
  grpc::Status As(const std::string& who, grpc::Status (ReferralService::Stub::*m)(
                                              grpc::ClientContext*, const Request&, CommandResult*),
                  const Request& r, grpc::ClientContext* ctx = nullptr) {
    auto own = Ctx();
    CommandResult result;
    return (ReferralService::NewStub(ChannelAs(who)).get()->*m)(ctx ? ctx : own.get(), r, &result);
  }
  template <typename Request>
  grpc::Status As(const std::string& who, grpc::Status (ResponseService::Stub::*m)(
                                              grpc::ClientContext*, const Request&, CommandResult*),
                  const Request& r, grpc::ClientContext* ctx = nullptr) {
    auto own = Ctx();
    CommandResult result;
    return (ResponseService::NewStub(ChannelAs(who)).get()->*m)(ctx ? ctx : own.get(), r, &result);
  }
  template <typename Request>
  void Ks(grpc::Status (ReferralService::Stub::*m)(grpc::ClientContext*, const Request&, CommandResult*),
          const Request& r) {
    grpc::Status s = As("ks", m, r);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }

  // Until responses has taken everything referrals recorded (the round's terms, and the
  // organizations' sending rights it restates): after that a refusal's "nothing recorded" is
  // not muddied by responses still catching up.
  bool WaitForResponsesToSeeTheRound() {
    for (int i = 0; i < 200; ++i) {
      const uint64_t head = server_.referrals_module().store().LastPosition();
      for (const auto& [source, partition, cursor] : server_.responses_module().store().FeedCursors()) {
        if (source == "referrals" && cursor.position >= head && head > 0) return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  // Both event logs' last positions: what a refusal must leave as it was.
  std::pair<uint64_t, uint64_t> Logs() {
    return {server_.referrals_module().store().LastPosition(),
            server_.responses_module().store().LastPosition()};
  }

  // The actor the log names on the last event of Bromma's answer to the round.
  void ExpectBrommasLastActor(const std::string& role, const std::string& person_id) {
    auto events = server_.responses_module().store().ReadStream("response/ks-2019-1939/bromma-sdn");
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_FALSE(events->empty());
    EXPECT_EQ(events->back().actor().org_id(), "bromma-sdn");
    EXPECT_EQ(events->back().actor().role(), role);
    EXPECT_EQ(events->back().actor().person_id(), person_id);
  }

  static remiss::testing::TempDir* pki_;
  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2020, 12, 2, 9, 0, 0), absl::UTCTimeZone())};
  RemissServer server_{dir_.path(), &clock_,
                       {.referrals = true,
                        .responses = true,
                        .tls = {.cert_file = pki_->Sub("dev") + "/server.pem",
                                .key_file = pki_->Sub("dev") + "/server.key",
                                .ca_file = pki_->Sub("dev") + "/ca.pem"}}};
};
remiss::testing::TempDir* MutualTlsTest::pki_ = nullptr;

TEST_F(MutualTlsTest, ABoardActsOnItsOwnAnswerAndTheLogNamesItFromItsCertificate) {
  auto ctx = Ctx();
  ctx->AddMetadata("x-remiss-org", "sodermalm-sdn");  // names no one under TLS
  ctx->AddMetadata("x-remiss-role", "ks");
  ctx->AddMetadata("x-remiss-person", "someone");
  grpc::Status s = As("bromma-sdn", &ResponseService::Stub::RegisterResponse,
                      Registration("bromma-sdn", "bromma-registers"), ctx.get());
  ASSERT_TRUE(s.ok()) << s.error_message();
  ExpectBrommasLastActor("board", "");  // only a gateway names a person
}

TEST_F(MutualTlsTest, NoClientCertificateIsRefusedAndChangesNothing) {
  const auto before = Logs();
  grpc::Status s = As("", &ResponseService::Stub::RegisterResponse, Registration("bromma-sdn", "c1"));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();  // handshake
  EXPECT_EQ(Logs(), before);
}

TEST_F(MutualTlsTest, ACertificateFromAForeignCaIsRefusedAndChangesNothing) {
  const auto before = Logs();
  auto ctx = Ctx();
  CommandResult result;
  grpc::Status s = ReferralService::NewStub(ChannelAs("ks", pki_->Sub("foreign")))
                       ->RegisterOrganization(ctx.get(), Org("evil", ORGANIZATION_KIND_FACKNAMND, "EV"), &result);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(Logs(), before);
}

TEST_F(MutualTlsTest, AnExpiredCertificateIsRefusedAndChangesNothing) {
  const auto before = Logs();
  grpc::Status s = As("expired", &ResponseService::Stub::RegisterResponse, Registration("bromma-sdn", "c2"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(Logs(), before);
}

TEST_F(MutualTlsTest, ACertificateWithoutTheSanUriIsUnauthenticated) {
  const auto before = Logs();
  grpc::Status s = As("nosan", &ResponseService::Stub::RegisterResponse, Registration("bromma-sdn", "c3"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(Logs(), before);
}

// The console (a `gateway` certificate) acts for the person the municipality's login named:
// that person's organization and role are checked, and the log names the person.
TEST_F(MutualTlsTest, ThroughTheGatewayAPersonActsInTheirOwnRoleAndTheLogNamesThem) {
  auto ctx = Ctx();
  ctx->AddMetadata("x-remiss-org", "bromma-sdn");
  ctx->AddMetadata("x-remiss-role", "board");
  ctx->AddMetadata("x-remiss-person", "p-4711");
  grpc::Status s = As("gateway", &ResponseService::Stub::RegisterResponse,
                      Registration("bromma-sdn", "via-console"), ctx.get());
  ASSERT_TRUE(s.ok()) << s.error_message();
  ExpectBrommasLastActor("board", "p-4711");
}

TEST_F(MutualTlsTest, TheGatewayActsForNoOtherOrganizationNoOperatorAndNoOneUnnamed) {
  const auto before = Logs();
  struct Case {
    std::string org, role, person, code_field;
    grpc::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"bromma-sdn", "board", "p-1", "sodermalm", grpc::StatusCode::PERMISSION_DENIED},
      {"bromma-sdn", "operator", "p-1", "x-remiss-role", grpc::StatusCode::PERMISSION_DENIED},
      {"bromma-sdn", "gateway", "p-1", "gateway", grpc::StatusCode::PERMISSION_DENIED},  // itself
      {"bromma-sdn", "board", "", "x-remiss-person", grpc::StatusCode::PERMISSION_DENIED},
      {"", "board", "p-1", "x-remiss-org", grpc::StatusCode::PERMISSION_DENIED},
      {"", "", "p-1", "gateway", grpc::StatusCode::PERMISSION_DENIED},  // itself: reads only
      {"bromma-sdn", "", "p-1", "gateway", grpc::StatusCode::PERMISSION_DENIED},
  };
  int n = 0;
  for (const Case& c : cases) {
    auto ctx = Ctx();
    if (!c.org.empty()) ctx->AddMetadata("x-remiss-org", c.org);
    if (!c.role.empty()) ctx->AddMetadata("x-remiss-role", c.role);
    if (!c.person.empty()) ctx->AddMetadata("x-remiss-person", c.person);
    grpc::Status s = As("gateway", &ResponseService::Stub::RegisterResponse,
                        Registration("sodermalm-sdn", absl::StrCat("gw-", ++n)), ctx.get());
    EXPECT_EQ(s.error_code(), c.code) << c.org << "/" << c.role << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(c.code_field), std::string::npos)
        << c.org << "/" << c.role << ": " << s.error_message();
  }
  EXPECT_EQ(Logs(), before);
}

// Finding 5: role ks only for an organization that may send rounds. Through the gateway a
// person of Bromma (no sender) or of an unregistered organization in role ks is refused a
// referrals command, its own registration as a sender too, and nothing is recorded; KS's
// person acts.
TEST_F(MutualTlsTest, ThroughTheGatewayAKsActsOnlyForAnOrganizationThatMaySendRounds) {
  const auto before = Logs();
  for (const std::string org : {"bromma-sdn", "evil"}) {
    auto ctx = Ctx();
    ctx->AddMetadata("x-remiss-org", org);
    ctx->AddMetadata("x-remiss-role", "ks");
    ctx->AddMetadata("x-remiss-person", "p-9");
    CreateReferralRequest create;
    create.set_command_id("gw-create-" + org);
    create.set_case_number("BRO 2020/9");
    create.set_title("En remiss");
    create.set_sender_org_id("bromma-sdn");
    grpc::Status s = As("gateway", &ReferralService::Stub::CreateReferral, create, ctx.get());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << org << ": " << s.error_message();
    EXPECT_NE(s.error_message().find("organization \"" + org + "\" may not send rounds"),
              std::string::npos)
        << s.error_message();
    auto own = Ctx();
    own->AddMetadata("x-remiss-org", org);
    own->AddMetadata("x-remiss-role", "ks");
    own->AddMetadata("x-remiss-person", "p-9");
    RegisterOrganizationRequest self = Org(org == "evil" ? "evil" : "bromma-sdn",
                                           ORGANIZATION_KIND_KOMMUNSTYRELSE, "EV");
    self.set_command_id("gw-self-" + org);
    s = As("gateway", &ReferralService::Stub::RegisterOrganization, self, own.get());
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << org << ": " << s.error_message();
  }
  EXPECT_EQ(Logs(), before) << "a refusal recorded something";
  auto ks = Ctx();
  ks->AddMetadata("x-remiss-org", "ks");
  ks->AddMetadata("x-remiss-role", "ks");
  ks->AddMetadata("x-remiss-person", "p-1");
  grpc::Status s = As("gateway", &ReferralService::Stub::RegisterOrganization,
                      Org("solna-sdn", ORGANIZATION_KIND_STADSDELSNAMND, "SOL"), ks.get());
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// The first start's concession is not the gateway's: on a fresh system a person in role ks
// through the gateway cannot register their organization as the first sender; KS's own ks
// certificate can, and the operator's can register any.
TEST_F(MutualTlsTest, OnAFreshSystemOnlyAKsCertificateOrTheOperatorMakesTheFirstSender) {
  remiss::testing::TempDir fresh_dir;
  RemissServer fresh(fresh_dir.path(), &clock_,
                     {.referrals = true,
                      .tls = {.cert_file = pki_->Sub("dev") + "/server.pem",
                              .key_file = pki_->Sub("dev") + "/server.key",
                              .ca_file = pki_->Sub("dev") + "/ca.pem"}});
  ASSERT_TRUE(fresh.Start());
  auto call = [&](const std::string& cert, const RegisterOrganizationRequest& r,
                  const std::vector<std::pair<std::string, std::string>>& md) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(pki_->Sub("dev") + "/ca.pem");
    o.pem_cert_chain = Read(pki_->Sub("dev") + "/" + cert + ".pem");
    o.pem_private_key = Read(pki_->Sub("dev") + "/" + cert + ".key");
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub = ReferralService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", fresh.port()), grpc::SslCredentials(o), args));
    auto ctx = Ctx();
    for (const auto& [k, v] : md) ctx->AddMetadata(k, v);
    CommandResult result;
    return stub->RegisterOrganization(ctx.get(), r, &result);
  };
  RegisterOrganizationRequest evil = Org("evil", ORGANIZATION_KIND_KOMMUNSTYRELSE, "EV");
  grpc::Status s = call("gateway", evil,
                        {{"x-remiss-org", "evil"}, {"x-remiss-role", "ks"}, {"x-remiss-person", "p-6"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(fresh.referrals_module().store().LastPosition(), 0u) << "the gateway made a sender";
  s = call("ks", Org("ks", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS"), {});
  EXPECT_TRUE(s.ok()) << s.error_message();
  RegisterOrganizationRequest region = Org("region", ORGANIZATION_KIND_REGION, "RS");
  region.set_may_send_rounds(true);
  s = call("operator", region, {});
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Finding 5: the gateway's certificate alone is no one: every gateway call names the person
// it is made for, reads too.
TEST_F(MutualTlsTest, AGatewayReadNamesThePersonItIsFor) {
  GetReferralRequest get;
  get.set_referral_id("ks-2019-1939");
  for (const std::string& person : {std::string(), std::string("Anna Andersson"), std::string(65, 'p')}) {
    auto ctx = Ctx();
    if (!person.empty()) ctx->AddMetadata("x-remiss-person", person);
    Referral out;
    grpc::Status s = ReferralService::NewStub(ChannelAs("gateway"))->GetReferral(ctx.get(), get, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << person << ": " << s.error_message();
    EXPECT_NE(s.error_message().find("x-remiss-person"), std::string::npos) << s.error_message();
  }
  for (const char* role : {"", "reader", "ks"}) {
    auto ctx = Ctx();
    ctx->AddMetadata("x-remiss-person", "p-4711");
    if (*role != '\0') {
      ctx->AddMetadata("x-remiss-org", "ks");
      ctx->AddMetadata("x-remiss-role", role);
    }
    Referral out;
    grpc::Status s = ReferralService::NewStub(ChannelAs("gateway"))->GetReferral(ctx.get(), get, &out);
    EXPECT_TRUE(s.ok()) << role << ": " << s.error_message();
  }
}

TEST_F(MutualTlsTest, ABoardCannotActForAnotherBoard) {
  const auto before = Logs();
  grpc::Status s = As("bromma-sdn", &ResponseService::Stub::RegisterResponse,
                      Registration("sodermalm-sdn", "c4"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(Logs(), before);
}

TEST_F(MutualTlsTest, MetadataClaimingAnotherOrganizationNamesNoOne) {
  const auto before = Logs();
  auto ctx = Ctx();
  ctx->AddMetadata("x-remiss-org", "sodermalm-sdn");
  ctx->AddMetadata("x-remiss-role", "board");
  grpc::Status s = As("bromma-sdn", &ResponseService::Stub::RegisterResponse,
                      Registration("sodermalm-sdn", "c5"), ctx.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  auto ks_claim = Ctx();
  ks_claim->AddMetadata("x-remiss-org", "ks");
  ks_claim->AddMetadata("x-remiss-role", "ks");
  IssueReferralRequest issue;
  issue.set_command_id("c6");
  issue.set_referral_id("ks-2019-1939");
  s = As("bromma-sdn", &ReferralService::Stub::IssueReferral, issue, ks_claim.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  EXPECT_EQ(Logs(), before);
}

TEST_F(MutualTlsTest, ABoardCannotIssueMoveOrWithdrawARound) {
  const auto before = Logs();
  IssueReferralRequest issue;
  issue.set_command_id("c7");
  issue.set_referral_id("ks-2019-1939");
  EXPECT_EQ(As("bromma-sdn", &ReferralService::Stub::IssueReferral, issue).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  MoveDeadlineRequest move;  // a self-granted anstånd
  move.set_command_id("c8");
  move.set_referral_id("ks-2019-1939");
  move.set_org_id("bromma-sdn");
  move.set_deadline("2021-03-31");
  move.set_reason("Vi hinner inte.");
  EXPECT_EQ(As("bromma-sdn", &ReferralService::Stub::MoveDeadline, move).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  WithdrawReferralRequest withdraw;
  withdraw.set_command_id("c9");
  withdraw.set_referral_id("ks-2019-1939");
  EXPECT_EQ(As("bromma-sdn", &ReferralService::Stub::WithdrawReferral, withdraw).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Logs(), before);
}

TEST_F(MutualTlsTest, AReaderReadsButSendsNoCommand) {
  const auto before = Logs();
  EXPECT_EQ(As("reader", &ReferralService::Stub::RegisterOrganization,
               Org("reader-org", ORGANIZATION_KIND_FACKNAMND, "RO")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(As("reader", &ResponseService::Stub::RegisterResponse, Registration("bromma-sdn", "c10"))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Logs(), before);
  GetReferralRequest get;
  get.set_referral_id("ks-2019-1939");
  Referral referral;
  auto ctx = Ctx();
  grpc::Status s = ReferralService::NewStub(ChannelAs("reader"))->GetReferral(ctx.get(), get, &referral);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(referral.case_number(), "KS 2019/1939");
}

TEST_F(MutualTlsTest, TheAdminServiceIsTheOperatorsOnly) {
  const auto before = Logs();
  for (const char* who : {"ks", "bromma-sdn", "reader"}) {
    auto admin = AdminService::NewStub(ChannelAs(who));
    auto c1 = Ctx();
    ProjectionDigest digest;
    EXPECT_EQ(admin->RebuildProjections(c1.get(), {}, &digest).error_code(),
              grpc::StatusCode::PERMISSION_DENIED) << who;
    auto c2 = Ctx();
    Positions positions;
    EXPECT_EQ(admin->GetPositions(c2.get(), {}, &positions).error_code(),
              grpc::StatusCode::PERMISSION_DENIED) << who;
    auto c3 = Ctx();
    ClockState clock;
    SetClockRequest set;
    set.mutable_advance()->set_seconds(3600);
    EXPECT_EQ(admin->SetClock(c3.get(), set, &clock).error_code(),
              grpc::StatusCode::PERMISSION_DENIED) << who;
  }
  EXPECT_EQ(Logs(), before);
  auto ctx = Ctx();
  Positions positions;
  grpc::Status s = AdminService::NewStub(ChannelAs("operator"))->GetPositions(ctx.get(), {}, &positions);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_GE(positions.refused_calls(), 9u);  // counted, with a log line each
}

TEST_F(MutualTlsTest, HealthAnswersACertifiedCaller) {
  auto ctx = Ctx();
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = grpc::health::v1::Health::NewStub(ChannelAs("reader"))->Check(ctx.get(), request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(PlaintextListenerTest, IsRefusedOnAnyAddressButLoopback) {
  core::ServiceHost host("0.0.0.0:0", 4 << 20);
  absl::Status s = host.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(core::IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(core::IsLoopbackAddress("[::1]:0"));
  EXPECT_TRUE(core::IsLoopbackAddress("localhost:8080"));
  EXPECT_FALSE(core::IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(core::IsLoopbackAddress("10.0.0.5:50051"));
}

// Finding 6: loopback is what an address resolves to, not how it is spelled: a host name that
// starts "127." is a name like any other, and a plaintext listener is refused on it.
TEST(PlaintextListenerTest, IsRefusedOnANameThatOnlyLooksLikeLoopback) {
  for (const char* listen : {"127.0.0.1.rebound.invalid:0", "127.example.invalid:0", "ipv4:127.x.invalid:0"}) {
    EXPECT_FALSE(core::IsLoopbackAddress(listen)) << listen;
    core::ServiceHost host(listen, 4 << 20);
    absl::Status s = host.Start();
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << listen << ": " << s;
  }
  EXPECT_TRUE(core::IsLoopbackAddress("127.1.2.3:0"));
  EXPECT_TRUE(core::IsLoopbackAddress("ipv4:127.0.0.1:0"));
  EXPECT_FALSE(core::IsLoopbackAddress(":8080"));
}

}  // namespace
}  // namespace remiss

namespace remiss {
namespace {

// Rotation without a restart: a server reloads its CA file (and certificate and key) when
// they change. A CA is rotated by trusting the old and the new together, then the new alone:
// a caller certified by the new CA is refused, then accepted, and one of the old CA refused
// once the old CA is gone, all by the same running server.
TEST(MutualTlsRotation, AServerTakesANewCaWithoutARestart) {
  remiss::testing::TempDir dir;
  const std::string tool = std::string(REMISS_SOURCE_DIR) + "/tools/pki.sh";
  const std::string old_ca = dir.Sub("old"), new_ca = dir.Sub("new"), live = dir.Sub("live");
  const std::string script = tool + " " + old_ca + " >/dev/null && " + tool + " ca " + new_ca +
                             " && " + tool + " client " + new_ca + " ks ks ks && mkdir -p " + live +
                             " && cp " + old_ca + "/server.pem " + old_ca + "/server.key " +
                             old_ca + "/ca.pem " + live + "/";
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  core::ManualClock clock(absl::FromCivil(absl::CivilSecond(2020, 12, 2, 9, 0, 0), absl::UTCTimeZone()));
  RemissServer server(dir.Sub("data"), &clock,
                      {.referrals = true,
                       .tls = {.cert_file = live + "/server.pem",
                               .key_file = live + "/server.key",
                               .ca_file = live + "/ca.pem",
                               .reload_seconds = 1}});
  ASSERT_TRUE(server.Start());

  int attempt = 0;
  // Registers an organization as KS with the certificate of `ca_dir`, on a new channel.
  auto register_as_ks = [&](const std::string& ca_dir) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(old_ca + "/ca.pem");  // the server's certificate stays the old CA's
    o.pem_cert_chain = Read(ca_dir + "/ks.pem");
    o.pem_private_key = Read(ca_dir + "/ks.key");
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a new connection, a new handshake
    auto stub = ReferralService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server.port()), grpc::SslCredentials(o), args));
    RegisterOrganizationRequest r;
    r.set_command_id(absl::StrCat("rotation-", ++attempt));
    r.set_org_id(absl::StrCat("org-", attempt));
    r.set_name("Nämnd");
    r.set_kind(ORGANIZATION_KIND_FACKNAMND);
    r.set_diary_prefix("N");
    if (attempt == 1) {  // KS itself first, as the sender its ks acts for
      r.set_org_id("ks");
      r.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
      r.set_may_send_rounds(true);
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    CommandResult result;
    return stub->RegisterOrganization(&ctx, r, &result);
  };
  auto eventually = [&](const std::string& ca_dir, bool accepted) {
    for (absl::Time until = absl::Now() + absl::Seconds(30); absl::Now() < until;) {
      if (register_as_ks(ca_dir).ok() == accepted) return true;
      absl::SleepFor(absl::Milliseconds(300));
    }
    return false;
  };
  auto write_ca = [&](const std::string& pem) {
    const std::string tmp = live + "/ca.pem.tmp";
    std::ofstream(tmp) << pem;
    std::filesystem::rename(tmp, live + "/ca.pem");
  };

  EXPECT_TRUE(register_as_ks(old_ca).ok());
  EXPECT_EQ(register_as_ks(new_ca).error_code(), grpc::StatusCode::UNAVAILABLE);
  write_ca(Read(old_ca + "/ca.pem") + Read(new_ca + "/ca.pem"));  // both, for a while
  EXPECT_TRUE(eventually(new_ca, true)) << "the new CA was not taken without a restart";
  EXPECT_TRUE(register_as_ks(old_ca).ok()) << "the old CA was dropped too early";
  write_ca(Read(new_ca + "/ca.pem"));  // the new CA alone
  EXPECT_TRUE(eventually(old_ca, false)) << "the old CA is still trusted";
  EXPECT_TRUE(register_as_ks(new_ca).ok());
}

// Finding 5: revocation. A server given --tls-crl-dir refuses a certificate its CA revoked,
// from the next connection on and without a restart (tools/pki.sh revoke writes a new list
// beside the old), and refuses to start with a directory that holds no list.
TEST(MutualTlsRevocation, ARevokedCertificateIsRefusedFromTheNextConnection) {
  remiss::testing::TempDir dir;
  const std::string tool = std::string(REMISS_SOURCE_DIR) + "/tools/pki.sh";
  const std::string pki = dir.Sub("pki");
  ASSERT_EQ(std::system((tool + " " + pki + " >/dev/null").c_str()), 0);
  core::ManualClock clock(absl::FromCivil(absl::CivilSecond(2020, 12, 2, 9, 0, 0), absl::UTCTimeZone()));
  {
    std::filesystem::create_directories(dir.Sub("empty-crl"));
    RemissServer refused(dir.Sub("data-refused"), &clock,
                         {.referrals = true,
                          .tls = {.cert_file = pki + "/server.pem", .key_file = pki + "/server.key",
                                  .ca_file = pki + "/ca.pem", .crl_dir = dir.Sub("empty-crl")}});
    ::testing::AssertionResult started = refused.Start();
    EXPECT_FALSE(started);
    EXPECT_NE(std::string(started.message()).find("--tls-crl-dir"), std::string::npos) << started.message();
  }
  RemissServer server(dir.Sub("data"), &clock,
                      {.referrals = true,
                       .tls = {.cert_file = pki + "/server.pem", .key_file = pki + "/server.key",
                               .ca_file = pki + "/ca.pem", .crl_dir = pki + "/crl"}});
  ASSERT_TRUE(server.Start());
  int attempt = 0;
  // Registers an organization as `name` (ks or operator...) on a new connection.
  auto call_as = [&](const std::string& name) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(pki + "/ca.pem");
    o.pem_cert_chain = Read(pki + "/" + name + ".pem");
    o.pem_private_key = Read(pki + "/" + name + ".key");
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a new connection, a new handshake
    auto stub = ReferralService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server.port()), grpc::SslCredentials(o), args));
    GetOrganizationRequest r;
    r.set_org_id(absl::StrCat("org-", ++attempt));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    Organization out;
    return stub->GetOrganization(&ctx, r, &out).error_code();
  };
  EXPECT_EQ(call_as("ks"), grpc::StatusCode::NOT_FOUND);  // through the handshake and the policy
  EXPECT_EQ(call_as("reader"), grpc::StatusCode::NOT_FOUND);
  ASSERT_EQ(std::system((tool + " revoke " + pki + " reader >/dev/null").c_str()), 0);
  EXPECT_EQ(call_as("reader"), grpc::StatusCode::UNAVAILABLE) << "a revoked certificate got through";
  EXPECT_EQ(call_as("ks"), grpc::StatusCode::NOT_FOUND) << "a certificate that was not revoked was refused";
}

}  // namespace
}  // namespace remiss
