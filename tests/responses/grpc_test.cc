// The responses service through a real gRPC server on loopback, in one process with the
// referrals service (as remissd runs them): KS issues KS 2019/1939, and Bromma's protocol
// (seed 000) and Södermalm's statement (seed 001) are recorded as their boards would, then
// read back field for field.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/support/paging.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;
using google::protobuf::util::MessageDifferencer;
using remiss::testing::RemissServer;

absl::Time Stockholm(int y, int m, int d, int hh = 12) {
  static const absl::TimeZone zone = [] {
    absl::TimeZone z;
    absl::LoadTimeZone("Europe/Stockholm", &z);
    return z;
  }();
  return absl::FromCivil(absl::CivilHour(y, m, d, hh), zone);
}

Document Doc(const std::string& id, const std::string& title) {
  Document d;
  d.set_id(id);
  d.set_title(title);
  d.set_uri("diary://" + id);
  return d;
}

// Bromma stadsdelsnämnd's protocol extract, § 5, BRO 2020/440 (seed 000).
BoardDecision BrommaDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-18");
  d.set_paragraph("§ 5");
  d.set_decision_text(
      "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram 2020-2023 till "
      "kommunstyrelsen.");
  Proposal* administration = d.add_proposals();
  administration->set_id("forvaltningen");
  administration->set_proposed_by("förvaltningen");
  administration->set_text("Stadsdelsnämnden överlämnar remissvaret till kommunstyrelsen.");
  Proposal* s = d.add_proposals();
  s->set_id("s");
  s->set_proposed_by("Johan Heinonen m.fl. (S)");
  s->add_parties("S");
  s->set_text("Delvis godkänna förvaltningens förslag till beslut och därutöver anföra följande.");
  d.set_winning_proposal("forvaltningen");
  d.set_beslutsgang(
      "Ordföranden ställde förslagen mot varandra och konstaterade att nämnden ställde sig bakom "
      "förvaltningens förslag.");
  Reservation* r = d.add_reservations();
  r->add_parties("S");
  r->add_members("Johan Heinonen");
  r->set_in_favour_of("s");
  r->set_text(
      "Delvis godkänna förvaltningens förslag till beslut och därutöver anföra följande: Arbetet "
      "för jämlikhet och mot segregation är avgörande om vi ska skapa ett tryggare Stockholm.");
  SpecialStatement* majority = d.add_special_statements();
  for (const char* p : {"M", "L", "MP", "C"}) majority->add_parties(p);
  for (const char* m : {"Johan Paccamonti", "Hanna Wistrand", "Karl Persson", "Adrian Nordén"}) {
    majority->add_members(m);
  }
  majority->set_text(
      "Den grönblå majoriteten ställer sig bakom förvaltningens svar på samrådet och vill "
      "härutöver anföra följande.");
  SpecialStatement* v = d.add_special_statements();
  v->add_parties("V");
  v->add_members("Lillemor Samuelsson");
  v->set_text("När nu majoriteten valt att dela upp program för säkerhet och trygghet borde "
              "programmen gått ut på remiss samtidigt.");
  SpecialStatement* sd = d.add_special_statements();
  sd->add_parties("SD");
  sd->add_members("Ismo Pato");
  sd->set_text("Ett nytt program har tagits fram med syfte att förbättra tryggheten för våra "
               "invånare.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  *d.add_documents() = Doc("411197", "(Godkänd - R 1) Remissvar Stockholms stads Trygghetsprogram 2020- 2023");
  *d.add_documents() = Doc("409404", "Trygghetsprogram KS Bilaga 1");
  return d;
}

