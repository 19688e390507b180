// The responses domain, tested as given events -> when command -> then events or refusal.
// The data is the real round KS 2019/1939 "Stockholms stads trygghetsprogram 2020-2023" and
// the boards' answers to it: Bromma's protocol extract § 5 (BRO 2020/440: decision,
// beslutsgång, the S reservation, three special statements) and Södermalm's
// tjänsteutlåtande of 25 February 2021 (consultations, two attesters, positive).
// Where a seed does not say (Bromma's meeting date, Södermalm's diary number), the tests use a
// plausible value and say so.
#include "remiss/responses/domain.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/support/domain_assertions.h"

namespace remiss::responses {
namespace {

using remiss::v1::AssignCaseOfficerRequest;
using remiss::v1::AttestStatementRequest;
using remiss::v1::CorrectFactRequest;
using remiss::v1::DeclineResponseRequest;
using remiss::v1::RecordBoardDecisionRequest;
using remiss::v1::RecordConsultationRequest;
using remiss::v1::RecordDelegationDecisionRequest;
using remiss::v1::RecordStatementRequest;
using remiss::v1::ReferralEvent;
using remiss::v1::RegisterResponseRequest;
using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::RoundTermsRecorded;
using remiss::v1::SubmitResponseRequest;
using remiss::v1::SupplementResponseRequest;
using ::testing::HasSubstr;
using remiss::testing::EventsAre;
using remiss::testing::InvalidArgument;
using remiss::testing::ProtoIs;
using remiss::testing::Refused;
using remiss::testing::SameProto;

constexpr absl::string_view kRound = "ks-2019-1939";
constexpr absl::string_view kBromma = "bromma-sdn";
constexpr absl::string_view kSoder = "sodermalm-sdn";
constexpr absl::string_view kSha =
    "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b";

// ---- helpers ----

template <typename T>
T Parse(absl::string_view text) {
  T message;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &message)) {
    ADD_FAILURE() << "not a valid " << T::descriptor()->name() << ": " << text;
  }
  return message;
}

ResponseEvent Ev(absl::string_view text) { return Parse<ResponseEvent>(text); }
ReferralEvent RefEv(absl::string_view text) { return Parse<ReferralEvent>(text); }

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

// Then: the command succeeded with one event (of any content).
::testing::AssertionResult OneEvent(const absl::StatusOr<Events>& got) {
  if (!got.ok()) return ::testing::AssertionFailure() << "refused: " << got.status();
  if (got->size() != 1) return ::testing::AssertionFailure() << "got " << got->size() << " events";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult WrongStage(const absl::StatusOr<Events>& got,
                                      absl::string_view detail = "") {
  return Refused(got, absl::StatusCode::kFailedPrecondition, "stage", detail);
}

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) absl::StrAppend(&out, s);
  return out;
}

// ---- the round, as the referrals service issued it ----

// KS 2019/1939 to six addressees: four boards that answer by the round's deadline, the
// kyrkogårdsnämnd with its own later deadline, and the KS pensionärsråd for information only.
ReferralEvent Issued() {
  return RefEv(R"pb(referral_issued {
                      referral_id: "ks-2019-1939"
                      case_number: "KS 2019/1939"
                      title: "Stockholms stads trygghetsprogram 2020-2023"
                      sender_org_id: "ks"
                      deadline: "2021-02-26"
                      working_day_rule: true
                      addressees { org_id: "bromma-sdn" answer: ANSWER_KIND_REQUIRED }
                      addressees { org_id: "sodermalm-sdn" }
                      addressees { org_id: "hasselby-vallingby-sdn" answer: ANSWER_KIND_REQUIRED }
                      addressees { org_id: "utbildningsnamnden" answer: ANSWER_KIND_REQUIRED }
                      addressees {
                        org_id: "kyrkogardsnamnden"
                        deadline_override: "2021-03-05"
                        answer: ANSWER_KIND_REQUIRED
                      }
                      addressees { org_id: "ks-pensionarsrad" answer: ANSWER_KIND_FOR_INFORMATION }
                      issued_at { seconds: 1606383000 }
                    })pb");
}

constexpr uint64_t kIssuedAt = 10;

RoundTermsRecorded IssuedTerms() {
  return Parse<RoundTermsRecorded>(R"pb(
    referral_id: "ks-2019-1939"
    case_number: "KS 2019/1939"
    title: "Stockholms stads trygghetsprogram 2020-2023"
    sender_org_id: "ks"
    deadline: "2021-02-26"
    working_day_rule: true
    state: ROUND_STATE_OPEN
    addressees {
      org_id: "bromma-sdn"
      stated_deadline: "2021-02-26"
      answer: ANSWER_KIND_REQUIRED
    }
    addressees {
      org_id: "sodermalm-sdn"
      stated_deadline: "2021-02-26"
      answer: ANSWER_KIND_REQUIRED
    }
    addressees {
      org_id: "hasselby-vallingby-sdn"
      stated_deadline: "2021-02-26"
      answer: ANSWER_KIND_REQUIRED
    }
    addressees {
      org_id: "utbildningsnamnden"
      stated_deadline: "2021-02-26"
      answer: ANSWER_KIND_REQUIRED
    }
    addressees {
      org_id: "kyrkogardsnamnden"
      stated_deadline: "2021-03-05"
      answer: ANSWER_KIND_REQUIRED
    }
    addressees {
      org_id: "ks-pensionarsrad"
      stated_deadline: "2021-02-26"
      answer: ANSWER_KIND_FOR_INFORMATION
    }
    referrals_position: 10
  )pb");
}

// The terms after `events` (each at the next referrals position after the issue).
RoundTermsRecorded TermsAfter(std::initializer_list<ReferralEvent> events) {
  RoundTermsRecorded terms = IssuedTerms();
  uint64_t position = kIssuedAt;
  for (const auto& e : events) {
    auto next = NextTerms(&terms, e, ++position);
    if (next) terms = *next;
  }
  return terms;
}

ReferralEvent Closed() {
  return RefEv(
      R"pb(referral_closed { referral_id: "ks-2019-1939" reason: "Remisstiden har gått ut." })pb");
}

ReferralEvent Withdrawn() {
  return RefEv(R"pb(referral_withdrawn {
                      referral_id: "ks-2019-1939"
                      reason: "Ersätts av nytt förslag."
                    })pb");
}

ReferralEvent Removed(absl::string_view org) {
  return RefEv(absl::Substitute(
      R"pb(addressee_removed {
             referral_id: "ks-2019-1939"
             org_id: "$0"
             reason: "Fel mottagare"
           })pb",
      org));
}

// ---- the boards' facts (the response streams) ----

ResponseEvent BrommaRegistered() {
  return Ev(R"pb(response_registered {
                   referral_id: "ks-2019-1939"
                   org_id: "bromma-sdn"
                   diary_number: "BRO 2020/440"
                   registered_on: "2020-12-01"
                 })pb");
}

constexpr absl::string_view kBrommaStatement = R"pb(
  addressed_to: "Bromma stadsdelsnämnd"
  proposed_decision: "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram "
                     "2020-2023 till kommunstyrelsen."
  summary: "Förvaltningen ställer sig positiv till förslaget och ser inga större hinder för att "
           "Stockholms stads Trygghetsprogram 2020-2023 antas."
  standpoint: STANDPOINT_POSITIVE
)pb";

ResponseEvent BrommaDrafted() {
  return Ev(absl::StrCat(
      R"pb(statement_drafted { referral_id: "ks-2019-1939" org_id: "bromma-sdn" statement {)pb",
      kBrommaStatement, "}}"));
}

// Bromma's protocol extract § 5. The extract does not give the meeting date: 2021-02-18 is
// assumed, with the minutes approved on 2021-02-23.
constexpr absl::string_view kBrommaDecision = R"pb(
  meeting_date: "2021-02-18"
  paragraph: "§ 5"
  decision_text: "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram "
                 "2020-2023 till kommunstyrelsen."
  proposals {
    id: "forvaltningen"
    proposed_by: "förvaltningen"
    text: "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram 2020-2023 "
          "till "
          "kommunstyrelsen."
  }
  proposals {
    id: "s"
    proposed_by: "Johan Heinonen m.fl. (S)"
    parties: "S"
    text: "Delvis godkänna förvaltningens förslag till beslut och därutöver anföra följande."
  }
  winning_proposal: "forvaltningen"
  beslutsgang: "Ordföranden ställde förslagen mot varandra och konstaterade att nämnden ställde "
               "sig "
               "bakom förvaltningens förslag."
  reservations {
    parties: "S"
    members: "Johan Heinonen"
    in_favour_of: "s"
    text: "Delvis godkänna förvaltningens förslag till beslut och därutöver anföra följande: "
          "Arbetet för jämlikhet och mot segregation är avgörande om vi ska skapa ett tryggare "
          "Stockholm."
  }
  special_statements {
    parties: "M"
    parties: "L"
    parties: "MP"
    parties: "C"
    members: "Johan Paccamonti"
    members: "Hanna Wistrand"
    members: "Karl Persson"
    members: "Adrian Nordén"
    text: "Den grönblå majoriteten ställer sig bakom förvaltningens svar på samrådet och vill "
          "härutöver anföra följande."
  }
  special_statements {
    parties: "V"
    members: "Lillemor Samuelsson"
    text: "När nu majoriteten valt att dela upp program för säkerhet och trygghet borde programmen "
          "gått ut på remiss samtidigt."
  }
  special_statements {
    parties: "SD"
    members: "Ismo Pato"
    text: "Ett nytt program har tagits fram med syfte att förbättra tryggheten för våra invånare."
  }
  justering { kind: JUSTERING_KIND_ON_DATE date: "2021-02-23" }
  documents {
    id: "411197"
    title: "Remissvar Stockholms stads Trygghetsprogram 2020-2023"
    uri: "diarium://bro/2020/440/411197"
  }
  documents {
    id: "409404"
    title: "Trygghetsprogram KS Bilaga 1"
    uri: "diarium://bro/2020/440/409404"
  }
)pb";

ResponseEvent BrommaDecided() {
  return Ev(absl::StrCat(
      R"pb(board_decision_recorded {
             referral_id: "ks-2019-1939"
             org_id: "bromma-sdn"
             decision {)pb",
      kBrommaDecision, "}}"));
}

// Södermalm's diary number is not in the seed; "SÖ 2020/1051" stands in for it.
ResponseEvent SoderRegistered() {
  return Ev(R"pb(response_registered {
                   referral_id: "ks-2019-1939"
                   org_id: "sodermalm-sdn"
                   diary_number: "SÖ 2020/1051"
                   registered_on: "2020-12-03"
                 })pb");
}

constexpr absl::string_view kKoistinen = R"pb(name: "Christina Koistinen" phone: "0850830198")pb";

ResponseEvent SoderOfficer() {
  return Ev(absl::StrCat(
      R"pb(case_officer_assigned {
             referral_id: "ks-2019-1939"
             org_id: "sodermalm-sdn"
             officer {)pb",
      kKoistinen, "}}"));
}

ResponseEvent SoderConsulted(absl::string_view body, absl::string_view date) {
  return Ev(absl::Substitute(R"pb(consultation_recorded {
                                    referral_id: "ks-2019-1939"
                                    org_id: "sodermalm-sdn"
                                    consultation { body: $0 date: "$1" }
                                  })pb",
                             body, date));
}

std::vector<ResponseEvent> SoderConsultations() {
  return {SoderConsulted("CONSULTATION_BODY_FORVALTNINGSGRUPP", "2021-02-15"),
          SoderConsulted("CONSULTATION_BODY_PENSIONARSRAD", "2021-02-15"),
          SoderConsulted("CONSULTATION_BODY_FUNKTIONSHINDERRAD", "2021-02-16")};
}

// Södermalm's tjänsteutlåtande of 25 February 2021.
constexpr absl::string_view kSoderStatement = R"pb(
  statement_date: "2021-02-25"
  addressed_to: "Södermalms stadsdelsnämnd"
  proposed_decision: "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på "
                     "remissen."
  proposed_decision: "Beslutet justeras omedelbart."
  summary: "Förvaltningen ställer sig positiv till Stockholms stads trygghetsprogram 2020-2023. "
           "Det "
           "är positivt att trygghetsfrågorna får ett eget program som sammanlänkas med stadens "
           "säkerhetsprogram."
  background: "Kommunstyrelsen har remitterat ärendet Stockholms stads trygghetsprogram 2020-2023 "
              "till Södermalms stadsdelsnämnd för yttrande senast den 26 februari 2021."
  preparation: "Ärendet har behandlats i förvaltningsgruppen och pensionärsrådet den 15 februari "
               "och i rådet för funktionshinderfrågor den 16 februari 2021."
  views: "Förvaltningen vill särskilt betona vikten av samverkan mellan stadens förvaltningar och "
         "bolag."
  standpoint: STANDPOINT_POSITIVE
  administration_unit: "Stadsdelsdirektörens stab och kansli"
  documents {
    id: "bilaga-1"
    title: "Stockholms stads trygghetsprogram 2020-2023"
    uri: "diarium://ks/2019/1939/bilaga-1"
    sha256: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"
  }
)pb";

