// What a reader may see of a response (finding 8; DOMAIN.md, the public-access principle):
// before submission only the board itself sees its draft's content, KS and the others its
// stage; the case officer's phone and e-mail only KS and the board. Pure rules first, then
// through gRPC against a real server (referrals and responses in one process).
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/text_format.h"
#include "remiss/responses/visibility.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss::responses {
namespace {

using namespace remiss::v1;

Response Draft() {
  Response r;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    referral_id: "ks-2019-1939" org_id: "bromma-sdn" stage: RESPONSE_STAGE_DRAFTED
    diary_number: "BRO 2020/440"
    case_officer { person_id: "p-1" name: "Sara Lind" phone: "08-508 301 98" email: "sara.lind@stockholm.se" }
    consultations { consultation { body_name: "Pensionärsrådet" note: "Rådet hördes." } }
    statement { summary: "Förvaltningen ställer sig positiv." standpoint: STANDPOINT_POSITIVE }
    attestations { attestation { name: "Ann-Christine Jenvén" } }
  )pb", &r));
  return r;
}

TEST(Visibility, ADraftsContentOnlyForTheBoardItself) {
  const Response draft = Draft();
  const Response own = AsSeenBy(draft, {"bromma-sdn", "board"});
  EXPECT_EQ(own.statement().summary(), "Förvaltningen ställer sig positiv.");
  EXPECT_EQ(own.case_officer().phone(), "08-508 301 98");
  for (const Viewer& other : {Viewer{"ks", "ks"}, Viewer{"sodermalm-sdn", "board"}, Viewer{"ks", "reader"},
                              Viewer{"archive", "integrator"}, Viewer{"console", "gateway"}, Viewer{}}) {
    const Response seen = AsSeenBy(draft, other);
    EXPECT_FALSE(seen.has_statement()) << other.org_id << "/" << other.role;
    EXPECT_TRUE(seen.consultations().empty());
    EXPECT_TRUE(seen.attestations().empty());
    EXPECT_EQ(seen.stage(), RESPONSE_STAGE_DRAFTED);  // the stage is public
    EXPECT_EQ(seen.diary_number(), "BRO 2020/440");
    EXPECT_EQ(seen.case_officer().name(), "Sara Lind");
  }
}

TEST(Visibility, ContactDetailsOnlyForKsAndTheBoard) {
  Response submitted = Draft();
  submitted.set_stage(RESPONSE_STAGE_SUBMITTED);
  EXPECT_EQ(AsSeenBy(submitted, {"ks", "ks"}).case_officer().email(), "sara.lind@stockholm.se");
  EXPECT_EQ(AsSeenBy(submitted, {"bromma-sdn", "reader"}).case_officer().phone(), "08-508 301 98");
  for (const Viewer& other : {Viewer{"sodermalm-sdn", "board"}, Viewer{"ks", "reader"}, Viewer{"archive", "integrator"}}) {
    const Response seen = AsSeenBy(submitted, other);
    EXPECT_EQ(seen.case_officer().phone(), "");
    EXPECT_EQ(seen.case_officer().email(), "");
    // Once submitted the answer is a public document.
    EXPECT_EQ(seen.statement().summary(), "Förvaltningen ställer sig positiv.");
  }
}

TEST(Visibility, ATimelinesEventsLoseWhatTheReaderMayNotSee) {
  const Response draft = Draft();
  EventEnvelope drafted;
  drafted.set_type("StatementDrafted");
  *drafted.mutable_responses()->mutable_statement_drafted()->mutable_statement() = draft.statement();
  EventEnvelope officer;
  *officer.mutable_responses()->mutable_case_officer_assigned()->mutable_officer() = draft.case_officer();
  EventEnvelope for_ks = drafted, officer_for_other = officer;
  RedactEvent(draft, {"ks", "ks"}, &for_ks);
  EXPECT_FALSE(for_ks.responses().statement_drafted().has_statement());
  EXPECT_EQ(for_ks.type(), "StatementDrafted");
  RedactEvent(draft, {"sodermalm-sdn", "board"}, &officer_for_other);
  EXPECT_EQ(officer_for_other.responses().case_officer_assigned().officer().email(), "");
  EventEnvelope for_board = drafted;
  RedactEvent(draft, {"bromma-sdn", "board"}, &for_board);
  EXPECT_EQ(for_board.responses().statement_drafted().statement().summary(), "Förvaltningen ställer sig positiv.");
}

// ---- through gRPC ----

std::unique_ptr<grpc::ClientContext> As(const std::string& org, const std::string& role) {
  return remiss::testing::RemissServer::ContextAs(org, role);
}