// Södermalms stadsdelsförvaltning's tjänsteutlåtande of 25 February 2021 (seed 001).
Statement SodermalmStatement() {
  Statement s;
  s.set_statement_date("2021-02-25");
  s.set_addressed_to("Södermalms stadsdelsnämnd");
  s.add_proposed_decision("Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.add_proposed_decision("Beslutet justeras omedelbart.");
  s.set_summary("Förvaltningen ställer sig positiv till Stockholms stads trygghetsprogram 2020-2023.");
  s.set_background("Kommunstyrelsen har remitterat ärendet till Södermalms stadsdelsnämnd för "
                   "yttrande senast den 26 februari 2021.");
  s.set_preparation("Ärendet har behandlats i förvaltningsgruppen och pensionärsrådet den 15 "
                    "februari och i rådet för funktionshinderfrågor den 16 februari 2021.");
  s.set_views("Förvaltningen vill särskilt betona vikten av samverkan mellan stadens "
              "förvaltningar och bolag.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  s.set_administration_unit("Stadsdelsdirektörens stab och kansli");
  *s.add_documents() = Doc("bilaga-1", "Stockholms stads trygghetsprogram 2020-2023");
  return s;
}

class ResponsesGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start());
    for (const auto& [id, kind] : std::vector<std::pair<std::string, OrganizationKind>>{
             {"ks", ORGANIZATION_KIND_KOMMUNSTYRELSE},
             {"bromma-sdn", ORGANIZATION_KIND_STADSDELSNAMND},
             {"sodermalm-sdn", ORGANIZATION_KIND_STADSDELSNAMND},
             {"utbildningsnamnden", ORGANIZATION_KIND_FACKNAMND},
             {"polisen", ORGANIZATION_KIND_EXTERN}}) {
      RegisterOrganizationRequest r;
      r.set_command_id("org-" + id);
      r.set_org_id(id);
      r.set_name(id);
      r.set_kind(kind);
      Referrals(&ReferralService::Stub::RegisterOrganization, r);
    }
    IssueRound("KS 2019/1939", "Stockholms stads trygghetsprogram 2020-2023", "2021-02-26",
               {"bromma-sdn", "sodermalm-sdn", "utbildningsnamnden"});
  }

  void Referrals(auto method, const auto& request) {
    CommandResult result;
    auto ctx = RemissServer::Context();
    grpc::Status s = (server_.referrals().*method)(ctx.get(), request, &result);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  grpc::Status Respond(auto method, const auto& request, CommandResult* result = nullptr) {
    CommandResult ignored;
    auto ctx = RemissServer::Context();
    return (server_.responses().*method)(ctx.get(), request, result ? result : &ignored);
  }
  void RespondOk(auto method, const auto& request) {
    grpc::Status s = Respond(method, request);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void IssueRound(const std::string& case_number, const std::string& title,
                  const std::string& deadline, const std::vector<std::string>& addressees) {
    CreateReferralRequest create;
    create.set_command_id("create-" + case_number);
    create.set_case_number(case_number);
    create.set_title(title);
    create.set_sender_org_id("ks");
    Referrals(&ReferralService::Stub::CreateReferral, create);
    for (const auto& org : addressees) {
      AddAddresseeRequest add;
      add.set_command_id("add-" + case_number + org);
      add.set_referral_id(case_number);
      add.set_org_id(org);
      Referrals(&ReferralService::Stub::AddAddressee, add);
    }
    SetDeadlineRequest d;
    d.set_command_id("deadline-" + case_number);
    d.set_referral_id(case_number);
    d.set_deadline(deadline);
    Referrals(&ReferralService::Stub::SetDeadline, d);
    IssueReferralRequest issue;
    issue.set_command_id("issue-" + case_number);
    issue.set_referral_id(case_number);
    Referrals(&ReferralService::Stub::IssueReferral, issue);
    WaitForRound(case_number, addressees.size());
  }

  // The responses service hears of the round through its feed: wait until it has.
  void WaitForRound(const std::string& referral_id, size_t rows) {
    for (int i = 0; i < 500; ++i) {
      ListResponsesForRoundRequest req;
      req.set_referral_id(referral_id);
      ListResponsesResponse out;
      auto ctx = RemissServer::Context();
      if (server_.responses().ListResponsesForRound(ctx.get(), req, &out).ok() &&
          static_cast<size_t>(out.responses_size()) == rows) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    ListResponsesForRoundRequest req;
    req.set_referral_id(referral_id);
    ListResponsesResponse out;
    auto ctx = RemissServer::Context();
    grpc::Status s = server_.responses().ListResponsesForRound(ctx.get(), req, &out);
    FAIL() << "the responses service never saw " << referral_id << " with " << rows
           << " rows: " << s.error_message() << " " << out.ShortDebugString() << " "
           << GetPositions().ShortDebugString();
  }

  // A reader of the answer's own organization (what the board itself sees).
  static std::unique_ptr<grpc::ClientContext> AsTheBoard(const std::string& org_id) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", org_id);
    ctx->AddMetadata("x-remiss-role", "board");
    return ctx;
  }

  Response Get(const std::string& org_id, const std::string& referral_id = "ks-2019-1939") {
    GetResponseRequest req;
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    Response out;
    auto ctx = AsTheBoard(org_id);  // a draft's content is the board's own (visibility.h)
    grpc::Status s = server_.responses().GetResponse(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  template <typename Request>
  Request For(const std::string& org_id, const std::string& command_id) {
    Request r;
    r.set_command_id(command_id);
    r.set_referral_id("KS 2019/1939");
    r.set_org_id(org_id);
    return r;
  }

  remiss::v1::Positions GetPositions() {
    remiss::v1::Positions p;
    auto ctx = RemissServer::Context();
    EXPECT_TRUE(server_.admin().GetPositions(ctx.get(), {}, &p).ok());
    return p;
  }

  ProjectionDigest Digest() {
    GetProjectionDigestRequest req;
    req.set_service("responses");
    ProjectionDigest d;
    auto ctx = RemissServer::Context();
    EXPECT_TRUE(server_.admin().GetProjectionDigest(ctx.get(), req, &d).ok());
    return d;
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{Stockholm(2021, 1, 11)};
  RemissServer server_{dir_.path(), &clock_, {.referrals = true, .responses = true}};
};

TEST_F(ResponsesGrpcTest, AnIssuedRoundIsAnsweredByItsAddresseesOnly) {
  Response bromma = Get("bromma-sdn");
  EXPECT_EQ(bromma.stage(), RESPONSE_STAGE_AWAITING);
  EXPECT_EQ(bromma.case_number(), "KS 2019/1939");
  EXPECT_EQ(bromma.title(), "Stockholms stads trygghetsprogram 2020-2023");
  EXPECT_EQ(bromma.stated_deadline(), "2021-02-26");
  EXPECT_EQ(bromma.round_state(), ROUND_STATE_OPEN);

  auto police = For<RegisterResponseRequest>("polisen", "reg-polisen");
  police.set_diary_number("POL 2021/1");
  police.set_registered_on("2021-01-11");
  grpc::Status s = Respond(&ResponseService::Stub::RegisterResponse, police);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message().rfind("org_id:", 0), 0u) << s.error_message();

  auto unknown = For<RegisterResponseRequest>("bromma-sdn", "reg-unknown");
  unknown.set_referral_id("KS 2020/1");
  unknown.set_diary_number("BRO 2020/440");
  unknown.set_registered_on("2021-01-11");
  s = Respond(&ResponseService::Stub::RegisterResponse, unknown);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message().rfind("referral_id:", 0), 0u) << s.error_message();
}

// Issue 25, finding 5: the round's terms name its owner, the organization of the ks who
// issued it, for deadlines and followup to hold KS's commands to.
TEST_F(ResponsesGrpcTest, TheRoundsTermsNameTheOrganizationThatIssuedIt) {
  auto terms = server_.responses_module().store().ReadStream("round/ks-2019-1939");
  ASSERT_TRUE(terms.ok()) << terms.status();
  ASSERT_FALSE(terms->empty());
  for (const auto& e : *terms) {
    EXPECT_EQ(e.responses().round_terms_recorded().owner_org_id(), "ks") << e.ShortDebugString();
  }
}

// Issue 25, finding 5: the deadlines service follows only this one, so an organization's
// right to send rounds is restated here (OrganizationSendingRight on "sender/<org_id>"): when
// first stated and each time it changes, not for an update that leaves it as it was.
TEST_F(ResponsesGrpcTest, AnOrganizationsRightToSendRoundsIsRestatedOncePerChange) {
  std::vector<std::string> causes;
  auto update = [&](const std::string& command_id, const std::string& name, bool may_send_rounds) {
    UpdateOrganizationRequest u;
    u.set_command_id(command_id);
    u.set_org_id("ks");
    u.set_name(name);
    u.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
    u.set_may_send_rounds(may_send_rounds);
    CommandResult result;
    auto ctx = RemissServer::Context();
    grpc::Status s = server_.referrals().UpdateOrganization(ctx.get(), u, &result);
    ASSERT_TRUE(s.ok()) << s.error_message();
    causes.push_back(absl::StrCat("referrals-", result.last_position()));
  };
  ASSERT_NO_FATAL_FAILURE(update("ks-sends", "ks", true));
  ASSERT_NO_FATAL_FAILURE(update("ks-renamed", "Kommunstyrelsen", true));  // the right as it was
  ASSERT_NO_FATAL_FAILURE(update("ks-revoked", "Kommunstyrelsen", false));
  absl::StatusOr<std::vector<EventEnvelope>> stated;
  for (int i = 0; i < 500; ++i) {  // until responses has followed the last update
    stated = server_.responses_module().store().ReadStream("sender/ks");
    ASSERT_TRUE(stated.ok()) << stated.status();
    if (!stated->empty() && stated->back().causation_id() == causes.back()) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  // Registered (in SetUp) without the right, granted, revoked: three statements, the rename none.
  ASSERT_EQ(stated->size(), 3u);
  const std::vector<bool> rights = {false, true, false};
  const std::vector<std::string> caused_by = {"", causes[0], causes[2]};
  for (size_t i = 0; i < 3; ++i) {
    const EventEnvelope& e = (*stated)[i];
    ASSERT_TRUE(e.responses().has_organization_sending_right()) << e.ShortDebugString();
    EXPECT_EQ(e.responses().organization_sending_right().org_id(), "ks");
    EXPECT_EQ(e.responses().organization_sending_right().may_send_rounds(), rights[i]) << i;
    EXPECT_EQ(e.partition_key(), "ks");
    if (!caused_by[i].empty()) EXPECT_EQ(e.causation_id(), caused_by[i]);
  }
}

TEST_F(ResponsesGrpcTest, BrommasProtocolIsRecordedAndReadBackWhole) {
  auto reg = For<RegisterResponseRequest>("bromma-sdn", "bro-1");
  reg.set_diary_number("BRO 2020/440");
  reg.set_registered_on("2021-01-11");
  RespondOk(&ResponseService::Stub::RegisterResponse, reg);

  auto early = For<SubmitResponseRequest>("bromma-sdn", "bro-early");
  grpc::Status s = Respond(&ResponseService::Stub::SubmitResponse, early);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  clock_.Set(Stockholm(2021, 2, 10));
  auto statement = For<RecordStatementRequest>("bromma-sdn", "bro-2");
  statement.mutable_statement()->add_proposed_decision(
      "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram 2020-2023 till "
      "kommunstyrelsen.");
  statement.mutable_statement()->set_summary(
      "Förvaltningen ställer sig positiv till förslaget och ser inga större hinder för att "
      "Stockholms stads Trygghetsprogram 2020-2023 antas.");
  statement.mutable_statement()->set_standpoint(STANDPOINT_POSITIVE);
  RespondOk(&ResponseService::Stub::RecordStatement, statement);

  clock_.Set(Stockholm(2021, 2, 18, 19));
  auto decide = For<RecordBoardDecisionRequest>("bromma-sdn", "bro-3");
  *decide.mutable_decision() = BrommaDecision();
  RespondOk(&ResponseService::Stub::RecordBoardDecision, decide);

  clock_.Set(Stockholm(2021, 2, 19, 9));
  auto submit = For<SubmitResponseRequest>("bromma-sdn", "bro-4");
  *submit.add_documents() = Doc("411197", "Remissvar Stockholms stads Trygghetsprogram 2020-2023");
  RespondOk(&ResponseService::Stub::SubmitResponse, submit);

  Response r = Get("bromma-sdn");
  EXPECT_EQ(r.stage(), RESPONSE_STAGE_SUBMITTED);
  EXPECT_EQ(r.diary_number(), "BRO 2020/440");
  EXPECT_EQ(r.registered_on(), "2021-01-11");
  EXPECT_EQ(r.statement().standpoint(), STANDPOINT_POSITIVE);
  std::string diff;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(BrommaDecision(), r.decision())) << diff;
  ASSERT_EQ(r.decision().special_statements_size(), 3);
  EXPECT_EQ(r.decision().special_statements(0).parties_size(), 4);
  EXPECT_EQ(r.decision().reservations(0).members(0), "Johan Heinonen");
  EXPECT_EQ(r.submitted_at().seconds(), absl::ToUnixSeconds(Stockholm(2021, 2, 19, 9)));
  ASSERT_EQ(r.submitted_documents_size(), 1);
  EXPECT_EQ(r.submitted_documents(0).id(), "411197");

  // After submission only a supplement (or a correction) may follow.
  auto again = For<RecordStatementRequest>("bromma-sdn", "bro-5");
  *again.mutable_statement() = statement.statement();
  s = Respond(&ResponseService::Stub::RecordStatement, again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  auto supplement = For<SupplementResponseRequest>("bromma-sdn", "bro-6");
  supplement.set_text("Protokollet justerat.");
  RespondOk(&ResponseService::Stub::SupplementResponse, supplement);
  EXPECT_EQ(Get("bromma-sdn").supplements_size(), 1);
}

TEST_F(ResponsesGrpcTest, SodermalmsStatementWithConsultationsAndAttestersIsReadBackWhole) {
  auto reg = For<RegisterResponseRequest>("sodermalm-sdn", "so-1");
  reg.set_diary_number("SÖ 2021/61");
  reg.set_registered_on("2021-01-12");
  clock_.Set(Stockholm(2021, 1, 12));
  RespondOk(&ResponseService::Stub::RegisterResponse, reg);

  auto officer = For<AssignCaseOfficerRequest>("sodermalm-sdn", "so-2");
  officer.mutable_officer()->set_person_id("p-4711");
  officer.mutable_officer()->set_name("Christina Koistinen");
  officer.mutable_officer()->set_phone("0850830198");
  RespondOk(&ResponseService::Stub::AssignCaseOfficer, officer);

  clock_.Set(Stockholm(2021, 2, 25));
  const std::vector<std::pair<ConsultationBody, std::string>> consultations = {
      {CONSULTATION_BODY_FORVALTNINGSGRUPP, "2021-02-15"},
      {CONSULTATION_BODY_PENSIONARSRAD, "2021-02-15"},
      {CONSULTATION_BODY_FUNKTIONSHINDERRAD, "2021-02-16"}};
  int n = 0;
  for (const auto& [body, date] : consultations) {
    auto c = For<RecordConsultationRequest>("sodermalm-sdn", "so-c" + std::to_string(n++));
    c.mutable_consultation()->set_body(body);
    c.mutable_consultation()->set_date(date);
    RespondOk(&ResponseService::Stub::RecordConsultation, c);
  }
  auto statement = For<RecordStatementRequest>("sodermalm-sdn", "so-3");
  *statement.mutable_statement() = SodermalmStatement();
  RespondOk(&ResponseService::Stub::RecordStatement, statement);
  n = 0;
  for (const auto& [name, title] : std::vector<std::pair<std::string, std::string>>{
           {"Ann-Christine Jenvén", "Stadsdelsdirektör"}, {"Maria Klemets Hellberg", "Avdelningschef"}}) {
    auto a = For<AttestStatementRequest>("sodermalm-sdn", "so-a" + std::to_string(n++));
    a.mutable_attestation()->set_name(name);
    a.mutable_attestation()->set_title(title);
    a.mutable_attestation()->set_date("2021-02-05");
    RespondOk(&ResponseService::Stub::AttestStatement, a);
  }
  EXPECT_EQ(Get("sodermalm-sdn").stage(), RESPONSE_STAGE_ATTESTED);

  Response r = Get("sodermalm-sdn");
  EXPECT_EQ(r.case_officer().name(), "Christina Koistinen");
  EXPECT_EQ(r.case_officer().phone(), "0850830198");
  ASSERT_EQ(r.consultations_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.consultations(i).consultation().body(), consultations[i].first);
    EXPECT_EQ(r.consultations(i).consultation().date(), consultations[i].second);
  }
  std::string diff;
  MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(SodermalmStatement(), r.statement())) << diff;
  ASSERT_EQ(r.attestations_size(), 2);
  EXPECT_EQ(r.attestations(0).attestation().name(), "Ann-Christine Jenvén");
  EXPECT_EQ(r.attestations(1).attestation().title(), "Avdelningschef");
  EXPECT_EQ(r.attestations(1).attestation().date(), "2021-02-05");

  // The timeline is the whole history, oldest first.
  GetResponseRequest req;
  req.set_referral_id("ks-2019-1939");
  req.set_org_id("sodermalm-sdn");
  ResponseTimeline timeline;
  auto ctx = AsTheBoard("sodermalm-sdn");
  ASSERT_TRUE(server_.responses().GetResponseTimeline(ctx.get(), req, &timeline).ok());
  std::vector<std::string> types;
  for (const auto& e : timeline.events()) types.push_back(e.type());
  EXPECT_EQ(types, (std::vector<std::string>{"ResponseRegistered", "CaseOfficerAssigned",
                                             "ConsultationRecorded", "ConsultationRecorded",
                                             "ConsultationRecorded", "StatementDrafted",
                                             "StatementAttested", "StatementAttested"}));
  EXPECT_EQ(timeline.response().version(), 8u);
}

TEST_F(ResponsesGrpcTest, AFactCorrectedSupersedesTheOldOneAndKeepsTheHistory) {
  auto reg = For<RegisterResponseRequest>("utbildningsnamnden", "utn-1");
  reg.set_diary_number("UTN 2020/1");
  reg.set_registered_on("2021-01-11");
  RespondOk(&ResponseService::Stub::RegisterResponse, reg);
  auto fix = For<CorrectFactRequest>("utbildningsnamnden", "utn-2");
  fix.set_corrects_version(1);
  fix.set_reason("fel diarienummer");
  fix.mutable_registered()->set_diary_number("UTN 2020/4312");
  fix.mutable_registered()->set_registered_on("2021-01-11");
  RespondOk(&ResponseService::Stub::CorrectFact, fix);
  Response r = Get("utbildningsnamnden");
  EXPECT_EQ(r.diary_number(), "UTN 2020/4312");
  ASSERT_EQ(r.corrections_size(), 1);
  EXPECT_EQ(r.corrections(0).corrects_version(), 1u);
  EXPECT_EQ(r.corrections(0).reason(), "fel diarienummer");
  EXPECT_EQ(r.version(), 2u);
}

TEST_F(ResponsesGrpcTest, AWithdrawnRoundRefusesAnswers) {
  WithdrawReferralRequest withdraw;
  withdraw.set_command_id("withdraw");
  withdraw.set_referral_id("ks-2019-1939");
  withdraw.set_reason("ersätts av ett nytt förslag");
  Referrals(&ReferralService::Stub::WithdrawReferral, withdraw);
  for (int i = 0; i < 500 && Get("bromma-sdn").round_state() != ROUND_STATE_WITHDRAWN; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(Get("bromma-sdn").round_state(), ROUND_STATE_WITHDRAWN);
  auto reg = For<RegisterResponseRequest>("bromma-sdn", "bro-late");
  reg.set_diary_number("BRO 2020/440");
  reg.set_registered_on("2021-01-11");
  grpc::Status s = Respond(&ResponseService::Stub::RegisterResponse, reg);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
}

TEST_F(ResponsesGrpcTest, AnOrganizationSeesEverythingItIsAskedForAndRestartLosesNothing) {
  IssueRound("KS 2021/5", "Ett annat program", "2021-03-31", {"bromma-sdn"});
  ListResponsesForOrganizationRequest req;
  req.set_org_id("bromma-sdn");
  ListResponsesResponse out;
  auto ctx = RemissServer::Context();
  ASSERT_TRUE(server_.responses().ListResponsesForOrganization(ctx.get(), req, &out).ok());
  ASSERT_EQ(out.responses_size(), 2);
  EXPECT_EQ(out.responses(0).case_number(), "KS 2019/1939");
  EXPECT_EQ(out.responses(1).case_number(), "KS 2021/5");

  const ProjectionDigest live = Digest();
  server_.Stop();
  ASSERT_TRUE(server_.Start());
  EXPECT_EQ(Digest().sha256(), live.sha256());
  RebuildProjectionsRequest rebuild;
  rebuild.set_service("responses");
  ProjectionDigest rebuilt;
  auto ctx2 = RemissServer::Context();
  ASSERT_TRUE(server_.admin().RebuildProjections(ctx2.get(), rebuild, &rebuilt).ok());
  EXPECT_EQ(rebuilt.sha256(), live.sha256());
  EXPECT_GT(rebuilt.entries(), 0u);
}

TEST_F(ResponsesGrpcTest, AnswersComeInPagesByBoardAndByRoundEachOnce) {
  RegisterOrganizationRequest enskede;
  enskede.set_command_id("org-enskede-sdn");
  enskede.set_org_id("enskede-sdn");
  enskede.set_name("Enskede-Årsta-Vantörs stadsdelsnämnd");
  enskede.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  Referrals(&ReferralService::Stub::RegisterOrganization, enskede);
  IssueRound("KS 2021/7", "Sju", "2021-03-31",
             {"utbildningsnamnden", "bromma-sdn", "sodermalm-sdn", "polisen", "enskede-sdn"});
  for (const char* case_number : {"KS 2021/9", "KS 2020/3", "KS 2021/8"}) {
    IssueRound(case_number, "Fler", "2021-03-31", {"bromma-sdn"});
  }
  auto ids = [](const std::vector<ListResponsesResponse>& pages, bool by_org) {
    std::vector<std::string> out;
    for (size_t i = 0; i < pages.size(); ++i) {
      EXPECT_EQ(pages[i].next_page_token().empty(), i + 1 == pages.size()) << "page " << i + 1;
      for (const auto& r : pages[i].responses()) out.push_back(by_org ? r.org_id() : r.referral_id());
    }
    return out;
  };

  // One round's answers, by board.
  auto for_round = [&](const ListResponsesForRoundRequest& r, ListResponsesResponse* out) {
    auto ctx = RemissServer::Context();
    return server_.responses().ListResponsesForRound(ctx.get(), r, out);
  };
  ListResponsesForRoundRequest round;
  round.set_referral_id("KS 2021/7");
  std::vector<ListResponsesResponse> pages;
  ASSERT_TRUE(remiss::testing::WalkPages(for_round, round, 2, &pages));
  EXPECT_EQ(pages.size(), 3u);
  EXPECT_EQ(ids(pages, true), (std::vector<std::string>{"bromma-sdn", "enskede-sdn", "polisen",
                                                        "sodermalm-sdn", "utbildningsnamnden"}));
  const std::string round_token = pages[0].next_page_token();
  remiss::testing::ExpectBadPagingRefused<ListResponsesResponse>(for_round, round);

  // One board's answers, by round.
  auto for_org = [&](const ListResponsesForOrganizationRequest& r, ListResponsesResponse* out) {
    auto ctx = RemissServer::Context();
    return server_.responses().ListResponsesForOrganization(ctx.get(), r, out);
  };
  ListResponsesForOrganizationRequest bromma;
  bromma.set_org_id("bromma-sdn");
  pages.clear();
  ASSERT_TRUE(remiss::testing::WalkPages(for_org, bromma, 2, &pages));
  EXPECT_EQ(pages.size(), 3u);
  EXPECT_EQ(ids(pages, false), (std::vector<std::string>{"ks-2019-1939", "ks-2020-3", "ks-2021-7",
                                                         "ks-2021-8", "ks-2021-9"}));
  remiss::testing::ExpectBadPagingRefused<ListResponsesResponse>(for_org, bromma);

  // A round's token does not go on with a board's list, nor one board's with another's.
  ListResponsesResponse* type = nullptr;
  bromma.set_page_token(round_token);
  EXPECT_TRUE(remiss::testing::RefusedNaming(for_org, bromma, type, "page_token: belongs to another query"));
  ListResponsesForOrganizationRequest sodermalm;
  sodermalm.set_org_id("sodermalm-sdn");
  sodermalm.set_page_token(pages[0].next_page_token());
  EXPECT_TRUE(remiss::testing::RefusedNaming(for_org, sodermalm, type, "page_token: belongs to another query"));
}

}  // namespace
}  // namespace remiss