// An earlier draft of the same statement.
constexpr absl::string_view kSoderFirstDraft = R"pb(
  addressed_to: "Södermalms stadsdelsnämnd"
  proposed_decision: "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på "
                     "remissen."
  summary: "Förvaltningen ställer sig positiv till Stockholms stads trygghetsprogram 2020-2023."
  standpoint: STANDPOINT_POSITIVE
)pb";

ResponseEvent SoderDrafted(absl::string_view statement = kSoderStatement) {
  return Ev(absl::StrCat(
      R"pb(statement_drafted { referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" statement {)pb",
      statement, "}}"));
}

ResponseEvent SoderAttested(absl::string_view name, absl::string_view title) {
  return Ev(absl::Substitute(R"pb(statement_attested {
                                    referral_id: "ks-2019-1939"
                                    org_id: "sodermalm-sdn"
                                    attestation { name: "$0" title: "$1" date: "2021-02-05" }
                                  })pb",
                             name, title));
}

ResponseEvent JenvenAttested() {
  return SoderAttested("Ann-Christine Jenvén", "Stadsdelsdirektör");
}
ResponseEvent KlemetsAttested() {
  return SoderAttested("Maria Klemets Hellberg", "Avdelningschef");
}

// Södermalm's board decides at once on 25 February 2021 (the seed proposes "Beslutet justeras
// omedelbart"); the paragraph is assumed.
constexpr absl::string_view kSoderDecision = R"pb(
  meeting_date: "2021-02-25"
  paragraph: "§ 12"
  decision_text: "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen."
  justering { kind: JUSTERING_KIND_IMMEDIATE }
)pb";

ResponseEvent SoderDecided() {
  return Ev(absl::StrCat(
      R"pb(board_decision_recorded {
             referral_id: "ks-2019-1939"
             org_id: "sodermalm-sdn"
             decision {)pb",
      kSoderDecision, "}}"));
}

ResponseEvent SoderSubmitted() {
  return Ev(R"pb(response_submitted {
                   referral_id: "ks-2019-1939"
                   org_id: "sodermalm-sdn"
                   submitted_at { seconds: 1614245400 }
                   documents {
                     id: "tjansteutlatande"
                     title: "Svar på remiss från kommunstyrelsen KS 2019/1939"
                     uri: "diarium://so/2020/1051/1"
                   }
                 })pb");
}

ResponseEvent SoderDeclined() {
  return Ev(R"pb(response_declined {
                   referral_id: "ks-2019-1939"
                   org_id: "sodermalm-sdn"
                   reason: "Nämnden avstår från att yttra sig."
                   declined_at { seconds: 1614245400 }
                 })pb");
}

template <typename T>
std::vector<T> Concat(std::vector<T> events, const std::vector<T>& more) {
  events.insert(events.end(), more.begin(), more.end());
  return events;
}

// Södermalm up to each stage (versions: registered 1, officer 2, consultations 3-5, the first
// draft 6, the final draft 7, attestations 8 and 9, decision 10, submission 11).
std::vector<ResponseEvent> SoderRegisteredStream() { return {SoderRegistered()}; }
std::vector<ResponseEvent> SoderPreparingStream() {
  return Concat({SoderRegistered(), SoderOfficer()}, SoderConsultations());
}
std::vector<ResponseEvent> SoderDraftedStream() {
  return Concat(SoderPreparingStream(), {SoderDrafted(kSoderFirstDraft), SoderDrafted()});
}
std::vector<ResponseEvent> SoderAttestedStream() {
  return Concat(SoderDraftedStream(), {JenvenAttested(), KlemetsAttested()});
}
std::vector<ResponseEvent> SoderDecidedStream() {
  return Concat(SoderAttestedStream(), {SoderDecided()});
}
std::vector<ResponseEvent> SoderSubmittedStream() {
  return Concat(SoderDecidedStream(), {SoderSubmitted()});
}

const absl::Time kFirstRecorded = Utc(2020, 12, 1, 8, 0);

// The board's response after `events` (stream versions 1, 2, ...; recorded an hour apart),
// starting from the row the round's terms made.
Response Given(const RoundTermsRecorded& terms, absl::string_view org,
               const std::vector<ResponseEvent>& events) {
  Response state = ApplyTerms(terms, org, nullptr);
  absl::Time at = kFirstRecorded;
  uint64_t version = 0;
  for (const auto& e : events) {
    Evolve(state, e, ++version, at);
    at += absl::Hours(1);
  }
  return state;
}

DecisionContext On(absl::CivilDay today) {
  DecisionContext ctx;
  ctx.now = Utc(static_cast<int>(today.year()), today.month(), today.day(), 9, 30);
  ctx.today = today;
  return ctx;
}

class ResponsesDomainTest : public ::testing::Test {
 protected:
  Subject For(const Response& response) { return Subject{&terms_, &response}; }

  RoundTermsRecorded terms_ = IssuedTerms();
  // The day Södermalm's statement is dated, the day before the deadline.
  DecisionContext ctx_ = On(absl::CivilDay(2021, 2, 25));
};

// ======================= NextSendingRight =======================

TEST(NextSendingRightTest, StatedWhenFirstHeardAndAgainOnlyWhenItChanges) {
  const ReferralEvent registered = RefEv(R"pb(organization_registered {
                                               org_id: "ks"
                                               kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
                                               may_send_rounds: true
                                             })pb");
  std::optional<remiss::v1::OrganizationSendingRight> first = NextSendingRight(nullptr, registered, 3);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(ProtoIs(*first, Parse<remiss::v1::OrganizationSendingRight>(
                                  R"pb(org_id: "ks" may_send_rounds: true referrals_position: 3)pb")));
  // A new name leaves the right as it was: nothing to restate.
  const ReferralEvent renamed = RefEv(R"pb(organization_updated {
                                            org_id: "ks"
                                            name: "Kommunstyrelsen i Stockholm"
                                            kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
                                            may_send_rounds: true
                                          })pb");
  EXPECT_FALSE(NextSendingRight(&*first, renamed, 9).has_value());
  const ReferralEvent revoked = RefEv(R"pb(organization_updated {
                                            org_id: "ks"
                                            kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
                                            may_send_rounds: false
                                          })pb");
  std::optional<remiss::v1::OrganizationSendingRight> cleared = NextSendingRight(&*first, revoked, 12);
  ASSERT_TRUE(cleared.has_value());
  EXPECT_FALSE(cleared->may_send_rounds());
  EXPECT_EQ(cleared->referrals_position(), 12u);
  EXPECT_FALSE(NextSendingRight(&*cleared, revoked, 12).has_value()) << "a redelivery";
  EXPECT_FALSE(NextSendingRight(&*cleared, registered, 3).has_value()) << "an older event redelivered";
  EXPECT_FALSE(NextSendingRight(nullptr, RefEv(R"pb(registry_mailbox_set { org_id: "ks" })pb"), 13));
}

TEST(NextSendingRightTest, AnEventFromBeforeTheFieldMakesAKommunstyrelseASenderOnly) {
  std::optional<remiss::v1::OrganizationSendingRight> ks = NextSendingRight(
      nullptr, RefEv(R"pb(organization_registered { org_id: "ks" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE })pb"), 1);
  ASSERT_TRUE(ks.has_value());
  EXPECT_TRUE(ks->may_send_rounds());
  std::optional<remiss::v1::OrganizationSendingRight> bromma = NextSendingRight(
      nullptr, RefEv(R"pb(organization_registered { org_id: "bromma-sdn" kind: ORGANIZATION_KIND_STADSDELSNAMND })pb"), 2);
  ASSERT_TRUE(bromma.has_value());
  EXPECT_FALSE(bromma->may_send_rounds());
}

// ======================= NextTerms =======================

TEST(NextTermsTest, IssueCarriesTheWholeTerms) {
  std::optional<RoundTermsRecorded> terms = NextTerms(nullptr, Issued(), kIssuedAt);
  ASSERT_TRUE(terms.has_value());
  EXPECT_TRUE(ProtoIs(*terms, IssuedTerms()));
}

TEST(NextTermsTest, IssueOfARevisionCarriesTheRoundItRevises) {
  ReferralEvent issued = RefEv(R"pb(referral_issued {
                                      referral_id: "ks-2023-739"
                                      case_number: "KS 2023/739"
                                      title: "Stockholms stads trygghetsprogram 2024-2027"
                                      sender_org_id: "ks"
                                      deadline: "2023-12-20"
                                      addressees { org_id: "kyrkogardsnamnden" }
                                      revises_referral_id: "ks-2019-1939"
                                    })pb");
  std::optional<RoundTermsRecorded> terms = NextTerms(nullptr, issued, 7);
  ASSERT_TRUE(terms.has_value());
  EXPECT_TRUE(ProtoIs(*terms, Parse<RoundTermsRecorded>(R"pb(
    referral_id: "ks-2023-739"
    case_number: "KS 2023/739"
    title: "Stockholms stads trygghetsprogram 2024-2027"
    sender_org_id: "ks"
    deadline: "2023-12-20"
    state: ROUND_STATE_OPEN
    addressees {
      org_id: "kyrkogardsnamnden"
      stated_deadline: "2023-12-20"
      answer: ANSWER_KIND_REQUIRED
    }
    referrals_position: 7
    revises_referral_id: "ks-2019-1939"
  )pb")));
}

TEST(NextTermsTest, ARepeatedIssueChangesNothing) {
  RoundTermsRecorded terms = IssuedTerms();
  EXPECT_FALSE(NextTerms(&terms, Issued(), kIssuedAt + 5).has_value());
}

TEST(NextTermsTest, BeforeTheIssueEveryOtherEventIsIgnored) {
  for (absl::string_view text : {
           R"pb(referral_drafted { referral_id: "ks-2019-1939" case_number: "KS 2019/1939" })pb",
           R"pb(document_attached { referral_id: "ks-2019-1939" document { id: "bilaga-1" } })pb",
           R"pb(deadline_set { referral_id: "ks-2019-1939" deadline: "2021-02-26" })pb",
           R"pb(addressee_added {
                  referral_id: "ks-2019-1939"
                  addressee { org_id: "bromma-sdn" }
                })pb",
           R"pb(addressee_removed { referral_id: "ks-2019-1939" org_id: "bromma-sdn" })pb",
           R"pb(deadline_moved { referral_id: "ks-2019-1939" deadline: "2021-03-12" })pb",
           R"pb(referral_closed { referral_id: "ks-2019-1939" })pb",
           R"pb(referral_withdrawn { referral_id: "ks-2019-1939" reason: "x" })pb",
           R"pb(revision_linked {
                  referral_id: "ks-2019-1939"
                  revises_referral_id: "ks-2015-1"
                })pb",
           R"pb(organization_registered { org_id: "bromma-sdn" name: "Bromma stadsdelsnämnd" })pb",
       }) {
    EXPECT_FALSE(NextTerms(nullptr, RefEv(text), 3).has_value()) << text;
  }
}

TEST(NextTermsTest, EventsThatDoNotConcernTheTermsChangeNothing) {
  RoundTermsRecorded terms = IssuedTerms();
  for (absl::string_view text : {
           R"pb(document_attached { referral_id: "ks-2019-1939" document { id: "bilaga-2" } })pb",
           R"pb(organization_updated { org_id: "bromma-sdn" name: "Bromma stadsdelsnämnd" })pb",
           R"pb(deadline_set { referral_id: "ks-2019-1939" deadline: "2021-03-26" })pb",
           R"pb(referral_drafted { referral_id: "ks-2019-1939" })pb",
       }) {
    EXPECT_FALSE(NextTerms(&terms, RefEv(text), 11).has_value()) << text;
  }
}

TEST(NextTermsTest, AddresseeAddedFollowsTheRoundsDeadlineOrItsOwn) {
  RoundTermsRecorded terms = IssuedTerms();
  auto next = NextTerms(&terms, RefEv(R"pb(addressee_added {
                                             referral_id: "ks-2019-1939"
                                             addressee { org_id: "socialnamnden" }
                                           })pb"),
                        11);
  ASSERT_TRUE(next.has_value());
  RoundTermsRecorded want = IssuedTerms();
  want.set_referrals_position(11);
  *want.add_addressees() = Parse<remiss::v1::RequestedAnswer>(
      R"pb(org_id: "socialnamnden" stated_deadline: "2021-02-26" answer: ANSWER_KIND_REQUIRED)pb");
  EXPECT_TRUE(ProtoIs(*next, want));

  next = NextTerms(&terms, RefEv(R"pb(addressee_added {
                                        referral_id: "ks-2019-1939"
                                        addressee {
                                          org_id: "polisregion-stockholm"
                                          deadline_override: "2021-03-12"
                                          answer: ANSWER_KIND_FOR_INFORMATION
                                        }
                                      })pb"),
                   12);
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->addressees_size(), 7);
  EXPECT_TRUE(ProtoIs(next->addressees(6), Parse<remiss::v1::RequestedAnswer>(R"pb(
                        org_id: "polisregion-stockholm"
                        stated_deadline: "2021-03-12"
                        answer: ANSWER_KIND_FOR_INFORMATION
                      )pb")));
  EXPECT_EQ(next->referrals_position(), 12u);
}

TEST(NextTermsTest, AddingAnAddresseeAlreadyThereChangesNothing) {
  RoundTermsRecorded terms = IssuedTerms();
  EXPECT_FALSE(NextTerms(&terms, RefEv(R"pb(addressee_added {
                                              referral_id: "ks-2019-1939"
                                              addressee { org_id: "bromma-sdn" }
                                            })pb"),
                         11)
                   .has_value());
}