TEST(VisibilityOverGrpc, ADraftAndItsOfficersDetailsAreTheBoardsOwn) {
  remiss::testing::TempDir dir;
  core::ManualClock clock(absl::FromCivil(absl::CivilSecond(2020, 12, 1, 9, 0, 0), absl::UTCTimeZone()));
  remiss::testing::RemissServer server(dir.path(), &clock, {.referrals = true, .responses = true, .brokers = ""});
  ASSERT_TRUE(server.Start());
  ASSERT_NO_FATAL_FAILURE(server.IssueRoundToTwoBoards());
  CommandResult r;
  auto get = [&](const std::string& org, const std::string& role) {
    GetResponseRequest req;
    req.set_referral_id("ks-2019-1939");
    req.set_org_id("bromma-sdn");
    Response out;
    grpc::Status s = server.responses().GetResponse(As(org, role).get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  };
  for (int i = 0; i < 500; ++i) {  // until the round has reached the responses service
    GetResponseRequest req;
    req.set_referral_id("ks-2019-1939");
    req.set_org_id("bromma-sdn");
    Response out;
    if (server.responses().GetResponse(As("bromma-sdn", "board").get(), req, &out).ok()) break;
    absl::SleepFor(absl::Milliseconds(10));
  }

  RegisterResponseRequest reg;
  reg.set_command_id("reg");
  reg.set_referral_id("ks-2019-1939");
  reg.set_org_id("bromma-sdn");
  reg.set_diary_number("BRO 2020/440");
  reg.set_registered_on("2020-12-01");
  ASSERT_TRUE(server.responses().RegisterResponse(As("bromma-sdn", "board").get(), reg, &r).ok());
  AssignCaseOfficerRequest officer;
  officer.set_command_id("officer");
  officer.set_referral_id("ks-2019-1939");
  officer.set_org_id("bromma-sdn");
  *officer.mutable_officer() = Draft().case_officer();
  grpc::Status s = server.responses().AssignCaseOfficer(As("bromma-sdn", "board").get(), officer, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();
  RecordStatementRequest statement;
  statement.set_command_id("statement");
  statement.set_referral_id("ks-2019-1939");
  statement.set_org_id("bromma-sdn");
  statement.mutable_statement()->set_statement_date("2020-12-01");
  statement.mutable_statement()->set_summary("Förvaltningen ställer sig positiv.");
  statement.mutable_statement()->add_proposed_decision("Att godkänna programmet.");
  statement.mutable_statement()->set_standpoint(STANDPOINT_POSITIVE);
  s = server.responses().RecordStatement(As("bromma-sdn", "board").get(), statement, &r);
  ASSERT_TRUE(s.ok()) << s.error_message();

  const Response own = get("bromma-sdn", "board");
  EXPECT_EQ(own.statement().summary(), "Förvaltningen ställer sig positiv.");
  EXPECT_EQ(own.case_officer().phone(), "08-508 301 98");
  const Response ks = get("ks", "ks");
  EXPECT_EQ(ks.stage(), RESPONSE_STAGE_DRAFTED);
  EXPECT_FALSE(ks.has_statement());
  EXPECT_EQ(ks.case_officer().email(), "sara.lind@stockholm.se");
  const Response other = get("sodermalm-sdn", "board");
  EXPECT_FALSE(other.has_statement());
  EXPECT_EQ(other.case_officer().name(), "Sara Lind");
  EXPECT_EQ(other.case_officer().phone(), "");
  EXPECT_EQ(other.case_officer().email(), "");

  // The round's list and the timeline say the same to another board.
  ListResponsesForRoundRequest list;
  list.set_referral_id("ks-2019-1939");
  ListResponsesResponse rows;
  ASSERT_TRUE(server.responses().ListResponsesForRound(As("sodermalm-sdn", "board").get(), list, &rows).ok());
  for (const Response& row : rows.responses()) {
    EXPECT_FALSE(row.has_statement()) << row.org_id();
    EXPECT_EQ(row.case_officer().phone(), "");
  }
  GetResponseRequest which;
  which.set_referral_id("ks-2019-1939");
  which.set_org_id("bromma-sdn");
  ResponseTimeline timeline;
  ASSERT_TRUE(server.responses().GetResponseTimeline(As("sodermalm-sdn", "board").get(), which, &timeline).ok());
  EXPECT_FALSE(timeline.response().has_statement());
  bool saw_draft = false;
  for (const EventEnvelope& e : timeline.events()) {
    if (e.responses().has_statement_drafted()) {
      saw_draft = true;
      EXPECT_FALSE(e.responses().statement_drafted().has_statement());
    }
    if (e.responses().has_case_officer_assigned()) EXPECT_EQ(e.responses().case_officer_assigned().officer().email(), "");
  }
  EXPECT_TRUE(saw_draft);
}

}  // namespace
}  // namespace remiss::responses