TEST(NextTermsTest, AddresseeRemovedIsDropped) {
  RoundTermsRecorded terms = IssuedTerms();
  auto next = NextTerms(&terms, Removed("utbildningsnamnden"), 11);
  ASSERT_TRUE(next.has_value());
  RoundTermsRecorded want = IssuedTerms();
  want.mutable_addressees()->erase(want.mutable_addressees()->begin() + 3);
  want.set_referrals_position(11);
  EXPECT_TRUE(ProtoIs(*next, want));
  // Removing one that is not an addressee changes nothing.
  EXPECT_FALSE(NextTerms(&*next, Removed("utbildningsnamnden"), 12).has_value());
  EXPECT_FALSE(NextTerms(&terms, Removed("socialnamnden"), 12).has_value());
}

TEST(NextTermsTest, TheRoundsDeadlineMovesTheAddresseesThatFollowIt) {
  RoundTermsRecorded terms = IssuedTerms();
  auto next = NextTerms(&terms, RefEv(R"pb(deadline_moved {
                                             referral_id: "ks-2019-1939"
                                             previous_deadline: "2021-02-26"
                                             deadline: "2021-03-12"
                                             reason: "Förlängd remisstid"
                                           })pb"),
                        11);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->deadline(), "2021-03-12");
  EXPECT_EQ(next->referrals_position(), 11u);
  for (const auto& a : next->addressees()) {
    // The kyrkogårdsnämnd keeps its own deadline.
    EXPECT_EQ(a.stated_deadline(), a.org_id() == "kyrkogardsnamnden" ? "2021-03-05" : "2021-03-12")
        << a.org_id();
  }
  // Moving it to where it is changes nothing.
  EXPECT_FALSE(NextTerms(&*next, RefEv(R"pb(deadline_moved {
                                              referral_id: "ks-2019-1939"
                                              deadline: "2021-03-12"
                                            })pb"),
                         12)
                   .has_value());
}

TEST(NextTermsTest, OneAddresseesDeadlineMovesOnlyThatOne) {
  RoundTermsRecorded terms = IssuedTerms();
  auto next = NextTerms(&terms, RefEv(R"pb(deadline_moved {
                                             referral_id: "ks-2019-1939"
                                             org_id: "sodermalm-sdn"
                                             previous_deadline: "2021-02-26"
                                             deadline: "2021-03-01"
                                             reason: "Anstånd"
                                           })pb"),
                        11);
  ASSERT_TRUE(next.has_value());
  RoundTermsRecorded want = IssuedTerms();
  want.mutable_addressees(1)->set_stated_deadline("2021-03-01");
  want.set_referrals_position(11);
  EXPECT_TRUE(ProtoIs(*next, want));

  // The round's deadline moved afterwards leaves Södermalm's own deadline alone.
  auto later = NextTerms(&*next, RefEv(R"pb(deadline_moved {
                                              referral_id: "ks-2019-1939"
                                              deadline: "2021-03-12"
                                            })pb"),
                         12);
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->addressees(0).stated_deadline(), "2021-03-12");
  EXPECT_EQ(later->addressees(1).stated_deadline(), "2021-03-01");
  EXPECT_EQ(later->addressees(4).stated_deadline(), "2021-03-05");

  // The same deadline again, or one for an org that is no addressee: nothing changes.
  EXPECT_FALSE(NextTerms(&*next, RefEv(R"pb(deadline_moved {
                                              referral_id: "ks-2019-1939"
                                              org_id: "sodermalm-sdn"
                                              deadline: "2021-03-01"
                                            })pb"),
                         12)
                   .has_value());
  EXPECT_FALSE(NextTerms(&terms, RefEv(R"pb(deadline_moved {
                                              referral_id: "ks-2019-1939"
                                              org_id: "socialnamnden"
                                              deadline: "2021-03-01"
                                            })pb"),
                         12)
                   .has_value());
}

TEST(NextTermsTest, ClosedAndWithdrawnCarryTheirReason) {
  RoundTermsRecorded terms = IssuedTerms();
  auto closed = NextTerms(&terms, Closed(), 11);
  ASSERT_TRUE(closed.has_value());
  RoundTermsRecorded want = IssuedTerms();
  want.set_state(remiss::v1::ROUND_STATE_CLOSED);
  want.set_reason("Remisstiden har gått ut.");
  want.set_referrals_position(11);
  EXPECT_TRUE(ProtoIs(*closed, want));
  EXPECT_FALSE(NextTerms(&*closed, Closed(), 12).has_value());

  auto withdrawn = NextTerms(&terms, Withdrawn(), 11);
  ASSERT_TRUE(withdrawn.has_value());
  EXPECT_EQ(withdrawn->state(), remiss::v1::ROUND_STATE_WITHDRAWN);
  EXPECT_EQ(withdrawn->reason(), "Ersätts av nytt förslag.");
  EXPECT_EQ(withdrawn->addressees_size(), 6);
  EXPECT_FALSE(NextTerms(&*withdrawn, Withdrawn(), 12).has_value());
}

TEST(NextTermsTest, RevisionLinked) {
  RoundTermsRecorded terms = IssuedTerms();
  ReferralEvent linked = RefEv(
      R"pb(revision_linked { referral_id: "ks-2019-1939" revises_referral_id: "ks-2017-1000" })pb");
  auto next = NextTerms(&terms, linked, 11);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->revises_referral_id(), "ks-2017-1000");
  EXPECT_EQ(next->referrals_position(), 11u);
  EXPECT_FALSE(NextTerms(&*next, linked, 12).has_value());
}

TEST(NextTermsTest, AnEventAlreadyFollowedChangesNothing) {
  RoundTermsRecorded terms = IssuedTerms();
  auto closed = NextTerms(&terms, Closed(), 11);
  ASSERT_TRUE(closed.has_value());
  // A redelivery of an earlier position (here a removal before the close) is not applied again.
  EXPECT_FALSE(NextTerms(&*closed, Removed("bromma-sdn"), 11).has_value());
  EXPECT_FALSE(NextTerms(&*closed, Removed("bromma-sdn"), 5).has_value());
  EXPECT_TRUE(NextTerms(&*closed, Removed("bromma-sdn"), 12).has_value());
}

// ======================= ApplyTerms =======================

TEST(ApplyTermsTest, ANewRowAwaitsTheAnswer) {
  Response row = ApplyTerms(IssuedTerms(), kBromma, nullptr);
  EXPECT_TRUE(ProtoIs(row, Parse<Response>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "bromma-sdn"
    case_number: "KS 2019/1939"
    title: "Stockholms stads trygghetsprogram 2020-2023"
    stated_deadline: "2021-02-26"
    round_state: ROUND_STATE_OPEN
    stage: RESPONSE_STAGE_AWAITING
  )pb")));
  EXPECT_EQ(ApplyTerms(IssuedTerms(), "kyrkogardsnamnden", nullptr).stated_deadline(),
            "2021-03-05");
}

TEST(ApplyTermsTest, UpdatesTheRoundsFieldsAndKeepsTheBoardsRecord) {
  Response row = Given(IssuedTerms(), kSoder, SoderAttestedStream());
  RoundTermsRecorded terms = TermsAfter({RefEv(R"pb(deadline_moved {
                                                      referral_id: "ks-2019-1939"
                                                      org_id: "sodermalm-sdn"
                                                      deadline: "2021-03-01"
                                                    })pb"),
                                         Closed()});
  terms.set_title("Stockholms stads trygghetsprogram 2021-2023");
  Response updated = ApplyTerms(terms, kSoder, &row);
  Response want = row;
  want.set_title("Stockholms stads trygghetsprogram 2021-2023");
  want.set_stated_deadline("2021-03-01");
  want.set_round_state(remiss::v1::ROUND_STATE_CLOSED);
  EXPECT_TRUE(ProtoIs(updated, want));
  EXPECT_EQ(updated.diary_number(), "SÖ 2020/1051");
  EXPECT_EQ(updated.version(), 9u);
}

TEST(ApplyTermsTest, ARemovedAddresseeIsMarkedAndKeepsItsLastDeadline) {
  Response row = Given(IssuedTerms(), "utbildningsnamnden", {});
  Response removed = ApplyTerms(TermsAfter({Removed("utbildningsnamnden")}), "utbildningsnamnden",
                                &row);
  EXPECT_TRUE(removed.removed());
  EXPECT_EQ(removed.stated_deadline(), "2021-02-26");
  EXPECT_EQ(removed.stage(), remiss::v1::RESPONSE_STAGE_AWAITING);
  // Added again: no longer removed.
  RoundTermsRecorded again = TermsAfter({Removed("utbildningsnamnden"),
                                         RefEv(R"pb(addressee_added {
                                                      referral_id: "ks-2019-1939"
                                                      addressee {
                                                        org_id: "utbildningsnamnden"
                                                        deadline_override: "2021-03-19"
                                                      }
                                                    })pb")});
  Response back = ApplyTerms(again, "utbildningsnamnden", &removed);
  EXPECT_FALSE(back.removed());
  EXPECT_EQ(back.stated_deadline(), "2021-03-19");
  // A row made for an org the terms do not name is removed from the start.
  EXPECT_TRUE(ApplyTerms(IssuedTerms(), "socialnamnden", nullptr).removed());
}

// ======================= every command: the subject =======================

// A well-formed command of each kind for `org`, run against a subject.
struct Command {
  std::string name;
  std::function<absl::StatusOr<Events>(const Subject&, const DecisionContext&)> run;
};

RegisterResponseRequest RegisterSoder() {
  return Parse<RegisterResponseRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    diary_number: "SÖ 2020/1051"
    registered_on: "2020-12-03"
  )pb");
}

AssignCaseOfficerRequest AssignKoistinen() {
  return Parse<AssignCaseOfficerRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" officer {)pb", kKoistinen, "}"));
}

// Another officer than the one Södermalm's stream assigns, so that it is always a change.
AssignCaseOfficerRequest AssignAndersson() {
  return Parse<AssignCaseOfficerRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    officer { name: "Anna Andersson" phone: "08-508 301 99" }
  )pb");
}

RecordConsultationRequest ConsultFunktionshinderrad() {
  return Parse<RecordConsultationRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    consultation { body: CONSULTATION_BODY_FUNKTIONSHINDERRAD date: "2021-02-16" }
  )pb");
}

RecordStatementRequest RecordSoderStatement() {
  return Parse<RecordStatementRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" statement {)pb", kSoderStatement,
      "}"));
}

AttestStatementRequest AttestJenven() {
  return Parse<AttestStatementRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    attestation { name: "Ann-Christine Jenvén" title: "Stadsdelsdirektör" date: "2021-02-05" }
  )pb");
}

RecordBoardDecisionRequest DecideSoder() {
  return Parse<RecordBoardDecisionRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" decision {)pb", kSoderDecision,
      "}"));
}

RecordBoardDecisionRequest DecideBromma() {
  return Parse<RecordBoardDecisionRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "bromma-sdn" decision {)pb", kBrommaDecision, "}"));
}

RecordDelegationDecisionRequest DelegateSoder() {
  return Parse<RecordDelegationDecisionRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    delegation {
      decided_by_name: "Ann-Christine Jenvén"
      decided_by_title: "Stadsdelsdirektör"
      date: "2021-02-25"
      reference: "Delegationsordning 1.4"
      decision_text: "Förvaltningen överlämnar tjänsteutlåtandet som svar på remissen."
    }
  )pb");
}

SubmitResponseRequest SubmitSoder() {
  return Parse<SubmitResponseRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    documents {
      id: "tjansteutlatande"
      title: "Svar på remiss från kommunstyrelsen KS 2019/1939"
      uri: "diarium://so/2020/1051/1"
    }
  )pb");
}

DeclineResponseRequest DeclineSoder() {
  return Parse<DeclineResponseRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    reason: "Nämnden avstår från att yttra sig."
  )pb");
}

SupplementResponseRequest SupplementSoder() {
  return Parse<SupplementResponseRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    text: "Rådet för funktionshinderfrågors protokoll bifogas."
    documents { id: "bilaga-2" title: "Protokoll" uri: "diarium://so/2020/1051/2" }
  )pb");
}

// Corrects the registration (version 1) of Södermalm's stream.
CorrectFactRequest CorrectSoderRegistration() {
  return Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 1
    reason: "Fel diarienummer"
    registered { diary_number: "SÖ 2020/1052" registered_on: "2020-12-03" }
  )pb");
}

// Every command, well-formed, for `org` (and `referral_id`).
std::vector<Command> AllCommands(absl::string_view referral_id = kRound,
                                 absl::string_view org = kSoder) {
  std::string r(referral_id), o(org);
  auto at = [r, o](auto cmd) {
    cmd.set_referral_id(r);
    cmd.set_org_id(o);
    return cmd;
  };
  static const ResponseEvent* registered = new ResponseEvent(SoderRegistered());
  return {
      {"RegisterResponse",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(RegisterSoder()), s, c);
       }},
      {"AssignCaseOfficer",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(AssignAndersson()), s, c);
       }},
      {"RecordConsultation",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(ConsultFunktionshinderrad()), s, c);
       }},
      {"RecordStatement",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(RecordSoderStatement()), s, c);
       }},
      {"AttestStatement",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(AttestJenven()), s, c);
       }},
      {"RecordBoardDecision",
       [=](const Subject& s, const DecisionContext& c) { return Decide(at(DecideSoder()), s, c); }},
      {"RecordDelegationDecision",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(DelegateSoder()), s, c);
       }},
      {"SubmitResponse",
       [=](const Subject& s, const DecisionContext& c) { return Decide(at(SubmitSoder()), s, c); }},
      {"DeclineResponse",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(DeclineSoder()), s, c);
       }},
      {"SupplementResponse",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(SupplementSoder()), s, c);
       }},
      {"CorrectFact",
       [=](const Subject& s, const DecisionContext& c) {
         return Decide(at(CorrectSoderRegistration()), s, registered, c);
       }},
  };
}

TEST_F(ResponsesDomainTest, EveryCommandNeedsTheReferralAndTheOrg) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  for (const Command& command : AllCommands("", kSoder)) {
    EXPECT_TRUE(InvalidArgument(command.run(For(soder), ctx_), "referral_id", "required"))
        << command.name;
  }
  for (const Command& command : AllCommands(kRound, "")) {
    EXPECT_TRUE(InvalidArgument(command.run(For(soder), ctx_), "org_id", "required"))
        << command.name;
  }
}

TEST_F(ResponsesDomainTest, EveryCommandNeedsARoundThisServiceKnows) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  for (const Command& command : AllCommands("ks-2099-1")) {
    EXPECT_TRUE(Refused(command.run(Subject{nullptr, &soder}, ctx_), absl::StatusCode::kNotFound,
                        "referral_id", "\"ks-2099-1\" is not known to the responses service"))
        << command.name;
    EXPECT_TRUE(Refused(command.run(Subject{nullptr, nullptr}, ctx_), absl::StatusCode::kNotFound,
                        "referral_id"))
        << command.name;
  }
}

TEST_F(ResponsesDomainTest, EveryCommandNeedsAnAddresseeAskedToAnswer) {
  // No row: the board was never asked.
  for (const Command& command : AllCommands(kRound, "socialnamnden")) {
    EXPECT_TRUE(Refused(command.run(Subject{&terms_, nullptr}, ctx_),
                        absl::StatusCode::kNotFound, "org_id",
                        "\"socialnamnden\" is not asked to answer round \"ks-2019-1939\""))
        << command.name;
  }
  // Removed after it began its work.
  RoundTermsRecorded terms = TermsAfter({Removed("sodermalm-sdn")});
  const Response registered = Given(terms_, kSoder, SoderRegisteredStream());
  Response soder = ApplyTerms(terms, kSoder, &registered);
  ASSERT_TRUE(soder.removed());
  for (const Command& command : AllCommands()) {
    EXPECT_TRUE(Refused(command.run(Subject{&terms, &soder}, ctx_), absl::StatusCode::kNotFound,
                        "org_id", "is not asked to answer"))
        << command.name;
  }
}

TEST_F(ResponsesDomainTest, NoCommandForAnAddresseeThatHasItForInformation) {
  Response council = Given(terms_, "ks-pensionarsrad", {});
  for (const Command& command : AllCommands(kRound, "ks-pensionarsrad")) {
    EXPECT_TRUE(Refused(command.run(For(council), ctx_), absl::StatusCode::kFailedPrecondition,
                        "org_id", "for information only"))
        << command.name;
  }
}

TEST_F(ResponsesDomainTest, NoCommandButACorrectionOnAWithdrawnOrClosedRound) {
  for (const ReferralEvent& end : {Withdrawn(), Closed()}) {
    RoundTermsRecorded terms = TermsAfter({end});
    Response soder = ApplyTerms(terms, kSoder, nullptr);
    Response registered = Given(terms, kSoder, SoderRegisteredStream());
    std::string state = end.has_referral_closed() ? "is closed" : "is withdrawn";
    for (const Command& command : AllCommands()) {
      if (command.name == "CorrectFact") {
        // The public record can always be corrected.
        EXPECT_TRUE(OneEvent(command.run(Subject{&terms, &registered}, ctx_))) << state;
        continue;
      }
      EXPECT_TRUE(Refused(command.run(Subject{&terms, &soder}, ctx_),
                          absl::StatusCode::kFailedPrecondition, "round_state", state))
          << command.name;
    }
  }
}

TEST_F(ResponsesDomainTest, BadInputIsReportedBeforeTheSubject) {
  auto cmd = RegisterSoder();
  cmd.set_diary_number("x");  // no digit
  EXPECT_TRUE(InvalidArgument(Decide(cmd, Subject{nullptr, nullptr}, ctx_), "diary_number"));
  auto statement = RecordSoderStatement();
  statement.mutable_statement()->clear_summary();
  RoundTermsRecorded withdrawn = TermsAfter({Withdrawn()});
  Response soder = ApplyTerms(withdrawn, kSoder, nullptr);
  EXPECT_TRUE(InvalidArgument(Decide(statement, Subject{&withdrawn, &soder}, ctx_),
                              "statement.summary"));
}

// ======================= every command: the stage =======================

// What each command meets in each stage of Södermalm's response.
enum Outcome { OK, STAGE, EXISTS };

struct StageCase {
  std::string stage;
  std::vector<ResponseEvent> events;
};

std::vector<StageCase> Stages() {
  return {
      {"awaiting", {}},
      {"registered", SoderRegisteredStream()},
      {"in preparation", SoderPreparingStream()},
      {"drafted", Concat(SoderPreparingStream(), {SoderDrafted(kSoderFirstDraft)})},
      {"attested",
       Concat(SoderPreparingStream(), {SoderDrafted(kSoderFirstDraft),
                                       SoderAttested("Maria Klemets Hellberg", "Avdelningschef")})},
      {"decided", Concat(SoderPreparingStream(),
                         {SoderDrafted(kSoderFirstDraft), SoderDecided()})},
      {"submitted", Concat(SoderPreparingStream(), {SoderDrafted(kSoderFirstDraft),
                                                    SoderDecided(), SoderSubmitted()})},
      {"declined", {SoderRegistered(), SoderDeclined()}},
  };
}

TEST_F(ResponsesDomainTest, EachCommandInEachStage) {
  //                                   awaiting reg    prep    drafted attested decided subm  decl
  const std::vector<std::pair<std::string, std::vector<Outcome>>> table = {
      {"RegisterResponse",         {OK,     EXISTS, EXISTS, EXISTS, EXISTS, EXISTS, STAGE, STAGE}},
      {"AssignCaseOfficer",        {STAGE,  OK,     OK,     OK,     OK,     OK,     STAGE, STAGE}},
      {"RecordConsultation",       {STAGE,  OK,     OK,     OK,     OK,     STAGE,  STAGE, STAGE}},
      {"RecordStatement",          {STAGE,  OK,     OK,     OK,     OK,     STAGE,  STAGE, STAGE}},
      {"AttestStatement",          {STAGE,  STAGE,  STAGE,  OK,     OK,     STAGE,  STAGE, STAGE}},
      {"RecordBoardDecision",      {STAGE,  STAGE,  STAGE,  OK,     OK,     EXISTS, STAGE, STAGE}},
      {"RecordDelegationDecision", {STAGE,  STAGE,  STAGE,  OK,     OK,     EXISTS, STAGE, STAGE}},
      {"SubmitResponse",           {STAGE,  STAGE,  STAGE,  STAGE,  STAGE,  OK,     STAGE, STAGE}},
      {"DeclineResponse",          {OK,     OK,     OK,     OK,     OK,     OK,     STAGE, STAGE}},
      {"SupplementResponse",       {STAGE,  STAGE,  STAGE,  STAGE,  STAGE,  STAGE,  OK,    STAGE}},
  };
  std::vector<StageCase> stages = Stages();
  std::vector<Command> commands = AllCommands();
  for (const auto& [name, outcomes] : table) {
    const Command* command = nullptr;
    for (const Command& c : commands) {
      if (c.name == name) command = &c;
    }
    ASSERT_NE(command, nullptr) << name;
    ASSERT_EQ(outcomes.size(), stages.size()) << name;
    for (size_t i = 0; i < stages.size(); ++i) {
      Response state = Given(terms_, kSoder, stages[i].events);
      absl::StatusOr<Events> got = command->run(For(state), ctx_);
      std::string where = absl::StrCat(name, " when ", stages[i].stage);
      switch (outcomes[i]) {
        case OK:
          EXPECT_TRUE(OneEvent(got)) << where;
          break;
        case STAGE:
          EXPECT_TRUE(WrongStage(got, absl::StrCat("the response is ", stages[i].stage))) << where;
          break;
        case EXISTS: {
          absl::string_view field = name == "RegisterResponse"      ? "diary_number"
                                    : name == "RecordBoardDecision" ? "decision"
                                                                    : "delegation";
          EXPECT_TRUE(Refused(got, absl::StatusCode::kAlreadyExists, field)) << where;
          break;
        }
      }
    }
  }
}

TEST_F(ResponsesDomainTest, AfterSubmissionOnlyASupplementOrACorrection) {
  Response soder = Given(terms_, kSoder, SoderSubmittedStream());
  EXPECT_TRUE(WrongStage(Decide(SubmitSoder(), For(soder), ctx_),
                         "the response is submitted; only a supplement or a correction can "
                         "follow"));
  EXPECT_TRUE(WrongStage(Decide(DeclineSoder(), For(soder), ctx_), "submitted"));
  EXPECT_TRUE(OneEvent(Decide(SupplementSoder(), For(soder), ctx_)));
  static const ResponseEvent registered = SoderRegistered();
  EXPECT_TRUE(OneEvent(Decide(CorrectSoderRegistration(), For(soder), &registered, ctx_)));
}

// ======================= RegisterResponse =======================

TEST_F(ResponsesDomainTest, RegisterBrommasAnswerInItsDiary) {
  Response bromma = Given(terms_, kBromma, {});
  auto cmd = Parse<RegisterResponseRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "bromma-sdn"
    diary_number: "BRO 2020/440"
    registered_on: "2020-12-01"
  )pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, For(bromma), ctx_), {BrommaRegistered()}));
  // Registered today is fine.
  cmd.set_registered_on("2021-02-25");
  EXPECT_TRUE(OneEvent(Decide(cmd, For(bromma), ctx_)));
}

TEST_F(ResponsesDomainTest, RegisterAcceptsTheDiaryNumbersBoardsUse) {
  Response soder = Given(terms_, kSoder, {});
  for (absl::string_view good :
       {"BRO 2020/440", "HV 2020/786", "Dnr HV 2020/786", "KYR 2023/123", "SÖ 2021/1",
        "ÅÄÖ 2021/1234567", "ABCDEFGH 2000/0", "Dnr ABCDEFGH 2020/1", "BRO2020/440",
        "bro 2020/440", "BRO 2020-440", "Dnr 1.2.3-456/2020", "2019-001939", "N2015/06917/PUB",
        "DNR HV 2020/786", "BRO 2020/440/1"}) {
    auto cmd = RegisterSoder();
    cmd.set_command_id(absl::StrCat("register-", good));
    cmd.set_diary_number(std::string(good));
    EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_))) << good;
  }
}

TEST_F(ResponsesDomainTest, RegisterRefusesWhatIsNoDiaryNumber) {
  Response soder = Given(terms_, kSoder, {});
  for (absl::string_view bad :
       {"x", "Dnr HV", " BRO 2020/440", "BRO 2020/440 ", "BRO 2020/440;", "BRO <2020>",
        "BRO 2020/440\n", "€ 2020/1"}) {
    auto cmd = RegisterSoder();
    cmd.set_command_id(absl::StrCat("register-bad-", bad));
    cmd.set_diary_number(std::string(bad));
    EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "diary_number"))
        << "\"" << bad << "\"";
  }
  auto cmd = RegisterSoder();
  cmd.set_diary_number("BRO 2020/" + std::string(60, '4'));
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "diary_number", "at most 64"));
  cmd.clear_diary_number();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "diary_number", "is required"));
}

TEST_F(ResponsesDomainTest, RegisterNeedsARealDateNotAfterToday) {
  Response soder = Given(terms_, kSoder, {});
  for (absl::string_view bad : {"", "2021-02-30", "2021-2-3", "3 december 2020", "2020/12/03"}) {
    auto cmd = RegisterSoder();
    cmd.set_registered_on(std::string(bad));
    EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "registered_on")) << bad;
  }
  auto cmd = RegisterSoder();
  cmd.set_registered_on("2021-02-26");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "registered_on",
                              "must not be after today"));
}

TEST_F(ResponsesDomainTest, RegisterTwiceIsAlreadyExistsNamingTheNumber) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  auto cmd = RegisterSoder();
  cmd.set_diary_number("SÖ 2020/1052");
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), ctx_), absl::StatusCode::kAlreadyExists,
                      "diary_number", "\"SÖ 2020/1051\""));
  EXPECT_THAT(std::string(Decide(cmd, For(soder), ctx_).status().message()),
              HasSubstr("CorrectFact"));
}

// ======================= AssignCaseOfficer =======================

TEST_F(ResponsesDomainTest, AssignSodermalmsCaseOfficer) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  EXPECT_TRUE(EventsAre(Decide(AssignKoistinen(), For(soder), ctx_), {SoderOfficer()}));
}

TEST_F(ResponsesDomainTest, AssignAnotherOfficerIsANewEventTheSameOneNothing) {
  Response soder = Given(terms_, kSoder, {SoderRegistered(), SoderOfficer()});
  EXPECT_TRUE(EventsAre(Decide(AssignKoistinen(), For(soder), ctx_), {}));
  auto cmd = Parse<AssignCaseOfficerRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    officer {
      person_id: "p-4711"
      name: "Anna Andersson"
      phone: "+46 8-508 301 99"
      email: "anna.andersson@stockholm.se"
    }
  )pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, For(soder), ctx_),
                        {Ev(R"pb(case_officer_assigned {
                                   referral_id: "ks-2019-1939"
                                   org_id: "sodermalm-sdn"
                                   officer {
                                     person_id: "p-4711"
                                     name: "Anna Andersson"
                                     phone: "+46 8-508 301 99"
                                     email: "anna.andersson@stockholm.se"
                                   }
                                 })pb")}));
}

TEST_F(ResponsesDomainTest, AssignRefusesBadInput) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  auto with = [&](auto change) {
    auto cmd = AssignKoistinen();
    change(*cmd.mutable_officer());
    return Decide(cmd, For(soder), ctx_);
  };
  using Officer = remiss::v1::CaseOfficer;
  EXPECT_TRUE(InvalidArgument(with([](Officer& o) { o.clear_name(); }), "officer.name",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(with([](Officer& o) { o.set_name(" "); }), "officer.name"));
  EXPECT_TRUE(InvalidArgument(with([](Officer& o) { o.set_name(std::string(201, 'x')); }),
                              "officer.name", "200"));
  EXPECT_TRUE(OneEvent(with([](Officer& o) { o.set_name(Repeat("ö", 200)); })));
  EXPECT_TRUE(InvalidArgument(with([](Officer& o) { o.set_person_id(std::string(65, 'p')); }),
                              "officer.person_id", "64"));
  for (absl::string_view bad : {"1234", "08/508 301 98", "tel 0850830198", "-----",
                                "0850830198 ext", "0123456789012345678901234567890"}) {
    EXPECT_TRUE(InvalidArgument(with([&](Officer& o) { o.set_phone(std::string(bad)); }),
                                "officer.phone"))
        << bad;
  }
  for (absl::string_view good : {"08-508 301 98", "+46 8 508 301 98", "12345", "0850830198"}) {
    EXPECT_TRUE(OneEvent(with([&](Officer& o) {
      o.set_name("Anna Andersson");
      o.set_phone(std::string(good));
    }))) << good;
  }
  EXPECT_TRUE(InvalidArgument(
      with([](Officer& o) { o.set_email("christina.koistinen.stockholm.se"); }), "officer.email",
      "@"));
  EXPECT_TRUE(InvalidArgument(
      with([](Officer& o) { o.set_email(std::string(190, 'x') + "@stockholm.se"); }),
      "officer.email", "200"));
}

// ======================= RecordConsultation =======================

TEST_F(ResponsesDomainTest, RecordSodermalmsConsultations) {
  Response soder = Given(terms_, kSoder, {SoderRegistered(), SoderOfficer()});
  for (const ResponseEvent& want : SoderConsultations()) {
    RecordConsultationRequest cmd;
    cmd.set_referral_id(std::string(kRound));
    cmd.set_org_id(std::string(kSoder));
    *cmd.mutable_consultation() = want.consultation_recorded().consultation();
    EXPECT_TRUE(EventsAre(Decide(cmd, For(soder), ctx_), {want}));
  }
}

TEST_F(ResponsesDomainTest, AConsultationRightAfterRegistrationAndAPlannedOne) {
  // Utbildningsnämnden: "kommer att behandlas den 9 februari" — a planned meeting.
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  auto cmd = Parse<RecordConsultationRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    consultation {
      body: CONSULTATION_BODY_FACKLIG_SAMVERKAN
      date: "2021-03-09"
      note: "Ärendet kommer att behandlas i förvaltningens samverkansgrupp."
    }
  )pb");
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
}

TEST_F(ResponsesDomainTest, RecordConsultationRefusesBadInput) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  auto with = [&](auto change) {
    auto cmd = ConsultFunktionshinderrad();
    change(*cmd.mutable_consultation());
    return Decide(cmd, For(soder), ctx_);
  };
  using C = remiss::v1::Consultation;
  EXPECT_TRUE(InvalidArgument(with([](C& c) { c.clear_body(); }), "consultation.body",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(
      with([](C& c) { c.set_body(static_cast<remiss::v1::ConsultationBody>(99)); }),
      "consultation.body"));
  EXPECT_TRUE(InvalidArgument(
      with([](C& c) { c.set_body(remiss::v1::CONSULTATION_BODY_OTHER); }),
      "consultation.body_name", "OTHER"));
  EXPECT_TRUE(OneEvent(with([](C& c) {
    c.set_body(remiss::v1::CONSULTATION_BODY_OTHER);
    c.set_body_name("Brottsförebyggande rådet i Södermalm");
  })));
  EXPECT_TRUE(InvalidArgument(with([](C& c) { c.set_body_name(std::string(201, 'x')); }),
                              "consultation.body_name", "200"));
  EXPECT_TRUE(InvalidArgument(with([](C& c) { c.clear_date(); }), "consultation.date"));
  EXPECT_TRUE(InvalidArgument(with([](C& c) { c.set_date("16 februari 2021"); }),
                              "consultation.date"));
  EXPECT_TRUE(InvalidArgument(with([](C& c) { c.set_note(std::string(4001, 'x')); }),
                              "consultation.note", "4000"));
  EXPECT_TRUE(OneEvent(with([](C& c) { c.set_note(std::string(4000, 'x')); })));
}

// ======================= RecordStatement =======================

TEST_F(ResponsesDomainTest, RecordSodermalmsStatement) {
  Response soder = Given(terms_, kSoder, SoderPreparingStream());
  EXPECT_TRUE(EventsAre(Decide(RecordSoderStatement(), For(soder), ctx_), {SoderDrafted()}));
}

TEST_F(ResponsesDomainTest, RepeatedFieldsOverTheirCapsAreRefusedNamingTheField) {
  Response soder = Given(terms_, kSoder, SoderPreparingStream());
  auto statement = RecordSoderStatement();
  statement.set_command_id("statement-remarks-cap");
  statement.mutable_statement()->set_standpoint(remiss::v1::STANDPOINT_POSITIVE_WITH_REMARKS);
  for (int i = 0; i < 200; ++i) {
    auto* remark = statement.mutable_statement()->add_remarks();
    remark->set_topic("struktur");
    remark->set_text(absl::StrCat("Anmärkning ", i + 1, "."));
  }
  EXPECT_TRUE(OneEvent(Decide(statement, For(soder), ctx_)));  // 200 or more: the cap
  statement.mutable_statement()->add_remarks()->set_topic("struktur");
  EXPECT_TRUE(InvalidArgument(Decide(statement, For(soder), ctx_), "statement.remarks",
                              "at most 200 items"));

  auto proposed = RecordSoderStatement();
  proposed.set_command_id("statement-proposed-cap");
  for (int i = 0; i < 51; ++i) proposed.mutable_statement()->add_proposed_decision("Att-sats.");
  EXPECT_TRUE(InvalidArgument(Decide(proposed, For(soder), ctx_),
                              "statement.proposed_decision", "at most 50 items"));

  auto documents = RecordSoderStatement();
  documents.set_command_id("statement-documents-cap");
  for (int i = 0; i < 101; ++i) {
    auto* doc = documents.mutable_statement()->add_documents();
    doc->set_id(absl::StrCat("bilaga-x", i));
    doc->set_title("Bilaga");
    doc->set_uri("diarium://x");
  }
  EXPECT_TRUE(InvalidArgument(Decide(documents, For(soder), ctx_), "statement.documents",
                              "at most 100 items"));
}

TEST_F(ResponsesDomainTest, RecordStatementLowerCasesTheDigest) {
  Response soder = Given(terms_, kSoder, SoderPreparingStream());
  auto cmd = RecordSoderStatement();
  cmd.mutable_statement()->mutable_documents(0)->set_sha256(absl::AsciiStrToUpper(kSha));
  EXPECT_TRUE(EventsAre(Decide(cmd, For(soder), ctx_), {SoderDrafted()}));
}

TEST_F(ResponsesDomainTest, TheSameDraftAgainChangesNothing) {
  Response soder = Given(terms_, kSoder, SoderAttestedStream());
  EXPECT_TRUE(EventsAre(Decide(RecordSoderStatement(), For(soder), ctx_), {}));
  // A changed draft is a new one.
  auto cmd = RecordSoderStatement();
  cmd.mutable_statement()->set_views("Förvaltningen ser positivt på kommunikationen.");
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
}

TEST_F(ResponsesDomainTest, PositiveWithRemarksLikeUtbildningsnamnden) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  auto cmd = RecordSoderStatement();
  auto* s = cmd.mutable_statement();
  s->set_standpoint(remiss::v1::STANDPOINT_POSITIVE_WITH_REMARKS);
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "statement.remarks",
                              "at least one remark"));
  auto* remark = s->add_remarks();
  remark->set_topic("struktur");
  remark->set_text("Programmets struktur är svårtillgänglig.");
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
  s->set_standpoint(remiss::v1::STANDPOINT_NEGATIVE);
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
  s->set_standpoint(remiss::v1::STANDPOINT_NO_OPINION);
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
}

TEST_F(ResponsesDomainTest, RecordStatementRefusesBadInput) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  auto with = [&](auto change) {
    auto cmd = RecordSoderStatement();
    change(*cmd.mutable_statement());
    return Decide(cmd, For(soder), ctx_);
  };
  using S = remiss::v1::Statement;
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.clear_standpoint(); }), "statement.standpoint",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(
      with([](S& s) { s.set_standpoint(static_cast<remiss::v1::Standpoint>(42)); }),
      "statement.standpoint"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.clear_proposed_decision(); }),
                              "statement.proposed_decision", "at least one"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_proposed_decision(1, " "); }),
                              "statement.proposed_decision[1]", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.clear_summary(); }), "statement.summary",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_summary(std::string(100001, 'x')); }),
                              "statement.summary", "100000"));
  EXPECT_TRUE(OneEvent(with([](S& s) { s.set_summary(std::string(100000, 'x')); })));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_statement_date("25 februari 2021"); }),
                              "statement.statement_date"));
  EXPECT_TRUE(OneEvent(with([](S& s) { s.clear_statement_date(); })));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_views(std::string(100001, 'x')); }),
                              "statement.views"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_background(std::string(100001, 'x')); }),
                              "statement.background"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_preparation(std::string(100001, 'x')); }),
                              "statement.preparation"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.set_addressed_to(std::string(201, 'x')); }),
                              "statement.addressed_to"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.add_remarks()->set_text("Struktur"); }),
                              "statement.remarks[0].topic", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.add_remarks()->set_topic("struktur"); }),
                              "statement.remarks[0].text", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.mutable_documents(0)->clear_id(); }),
                              "statement.documents[0].id", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.mutable_documents(0)->set_id("bilaga 1"); }),
                              "statement.documents[0].id"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.mutable_documents(0)->clear_title(); }),
                              "statement.documents[0].title"));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { s.mutable_documents(0)->clear_uri(); }),
                              "statement.documents[0].uri"));
  EXPECT_TRUE(InvalidArgument(
      with([](S& s) { s.mutable_documents(0)->set_sha256(std::string(kSha.substr(2))); }),
      "statement.documents[0].sha256", "64"));
  EXPECT_TRUE(InvalidArgument(
      with([](S& s) { s.mutable_documents(0)->set_sha256(std::string(64, 'g')); }),
      "statement.documents[0].sha256"));
  EXPECT_TRUE(OneEvent(with([](S& s) { s.mutable_documents(0)->clear_sha256(); })));
  EXPECT_TRUE(InvalidArgument(with([](S& s) { *s.add_documents() = s.documents(0); }),
                              "statement.documents[1].id", "more than once"));
}

// ======================= AttestStatement =======================

TEST_F(ResponsesDomainTest, TwoManagersAttestSodermalmsStatement) {
  Response soder = Given(terms_, kSoder, SoderDraftedStream());
  EXPECT_TRUE(EventsAre(Decide(AttestJenven(), For(soder), ctx_), {JenvenAttested()}));
  soder = Given(terms_, kSoder, Concat(SoderDraftedStream(), {JenvenAttested()}));
  auto cmd = Parse<AttestStatementRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    attestation { name: "Maria Klemets Hellberg" title: "Avdelningschef" date: "2021-02-05" }
  )pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, For(soder), ctx_), {KlemetsAttested()}));
}

TEST_F(ResponsesDomainTest, TheSameAttesterTwiceIsAlreadyExists) {
  Response soder = Given(terms_, kSoder, SoderAttestedStream());
  EXPECT_TRUE(Refused(Decide(AttestJenven(), For(soder), ctx_), absl::StatusCode::kAlreadyExists,
                      "attestation", "Ann-Christine Jenvén"));
  // The same name in another capacity is another attestation.
  auto cmd = AttestJenven();
  cmd.mutable_attestation()->set_title("Tf. avdelningschef");
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
}

TEST_F(ResponsesDomainTest, AttestRefusesBadInput) {
  Response soder = Given(terms_, kSoder, SoderDraftedStream());
  auto with = [&](auto change) {
    auto cmd = AttestJenven();
    change(*cmd.mutable_attestation());
    return Decide(cmd, For(soder), ctx_);
  };
  using A = remiss::v1::Attestation;
  EXPECT_TRUE(InvalidArgument(with([](A& a) { a.clear_name(); }), "attestation.name"));
  EXPECT_TRUE(InvalidArgument(with([](A& a) { a.clear_title(); }), "attestation.title"));
  EXPECT_TRUE(InvalidArgument(with([](A& a) { a.clear_date(); }), "attestation.date"));
  EXPECT_TRUE(InvalidArgument(with([](A& a) { a.set_date("2021-02-31"); }), "attestation.date"));
  EXPECT_TRUE(InvalidArgument(with([](A& a) { a.set_date("2021-02-26"); }), "attestation.date",
                              "after today"));
  EXPECT_TRUE(OneEvent(with([](A& a) { a.set_date("2021-02-25"); })));
}

// ======================= RecordBoardDecision =======================

TEST_F(ResponsesDomainTest, RecordBrommasBoardDecision) {
  Response bromma = Given(terms_, kBromma, {BrommaRegistered(), BrommaDrafted()});
  EXPECT_TRUE(EventsAre(Decide(DecideBromma(), For(bromma), ctx_), {BrommaDecided()}));
}

TEST_F(ResponsesDomainTest, TheParagraphIsWrittenAsSectionSpaceNumber) {
  Response bromma = Given(terms_, kBromma, {BrommaRegistered(), BrommaDrafted()});
  auto cmd = DecideBromma();
  cmd.mutable_decision()->set_paragraph("§5");
  EXPECT_TRUE(EventsAre(Decide(cmd, For(bromma), ctx_), {BrommaDecided()}));
  for (absl::string_view bad : {"5", "§ 5a", "§", "§ ", "§  5", "Paragraf 5", "§ 123456", "5 §"}) {
    cmd.mutable_decision()->set_paragraph(std::string(bad));
    EXPECT_TRUE(InvalidArgument(Decide(cmd, For(bromma), ctx_), "decision.paragraph",
                                "must look like \"§ 5\""))
        << bad;
  }
  cmd.mutable_decision()->clear_paragraph();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(bromma), ctx_), "decision.paragraph",
                              "is required"));
}

TEST_F(ResponsesDomainTest, SodermalmsDecisionIsApprovedAtOnce) {
  Response soder = Given(terms_, kSoder, SoderAttestedStream());
  EXPECT_TRUE(EventsAre(Decide(DecideSoder(), For(soder), ctx_), {SoderDecided()}));
}

TEST_F(ResponsesDomainTest, RecordBoardDecisionRefusesBadInput) {
  Response bromma = Given(terms_, kBromma, {BrommaRegistered(), BrommaDrafted()});
  auto with = [&](auto change) {
    auto cmd = DecideBromma();
    change(*cmd.mutable_decision());
    return Decide(cmd, For(bromma), ctx_);
  };
  using D = remiss::v1::BoardDecision;
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_meeting_date(); }),
                              "decision.meeting_date"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.set_meeting_date("2021-02-26"); }),
                              "decision.meeting_date", "after today"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_decision_text(); }),
                              "decision.decision_text", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.set_decision_text(std::string(100001, 'x')); }),
                              "decision.decision_text", "100000"));
  // Proposals.
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_proposals(1)->clear_id(); }),
                              "decision.proposals[1].id", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_proposals(1)->set_id("forvaltningen"); }),
                              "decision.proposals[1].id", "more than once"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.set_winning_proposal("m"); }),
                              "decision.winning_proposal", "\"m\""));
  EXPECT_TRUE(OneEvent(with([](D& d) { d.clear_winning_proposal(); })));
  // Without proposals the winning one cannot be checked against them.
  EXPECT_TRUE(OneEvent(with([](D& d) {
    d.clear_proposals();
    d.clear_reservations();
  })));
  // Reservations.
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_reservations(0)->clear_parties(); }),
                              "decision.reservations[0].parties", "at least one party"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_reservations(0)->set_parties(0, ""); }),
                              "decision.reservations[0].parties[0]"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_reservations(0)->clear_text(); }),
                              "decision.reservations[0].text", "is required"));
  EXPECT_TRUE(InvalidArgument(
      with([](D& d) { d.mutable_reservations(0)->set_in_favour_of("v"); }),
      "decision.reservations[0].in_favour_of", "\"v\""));
  EXPECT_TRUE(InvalidArgument(with([](D& d) {
                                d.clear_proposals();
                                d.clear_winning_proposal();
                              }),
                              "decision.reservations[0].in_favour_of"));
  EXPECT_TRUE(OneEvent(with([](D& d) { d.mutable_reservations(0)->clear_in_favour_of(); })));
  // Special statements.
  EXPECT_TRUE(InvalidArgument(
      with([](D& d) { d.mutable_special_statements(2)->clear_parties(); }),
      "decision.special_statements[2].parties", "at least one party"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_special_statements(1)->clear_text(); }),
                              "decision.special_statements[1].text", "is required"));
  // Justering.
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_justering(); }), "decision.justering.kind",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_justering()->clear_date(); }),
                              "decision.justering.date"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_justering()->set_date("2021-02-17"); }),
                              "decision.justering.date", "on or after the meeting date"));
  EXPECT_TRUE(OneEvent(with([](D& d) { d.mutable_justering()->set_date("2021-02-18"); })));
  // Approved at a later date that is still ahead.
  EXPECT_TRUE(OneEvent(with([](D& d) { d.mutable_justering()->set_date("2021-03-01"); })));
  EXPECT_TRUE(InvalidArgument(with([](D& d) {
                                d.mutable_justering()->set_kind(
                                    remiss::v1::JUSTERING_KIND_IMMEDIATE);
                              }),
                              "decision.justering.date", "must be empty"));
  EXPECT_TRUE(OneEvent(with([](D& d) {
    d.mutable_justering()->set_kind(remiss::v1::JUSTERING_KIND_IMMEDIATE);
    d.mutable_justering()->clear_date();
  })));
  // Documents.
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.mutable_documents(1)->clear_uri(); }),
                              "decision.documents[1].uri"));
}

TEST_F(ResponsesDomainTest, ADecisionTwiceIsAlreadyExists) {
  Response bromma = Given(terms_, kBromma, {BrommaRegistered(), BrommaDrafted(), BrommaDecided()});
  EXPECT_TRUE(Refused(Decide(DecideBromma(), For(bromma), ctx_), absl::StatusCode::kAlreadyExists,
                      "decision", "§ 5"));
  auto delegation = DelegateSoder();
  delegation.set_org_id(std::string(kBromma));
  EXPECT_TRUE(Refused(Decide(delegation, For(bromma), ctx_), absl::StatusCode::kAlreadyExists,
                      "delegation", "by the board"));
}

TEST_F(ResponsesDomainTest, ADecisionNeedsAStatement) {
  Response bromma = Given(terms_, kBromma, {BrommaRegistered()});
  EXPECT_TRUE(WrongStage(Decide(DecideBromma(), For(bromma), ctx_), "statement"));
}

// ======================= RecordDelegationDecision =======================

TEST_F(ResponsesDomainTest, TheAdministrationDecidesByDelegation) {
  Response soder = Given(terms_, kSoder, SoderAttestedStream());
  EXPECT_TRUE(EventsAre(Decide(DelegateSoder(), For(soder), ctx_),
                        {Ev(R"pb(delegation_decision_recorded {
                                   referral_id: "ks-2019-1939"
                                   org_id: "sodermalm-sdn"
                                   delegation {
                                     decided_by_name: "Ann-Christine Jenvén"
                                     decided_by_title: "Stadsdelsdirektör"
                                     date: "2021-02-25"
                                     reference: "Delegationsordning 1.4"
                                     decision_text: "Förvaltningen överlämnar tjänsteutlåtandet "
                                                    "som "
                                                    "svar på remissen."
                                   }
                                 })pb")}));
}

TEST_F(ResponsesDomainTest, RecordDelegationRefusesBadInputAndASecondDecision) {
  Response soder = Given(terms_, kSoder, SoderAttestedStream());
  auto with = [&](auto change) {
    auto cmd = DelegateSoder();
    change(*cmd.mutable_delegation());
    return Decide(cmd, For(soder), ctx_);
  };
  using D = remiss::v1::DelegationDecision;
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_decided_by_name(); }),
                              "delegation.decided_by_name"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_decided_by_title(); }),
                              "delegation.decided_by_title"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_date(); }), "delegation.date"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.set_date("2021-03-01"); }), "delegation.date",
                              "after today"));
  EXPECT_TRUE(InvalidArgument(with([](D& d) { d.clear_decision_text(); }),
                              "delegation.decision_text"));
  EXPECT_TRUE(OneEvent(with([](D& d) { d.clear_reference(); })));

  Response delegated =
      Given(terms_, kSoder,
            Concat(SoderAttestedStream(), {Ev(R"pb(delegation_decision_recorded {
                                                     referral_id: "ks-2019-1939"
                                                     org_id: "sodermalm-sdn"
                                                     delegation {
                                                       decided_by_name: "Ann-Christine Jenvén"
                                                       decided_by_title: "Stadsdelsdirektör"
                                                       date: "2021-02-25"
                                                       decision_text: "Överlämnas."
                                                     }
                                                   })pb")}));
  EXPECT_TRUE(Refused(Decide(DelegateSoder(), For(delegated), ctx_),
                      absl::StatusCode::kAlreadyExists, "delegation", "by delegation"));
  EXPECT_TRUE(Refused(Decide(DecideSoder(), For(delegated), ctx_),
                      absl::StatusCode::kAlreadyExists, "decision", "by delegation"));
}

// ======================= SubmitResponse =======================

TEST_F(ResponsesDomainTest, SubmitAtTheServicesClock) {
  Response soder = Given(terms_, kSoder, SoderDecidedStream());
  EXPECT_TRUE(EventsAre(Decide(SubmitSoder(), For(soder), ctx_), {SoderSubmitted()}));
  EXPECT_EQ(absl::FromUnixSeconds(1614245400), ctx_.now);
}

TEST_F(ResponsesDomainTest, ALateAnswerIsStillAccepted) {
  Response soder = Given(terms_, kSoder, SoderDecidedStream());
  DecisionContext late = On(absl::CivilDay(2021, 3, 10));
  absl::StatusOr<Events> got = Decide(SubmitSoder(), For(soder), late);
  ASSERT_TRUE(OneEvent(got));
  EXPECT_EQ((*got)[0].response_submitted().submitted_at().seconds(),
            absl::ToUnixSeconds(late.now));
}

TEST_F(ResponsesDomainTest, SubmitValidatesItsDocuments) {
  Response soder = Given(terms_, kSoder, SoderDecidedStream());
  auto cmd = SubmitSoder();
  cmd.mutable_documents(0)->set_sha256(absl::AsciiStrToUpper(kSha));
  absl::StatusOr<Events> got = Decide(cmd, For(soder), ctx_);
  ASSERT_TRUE(OneEvent(got));
  EXPECT_EQ((*got)[0].response_submitted().documents(0).sha256(), kSha);
  cmd.mutable_documents(0)->clear_title();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "documents[0].title"));
  cmd = SubmitSoder();
  cmd.set_note(std::string(4001, 'x'));
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "note"));
  cmd = SubmitSoder();
  cmd.clear_documents();
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), ctx_)));
}

// ======================= DeclineResponse =======================

TEST_F(ResponsesDomainTest, DeclineToAnswer) {
  Response soder = Given(terms_, kSoder, SoderRegisteredStream());
  EXPECT_TRUE(EventsAre(Decide(DeclineSoder(), For(soder), ctx_), {SoderDeclined()}));
  auto cmd = DeclineSoder();
  cmd.set_reason("  ");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "reason", "is required"));
  cmd.set_reason(std::string(4001, 'x'));
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "reason", "4000"));
  Response declined = Given(terms_, kSoder, {SoderRegistered(), SoderDeclined()});
  EXPECT_TRUE(WrongStage(Decide(DeclineSoder(), For(declined), ctx_), "declined"));
}

// ======================= SupplementResponse =======================

TEST_F(ResponsesDomainTest, SupplementASubmittedAnswer) {
  Response soder = Given(terms_, kSoder, SoderSubmittedStream());
  EXPECT_TRUE(EventsAre(Decide(SupplementSoder(), For(soder), ctx_),
                        {Ev(R"pb(response_supplemented {
                                   referral_id: "ks-2019-1939"
                                   org_id: "sodermalm-sdn"
                                   text: "Rådet för funktionshinderfrågors protokoll bifogas."
                                   documents {
                                     id: "bilaga-2"
                                     title: "Protokoll"
                                     uri: "diarium://so/2020/1051/2"
                                   }
                                   supplemented_at { seconds: 1614245400 }
                                 })pb")}));
  auto cmd = SupplementSoder();
  cmd.clear_text();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "text", "is required"));
  cmd = SupplementSoder();
  cmd.mutable_documents(0)->clear_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), ctx_), "documents[0].id"));
}

// ======================= CorrectFact =======================

// The event at `version` of `events` (1-based), as the store would hand it to Decide.
const ResponseEvent* At(const std::vector<ResponseEvent>& events, uint64_t version) {
  return version >= 1 && version <= events.size() ? &events[version - 1] : nullptr;
}

TEST_F(ResponsesDomainTest, CorrectTheDiaryNumber) {
  std::vector<ResponseEvent> stream = SoderSubmittedStream();
  Response soder = Given(terms_, kSoder, stream);
  EXPECT_TRUE(EventsAre(Decide(CorrectSoderRegistration(), For(soder), At(stream, 1), ctx_),
                        {Ev(R"pb(fact_corrected {
                                   referral_id: "ks-2019-1939"
                                   org_id: "sodermalm-sdn"
                                   corrects_version: 1
                                   reason: "Fel diarienummer"
                                   registered {
                                     referral_id: "ks-2019-1939"
                                     org_id: "sodermalm-sdn"
                                     diary_number: "SÖ 2020/1052"
                                     registered_on: "2020-12-03"
                                   }
                                 })pb")}));
}

TEST_F(ResponsesDomainTest, CorrectAConsultationAnAttestationAndTheDecision) {
  std::vector<ResponseEvent> stream = SoderDecidedStream();
  Response soder = Given(terms_, kSoder, stream);
  auto consultation = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 5
    reason: "Rådet sammanträdde den 17 februari"
    consultation_recorded {
      consultation { body: CONSULTATION_BODY_FUNKTIONSHINDERRAD date: "2021-02-17" }
    }
  )pb");
  EXPECT_TRUE(OneEvent(Decide(consultation, For(soder), At(stream, 5), ctx_)));

  auto attestation = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 9
    reason: "Fel titel"
    statement_attested {
      attestation {
        name: "Maria Klemets Hellberg"
        title: "Avdelningschef, sociala avdelningen"
        date: "2021-02-05"
      }
    }
  )pb");
  EXPECT_TRUE(OneEvent(Decide(attestation, For(soder), At(stream, 9), ctx_)));

  auto decision = Parse<CorrectFactRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" corrects_version: 10
           reason: "Fel paragraf" board_decision_recorded { decision {)pb",
      kSoderDecision, "}}"));
  decision.mutable_board_decision_recorded()->mutable_decision()->set_paragraph("§13");
  absl::StatusOr<Events> got = Decide(decision, For(soder), At(stream, 10), ctx_);
  ASSERT_TRUE(OneEvent(got));
  EXPECT_EQ((*got)[0].fact_corrected().board_decision_recorded().decision().paragraph(), "§ 13");
  EXPECT_EQ((*got)[0].fact_corrected().board_decision_recorded().org_id(), "sodermalm-sdn");
}

TEST_F(ResponsesDomainTest, CorrectFactRefusesBadInput) {
  std::vector<ResponseEvent> stream = SoderAttestedStream();
  Response soder = Given(terms_, kSoder, stream);
  auto cmd = CorrectSoderRegistration();
  cmd.clear_reason();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), At(stream, 1), ctx_), "reason",
                              "is required"));
  cmd = CorrectSoderRegistration();
  cmd.clear_registered();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), At(stream, 1), ctx_), "replacement"));
  // The replacement meets its own command's rules, named where it sits in the request.
  cmd = CorrectSoderRegistration();
  cmd.mutable_registered()->set_diary_number("SÖ 20/1052;");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), At(stream, 1), ctx_),
                              "registered.diary_number", "(got \"SÖ 20/1052;\")"));
  cmd = CorrectSoderRegistration();
  cmd.mutable_registered()->set_registered_on("2021-03-01");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, For(soder), At(stream, 1), ctx_),
                              "registered.registered_on", "after today"));
  auto statement = Parse<CorrectFactRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" corrects_version: 7
           reason: "Fel" statement_drafted { statement {)pb",
      kSoderStatement, "}}"));
  statement.mutable_statement_drafted()->mutable_statement()->clear_summary();
  EXPECT_TRUE(InvalidArgument(Decide(statement, For(soder), At(stream, 7), ctx_),
                              "statement_drafted.statement.summary"));
  auto officer = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 2
    reason: "Fel telefonnummer"
    case_officer_assigned { officer { name: "Christina Koistinen" phone: "08/508" } }
  )pb");
  EXPECT_TRUE(InvalidArgument(Decide(officer, For(soder), At(stream, 2), ctx_),
                              "case_officer_assigned.officer.phone"));
  auto consultation = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 3
    reason: "Fel"
    consultation_recorded { consultation { body: CONSULTATION_BODY_OTHER date: "2021-02-15" } }
  )pb");
  EXPECT_TRUE(InvalidArgument(Decide(consultation, For(soder), At(stream, 3), ctx_),
                              "consultation_recorded.consultation.body_name"));
  auto attestation = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 8
    reason: "Fel"
    statement_attested { attestation { name: "Ann-Christine Jenvén" date: "2021-02-05" } }
  )pb");
  EXPECT_TRUE(InvalidArgument(Decide(attestation, For(soder), At(stream, 8), ctx_),
                              "statement_attested.attestation.title"));
  auto delegation = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 8
    reason: "Fel"
    delegation_decision_recorded { delegation { decided_by_name: "Ann-Christine Jenvén" } }
  )pb");
  EXPECT_TRUE(InvalidArgument(Decide(delegation, For(soder), At(stream, 8), ctx_),
                              "delegation_decision_recorded.delegation.decided_by_title"));
  auto decision = Parse<CorrectFactRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" corrects_version: 8
           reason: "Fel" board_decision_recorded { decision {)pb",
      kSoderDecision, "}}"));
  decision.mutable_board_decision_recorded()->mutable_decision()->clear_justering();
  EXPECT_TRUE(InvalidArgument(Decide(decision, For(soder), At(stream, 8), ctx_),
                              "board_decision_recorded.decision.justering.kind"));
}

TEST_F(ResponsesDomainTest, CorrectFactNeedsAnEventAtThatVersion) {
  std::vector<ResponseEvent> stream = SoderAttestedStream();
  Response soder = Given(terms_, kSoder, stream);
  auto cmd = CorrectSoderRegistration();
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), nullptr, ctx_), absl::StatusCode::kNotFound,
                      "corrects_version"));
  cmd.set_corrects_version(0);
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 1), ctx_), absl::StatusCode::kNotFound,
                      "corrects_version"));
  cmd.set_corrects_version(42);
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 42), ctx_), absl::StatusCode::kNotFound,
                      "corrects_version", "42"));
}

TEST_F(ResponsesDomainTest, CorrectFactReplacesOnlyACorrectableFactOfTheSameKind) {
  std::vector<ResponseEvent> stream = SoderSubmittedStream();
  ResponseEvent correction = Ev(R"pb(fact_corrected {
                                       referral_id: "ks-2019-1939"
                                       org_id: "sodermalm-sdn"
                                       corrects_version: 1
                                       reason: "Fel diarienummer"
                                       registered {
                                         diary_number: "SÖ 2020/1052"
                                         registered_on: "2020-12-03"
                                       }
                                     })pb");
  stream.push_back(correction);                                             // version 12
  stream.push_back(Ev(R"pb(response_supplemented { text: "Tillägg" })pb"));  // version 13
  Response soder = Given(terms_, kSoder, stream);
  auto cmd = CorrectSoderRegistration();
  cmd.set_corrects_version(11);
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 11), ctx_),
                      absl::StatusCode::kFailedPrecondition, "corrects_version",
                      "ResponseSubmitted, which cannot be corrected"));
  cmd.set_corrects_version(12);
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 12), ctx_),
                      absl::StatusCode::kFailedPrecondition, "corrects_version",
                      "FactCorrected, which cannot be corrected"));
  cmd.set_corrects_version(13);
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 13), ctx_),
                      absl::StatusCode::kFailedPrecondition, "corrects_version",
                      "ResponseSupplemented"));
  // A registration cannot replace a case officer.
  cmd.set_corrects_version(2);
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 2), ctx_),
                      absl::StatusCode::kFailedPrecondition, "corrects_version",
                      "CaseOfficerAssigned, but the replacement is ResponseRegistered"));
  // The original registration can be corrected again.
  cmd.set_corrects_version(1);
  cmd.mutable_registered()->set_diary_number("SÖ 2020/1053");
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), At(stream, 1), ctx_)));
}

TEST_F(ResponsesDomainTest, ASupersededDraftIsNoLongerCorrected) {
  std::vector<ResponseEvent> stream = SoderAttestedStream();
  Response soder = Given(terms_, kSoder, stream);
  auto cmd = Parse<CorrectFactRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" corrects_version: 6
           reason: "Stavfel" statement_drafted { statement {)pb",
      kSoderFirstDraft, "}}"));
  EXPECT_TRUE(Refused(Decide(cmd, For(soder), At(stream, 6), ctx_),
                      absl::StatusCode::kFailedPrecondition, "corrects_version",
                      "superseded by version 7"));
  cmd.set_corrects_version(7);
  EXPECT_TRUE(OneEvent(Decide(cmd, For(soder), At(stream, 7), ctx_)));
  // Attestations of a superseded draft no longer count either.
  stream.push_back(SoderDrafted(kSoderFirstDraft));  // version 10
  soder = Given(terms_, kSoder, stream);
  auto attestation = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 8
    reason: "Fel datum"
    statement_attested {
      attestation { name: "Ann-Christine Jenvén" title: "Stadsdelsdirektör" date: "2021-02-06" }
    }
  )pb");
  EXPECT_TRUE(Refused(Decide(attestation, For(soder), At(stream, 8), ctx_),
                      absl::StatusCode::kFailedPrecondition, "corrects_version",
                      "no longer counts"));
}

TEST_F(ResponsesDomainTest, CorrectionsAreAllowedInAnyStageAndRoundState) {
  std::vector<ResponseEvent> stream = {SoderRegistered(), SoderDeclined()};
  RoundTermsRecorded withdrawn = TermsAfter({Withdrawn()});
  Response soder = Given(withdrawn, kSoder, stream);
  EXPECT_TRUE(OneEvent(
      Decide(CorrectSoderRegistration(), Subject{&withdrawn, &soder}, At(stream, 1), ctx_)));
}

// ======================= Evolve =======================

TEST_F(ResponsesDomainTest, SodermalmsAnswerFromRegistrationToSubmission) {
  Response state = ApplyTerms(terms_, kSoder, nullptr);
  std::vector<ResponseEvent> stream = SoderSubmittedStream();
  const std::vector<remiss::v1::ResponseStage> stages = {
      remiss::v1::RESPONSE_STAGE_REGISTERED,     remiss::v1::RESPONSE_STAGE_IN_PREPARATION,
      remiss::v1::RESPONSE_STAGE_IN_PREPARATION, remiss::v1::RESPONSE_STAGE_IN_PREPARATION,
      remiss::v1::RESPONSE_STAGE_IN_PREPARATION, remiss::v1::RESPONSE_STAGE_DRAFTED,
      remiss::v1::RESPONSE_STAGE_DRAFTED,        remiss::v1::RESPONSE_STAGE_ATTESTED,
      remiss::v1::RESPONSE_STAGE_ATTESTED,       remiss::v1::RESPONSE_STAGE_DECIDED,
      remiss::v1::RESPONSE_STAGE_SUBMITTED};
  ASSERT_EQ(stream.size(), stages.size());
  for (size_t i = 0; i < stream.size(); ++i) {
    Evolve(state, stream[i], i + 1, kFirstRecorded + absl::Hours(static_cast<int64_t>(i)));
    EXPECT_EQ(state.stage(), stages[i]) << "after version " << i + 1;
    EXPECT_EQ(state.version(), i + 1);
  }
  EXPECT_TRUE(ProtoIs(state, Parse<Response>(absl::StrCat(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    case_number: "KS 2019/1939"
    title: "Stockholms stads trygghetsprogram 2020-2023"
    stated_deadline: "2021-02-26"
    round_state: ROUND_STATE_OPEN
    stage: RESPONSE_STAGE_SUBMITTED
    diary_number: "SÖ 2020/1051"
    registered_on: "2020-12-03"
    case_officer { name: "Christina Koistinen" phone: "0850830198" }
    consultations {
      recorded_version: 3
      consultation { body: CONSULTATION_BODY_FORVALTNINGSGRUPP date: "2021-02-15" }
    }
    consultations {
      recorded_version: 4
      consultation { body: CONSULTATION_BODY_PENSIONARSRAD date: "2021-02-15" }
    }
    consultations {
      recorded_version: 5
      consultation { body: CONSULTATION_BODY_FUNKTIONSHINDERRAD date: "2021-02-16" }
    }
    attestations {
      recorded_version: 8
      attestation { name: "Ann-Christine Jenvén" title: "Stadsdelsdirektör" date: "2021-02-05" }
    }
    attestations {
      recorded_version: 9
      attestation { name: "Maria Klemets Hellberg" title: "Avdelningschef" date: "2021-02-05" }
    }
    submitted_at { seconds: 1614245400 }
    submitted_documents {
      id: "tjansteutlatande"
      title: "Svar på remiss från kommunstyrelsen KS 2019/1939"
      uri: "diarium://so/2020/1051/1"
    }
    version: 11
    registered_version: 1
    case_officer_version: 2
    statement_version: 7
    decision_version: 10
    statement {)pb",
                                                          kSoderStatement,
                                                          "} decision {", kSoderDecision, "}"))));
}

TEST_F(ResponsesDomainTest, ANewDraftAfterAttestationGoesBackToDraftedWithoutAttestations) {
  Response state = Given(terms_, kSoder, SoderAttestedStream());
  ASSERT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_ATTESTED);
  ASSERT_EQ(state.attestations_size(), 2);
  Evolve(state, SoderDrafted(kSoderFirstDraft), 10, kFirstRecorded);
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_DRAFTED);
  EXPECT_EQ(state.attestations_size(), 0);
  EXPECT_EQ(state.statement_version(), 10u);
  EXPECT_EQ(state.statement().summary(),
            "Förvaltningen ställer sig positiv till Stockholms stads trygghetsprogram 2020-2023.");
  // Attested again.
  Evolve(state, JenvenAttested(), 11, kFirstRecorded);
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_ATTESTED);
  ASSERT_EQ(state.attestations_size(), 1);
  EXPECT_EQ(state.attestations(0).recorded_version(), 11u);
}

TEST_F(ResponsesDomainTest, TheStageOnlyMovesForward) {
  // An officer, or a consultation, after the draft keeps the response drafted.
  Response state = Given(terms_, kSoder, {SoderRegistered(), SoderDrafted()});
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_DRAFTED);
  Evolve(state, SoderOfficer(), 3, kFirstRecorded);
  Evolve(state, SoderConsultations()[0], 4, kFirstRecorded);
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_DRAFTED);
  // A reassignment after the decision keeps it decided.
  Response bromma = Given(terms_, kBromma, {BrommaRegistered(), BrommaDrafted(), BrommaDecided()});
  Evolve(bromma, Ev(R"pb(case_officer_assigned { officer { name: "Anna Andersson" } })pb"), 4,
         kFirstRecorded);
  EXPECT_EQ(bromma.stage(), remiss::v1::RESPONSE_STAGE_DECIDED);
  EXPECT_EQ(bromma.case_officer_version(), 4u);
  // A supplement keeps it submitted.
  Response submitted = Given(terms_, kSoder, SoderSubmittedStream());
  Evolve(submitted, Ev(R"pb(response_supplemented {
                              text: "Tillägg"
                              supplemented_at { seconds: 1614600000 }
                            })pb"),
         12, kFirstRecorded);
  EXPECT_EQ(submitted.stage(), remiss::v1::RESPONSE_STAGE_SUBMITTED);
  ASSERT_EQ(submitted.supplements_size(), 1);
  EXPECT_EQ(submitted.supplements(0).recorded_version(), 12u);
  EXPECT_EQ(submitted.supplements(0).text(), "Tillägg");
  EXPECT_EQ(submitted.supplements(0).supplemented_at().seconds(), 1614600000);
}

TEST_F(ResponsesDomainTest, BrommasDecisionIsRecordedInFull) {
  Response bromma = Given(terms_, kBromma, {BrommaRegistered(), BrommaDrafted(), BrommaDecided()});
  EXPECT_EQ(bromma.stage(), remiss::v1::RESPONSE_STAGE_DECIDED);
  EXPECT_EQ(bromma.decision_version(), 3u);
  EXPECT_EQ(bromma.decision().paragraph(), "§ 5");
  EXPECT_EQ(bromma.decision().winning_proposal(), "forvaltningen");
  ASSERT_EQ(bromma.decision().reservations_size(), 1);
  EXPECT_EQ(bromma.decision().reservations(0).parties(0), "S");
  ASSERT_EQ(bromma.decision().special_statements_size(), 3);
  EXPECT_EQ(bromma.decision().special_statements(0).parties_size(), 4);
  EXPECT_EQ(bromma.decision().special_statements(1).parties(0), "V");
  EXPECT_EQ(bromma.decision().special_statements(2).parties(0), "SD");
  EXPECT_EQ(bromma.decision().justering().kind(), remiss::v1::JUSTERING_KIND_ON_DATE);
  EXPECT_EQ(bromma.decision().documents_size(), 2);
}

TEST_F(ResponsesDomainTest, DeclinedRecordsTheReason) {
  Response state = Given(terms_, kSoder, {SoderRegistered(), SoderDeclined()});
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_DECLINED);
  EXPECT_EQ(state.decline_reason(), "Nämnden avstår från att yttra sig.");
  EXPECT_EQ(state.declined_at().seconds(), 1614245400);
  EXPECT_EQ(state.version(), 2u);
}

TEST_F(ResponsesDomainTest, TimestampsFallBackToTheRecordingTime) {
  Response state = Given(terms_, kSoder, SoderDecidedStream());
  absl::Time at = Utc(2021, 2, 25, 15, 0);
  Evolve(state, Ev(R"pb(response_submitted { referral_id: "ks-2019-1939" })pb"), 11, at);
  EXPECT_EQ(state.submitted_at().seconds(), absl::ToUnixSeconds(at));
}

TEST_F(ResponsesDomainTest, RoundTermsAreNotTheResponsesBusiness) {
  Response state = Given(terms_, kSoder, SoderRegisteredStream());
  Response before = state;
  ResponseEvent terms;
  *terms.mutable_round_terms_recorded() = TermsAfter({Closed()});
  Evolve(state, terms, 2, kFirstRecorded);
  EXPECT_TRUE(ProtoIs(state, before));
}

TEST_F(ResponsesDomainTest, ACorrectionReplacesTheFactAndKeepsTheHistory) {
  std::vector<ResponseEvent> stream = SoderSubmittedStream();
  Response state = Given(terms_, kSoder, stream);
  auto apply = [&](const CorrectFactRequest& cmd) {
    absl::StatusOr<Events> got =
        Decide(cmd, For(state), At(stream, cmd.corrects_version()), ctx_);
    ASSERT_TRUE(OneEvent(got));
    stream.push_back((*got)[0]);
    Evolve(state, (*got)[0], stream.size(), kFirstRecorded);
  };
  apply(CorrectSoderRegistration());  // version 12
  EXPECT_EQ(state.diary_number(), "SÖ 2020/1052");
  EXPECT_EQ(state.registered_version(), 1u);  // a later correction still names the original
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_SUBMITTED);
  EXPECT_EQ(state.version(), 12u);

  apply(Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 4
    reason: "Pensionärsrådet sammanträdde den 16 februari"
    consultation_recorded {
      consultation { body: CONSULTATION_BODY_PENSIONARSRAD date: "2021-02-16" }
    }
  )pb"));  // version 13
  ASSERT_EQ(state.consultations_size(), 3);
  EXPECT_EQ(state.consultations(0).consultation().date(), "2021-02-15");
  EXPECT_EQ(state.consultations(1).recorded_version(), 4u);
  EXPECT_EQ(state.consultations(1).consultation().date(), "2021-02-16");

  apply(Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 8
    reason: "Fel datum"
    statement_attested {
      attestation { name: "Ann-Christine Jenvén" title: "Stadsdelsdirektör" date: "2021-02-04" }
    }
  )pb"));  // version 14
  ASSERT_EQ(state.attestations_size(), 2);
  EXPECT_EQ(state.attestations(0).attestation().date(), "2021-02-04");
  EXPECT_EQ(state.attestations(1).attestation().date(), "2021-02-05");

  apply(Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 2
    reason: "Telefonnummer"
    case_officer_assigned { officer { name: "Christina Koistinen" phone: "08-508 301 98" } }
  )pb"));  // version 15
  EXPECT_EQ(state.case_officer().phone(), "08-508 301 98");
  EXPECT_EQ(state.case_officer_version(), 2u);

  CorrectFactRequest statement = Parse<CorrectFactRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" corrects_version: 7
           reason: "Stavfel" statement_drafted { statement {)pb",
      kSoderStatement, "}}"));
  statement.mutable_statement_drafted()->mutable_statement()->set_views("Rättad text.");
  apply(statement);  // version 16
  EXPECT_EQ(state.statement().views(), "Rättad text.");
  EXPECT_EQ(state.attestations_size(), 2);  // a correction is no new draft

  CorrectFactRequest decision = Parse<CorrectFactRequest>(absl::StrCat(
      R"pb(referral_id: "ks-2019-1939" org_id: "sodermalm-sdn" corrects_version: 10
           reason: "Fel paragraf" board_decision_recorded { decision {)pb",
      kSoderDecision, "}}"));
  decision.mutable_board_decision_recorded()->mutable_decision()->set_paragraph("§ 13");
  apply(decision);  // version 17
  EXPECT_EQ(state.decision().paragraph(), "§ 13");
  EXPECT_EQ(state.decision_version(), 10u);

  apply(CorrectSoderRegistration());  // version 18: the original corrected once more
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_SUBMITTED);
  EXPECT_EQ(state.version(), 18u);
  std::vector<std::string> facts;
  for (const auto& c : state.corrections()) {
    facts.push_back(absl::StrCat(c.recorded_version(), ":", c.corrects_version(), ":", c.fact()));
  }
  EXPECT_THAT(facts, ::testing::ElementsAre(
                         "12:1:ResponseRegistered", "13:4:ConsultationRecorded",
                         "14:8:StatementAttested", "15:2:CaseOfficerAssigned",
                         "16:7:StatementDrafted", "17:10:BoardDecisionRecorded",
                         "18:1:ResponseRegistered"));
  EXPECT_EQ(state.corrections(0).reason(), "Fel diarienummer");
}

TEST_F(ResponsesDomainTest, ADelegationDecisionIsCorrectedInPlace) {
  std::vector<ResponseEvent> stream = Concat(
      SoderAttestedStream(), {Ev(R"pb(delegation_decision_recorded {
                                        referral_id: "ks-2019-1939"
                                        org_id: "sodermalm-sdn"
                                        delegation {
                                          decided_by_name: "Ann-Christine Jenvén"
                                          decided_by_title: "Stadsdelsdirektör"
                                          date: "2021-02-25"
                                          decision_text: "Överlämnas."
                                        }
                                      })pb")});
  Response state = Given(terms_, kSoder, stream);
  EXPECT_EQ(state.delegation_version(), 10u);
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_DECIDED);
  auto cmd = Parse<CorrectFactRequest>(R"pb(
    referral_id: "ks-2019-1939"
    org_id: "sodermalm-sdn"
    corrects_version: 10
    reason: "Datum"
    delegation_decision_recorded {
      delegation {
        decided_by_name: "Ann-Christine Jenvén"
        decided_by_title: "Stadsdelsdirektör"
        date: "2021-02-24"
        decision_text: "Överlämnas."
      }
    }
  )pb");
  absl::StatusOr<Events> got = Decide(cmd, For(state), At(stream, 10), ctx_);
  ASSERT_TRUE(OneEvent(got));
  Evolve(state, (*got)[0], 11, kFirstRecorded);
  EXPECT_EQ(state.delegation().date(), "2021-02-24");
  EXPECT_EQ(state.delegation_version(), 10u);
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_DECIDED);
  ASSERT_EQ(state.corrections_size(), 1);
  EXPECT_EQ(state.corrections(0).fact(), "DelegationDecisionRecorded");
}

// ======================= the whole walk, through Decide and Evolve =======================

TEST_F(ResponsesDomainTest, BrommaFromTheIssueToSubmission) {
  std::optional<RoundTermsRecorded> terms = NextTerms(nullptr, Issued(), kIssuedAt);
  ASSERT_TRUE(terms.has_value());
  Response state = ApplyTerms(*terms, kBromma, nullptr);
  Subject subject{&*terms, &state};
  uint64_t version = 0;
  auto step = [&](const absl::StatusOr<Events>& got) {
    ASSERT_TRUE(OneEvent(got));
    Evolve(state, (*got)[0], ++version, ctx_.now);
  };
  auto with_ids = [](auto cmd) {
    cmd.set_referral_id(std::string(kRound));
    cmd.set_org_id(std::string(kBromma));
    return cmd;
  };
  auto registration = with_ids(RegisterSoder());
  registration.set_diary_number("BRO 2020/440");
  step(Decide(registration, subject, ctx_));
  step(Decide(with_ids(RecordSoderStatement()), subject, ctx_));
  step(Decide(DecideBromma(), subject, ctx_));
  // The round's deadline moves while Bromma works; its row follows.
  terms = NextTerms(&*terms, RefEv(R"pb(deadline_moved {
                                          referral_id: "ks-2019-1939"
                                          deadline: "2021-03-12"
                                        })pb"),
                    kIssuedAt + 1);
  ASSERT_TRUE(terms.has_value());
  state = ApplyTerms(*terms, kBromma, &state);
  EXPECT_EQ(state.stated_deadline(), "2021-03-12");
  step(Decide(with_ids(SubmitSoder()), subject, ctx_));
  EXPECT_EQ(state.stage(), remiss::v1::RESPONSE_STAGE_SUBMITTED);
  EXPECT_EQ(state.version(), 4u);
  EXPECT_EQ(state.decision().paragraph(), "§ 5");
  // Closed afterwards: the record stays, and only a correction can follow.
  terms = NextTerms(&*terms, Closed(), kIssuedAt + 2);
  ASSERT_TRUE(terms.has_value());
  state = ApplyTerms(*terms, kBromma, &state);
  EXPECT_EQ(state.round_state(), remiss::v1::ROUND_STATE_CLOSED);
  EXPECT_TRUE(Refused(Decide(with_ids(SupplementSoder()), subject, ctx_),
                      absl::StatusCode::kFailedPrecondition, "round_state", "closed"));
}

}  // namespace
}  // namespace remiss::responses
