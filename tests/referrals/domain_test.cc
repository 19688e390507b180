// The referrals domain, tested as given events -> when command -> then events or refusal.
// The data is the real round KS 2019/1939 "Stockholms stads trygghetsprogram 2020-2023" and
// its revision KS 2023/739 "Stockholms stads trygghetsprogram 2024-2027".
#include "remiss/referrals/domain.h"

#include <functional>
#include <initializer_list>
#include <set>
#include <string>
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

namespace remiss::referrals {
namespace {

using remiss::v1::AddAddresseeRequest;
using remiss::v1::AttachDocumentRequest;
using remiss::v1::CloseReferralRequest;
using remiss::v1::CreateReferralRequest;
using remiss::v1::IssueReferralRequest;
using remiss::v1::LinkRevisionRequest;
using remiss::v1::MoveDeadlineRequest;
using remiss::v1::Organization;
using remiss::v1::Referral;
using remiss::v1::ReferralEvent;
using remiss::v1::RegisterOrganizationRequest;
using remiss::v1::RemoveAddresseeRequest;
using remiss::v1::SetDeadlineRequest;
using remiss::v1::UpdateOrganizationRequest;
using remiss::v1::WithdrawReferralRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using remiss::testing::EventsAre;
using remiss::testing::InvalidArgument;
using remiss::testing::Refused;
using remiss::testing::SameProto;

constexpr absl::string_view kRound = "ks-2019-1939";
constexpr absl::string_view kRevision = "ks-2023-739";
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

ReferralEvent Ev(absl::string_view text) { return Parse<ReferralEvent>(text); }

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

// ---- the seed data as events ----

ReferralEvent Drafted() {
  return Ev(R"pb(referral_drafted {
                   referral_id: "ks-2019-1939"
                   case_number: "KS 2019/1939"
                   title: "Stockholms stads trygghetsprogram 2020-2023"
                   summary: "Trygghets- och säkerhetsprogrammet 2018-2021 har reviderats."
                   sender_org_id: "ks"
                   year: 2019
                 })pb");
}

ReferralEvent RevisionDrafted() {
  return Ev(R"pb(referral_drafted {
                   referral_id: "ks-2023-739"
                   case_number: "KS 2023/739"
                   title: "Stockholms stads trygghetsprogram 2024-2027"
                   sender_org_id: "ks"
                   year: 2023
                 })pb");
}

ReferralEvent DocumentAttached(absl::string_view doc_id, absl::string_view round = kRound) {
  return Ev(absl::Substitute(R"pb(document_attached {
                                    referral_id: "$0"
                                    document {
                                      id: "$1"
                                      title: "Stockholms stads trygghetsprogram 2020-2023"
                                      uri: "diarium://ks/2019/1939/$1"
                                      sha256: "$2"
                                    }
                                  })pb",
                             round, doc_id, kSha));
}

ReferralEvent DeadlineSet(absl::string_view date, absl::string_view round = kRound) {
  return Ev(absl::Substitute(
      R"pb(deadline_set { referral_id: "$0" deadline: "$1" working_day_rule: true })pb", round,
      date));
}

ReferralEvent AddresseeAdded(absl::string_view org, absl::string_view override_date = "",
                             absl::string_view round = kRound) {
  return Ev(absl::Substitute(R"pb(addressee_added {
                                    referral_id: "$0"
                                    addressee {
                                      org_id: "$1"
                                      deadline_override: "$2"
                                      answer: ANSWER_KIND_REQUIRED
                                    }
                                  })pb",
                             round, org, override_date));
}

ReferralEvent Issued() {
  return Ev(R"pb(referral_issued {
                   referral_id: "ks-2019-1939"
                   case_number: "KS 2019/1939"
                   title: "Stockholms stads trygghetsprogram 2020-2023"
                   sender_org_id: "ks"
                   deadline: "2021-02-26"
                   working_day_rule: true
                   addressees { org_id: "bromma-sdn" answer: ANSWER_KIND_REQUIRED }
                   addressees { org_id: "sodermalm-sdn" answer: ANSWER_KIND_REQUIRED }
                   addressees { org_id: "hasselby-vallingby-sdn" answer: ANSWER_KIND_REQUIRED }
                   addressees { org_id: "utbildningsnamnden" answer: ANSWER_KIND_REQUIRED }
                   issued_at { seconds: 1606383000 }  # 2020-11-26 09:30 UTC
                 })pb");
}

ReferralEvent Closed(absl::string_view round = kRound) {
  return Ev(absl::Substitute(
      R"pb(referral_closed { referral_id: "$0" reason: "Remisstiden har gått ut." })pb", round));
}

ReferralEvent Withdrawn(absl::string_view round = kRound) {
  return Ev(absl::Substitute(
      R"pb(referral_withdrawn { referral_id: "$0" reason: "Ersätts av nytt förslag." })pb",
      round));
}

// KS 2019/1939 as a draft with its document, its deadline 2021-02-26 and four addressees.
std::vector<ReferralEvent> SeedDraft() {
  return {Drafted(),
          DocumentAttached("bilaga-1"),
          DeadlineSet("2021-02-26"),
          AddresseeAdded("bromma-sdn"),
          AddresseeAdded("sodermalm-sdn"),
          AddresseeAdded("hasselby-vallingby-sdn"),
          AddresseeAdded("utbildningsnamnden")};
}

std::vector<ReferralEvent> SeedIssued() {
  std::vector<ReferralEvent> events = SeedDraft();
  events.push_back(Issued());
  return events;
}

std::vector<ReferralEvent> Plus(std::vector<ReferralEvent> events,
                                std::initializer_list<ReferralEvent> more) {
  events.insert(events.end(), more.begin(), more.end());
  return events;
}

const absl::Time kFirstRecorded = Utc(2020, 11, 20, 8, 0);

// Given: the round's state after `events`, recorded a minute apart from kFirstRecorded.
Referral Given(const std::vector<ReferralEvent>& events) {
  Referral state;
  absl::Time at = kFirstRecorded;
  for (const auto& e : events) {
    Evolve(state, e, at);
    at += absl::Minutes(1);
  }
  return state;
}

Organization GivenOrganization(const std::vector<ReferralEvent>& events) {
  Organization state;
  for (const auto& e : events) Evolve(state, e);
  return state;
}

class ReferralsDomainTest : public ::testing::Test {
 protected:
  // The decision context on `today` (at 09:30 UTC), over the registered organizations and
  // existing rounds of this fixture.
  DecisionContext On(absl::CivilDay today) {
    DecisionContext ctx;
    ctx.now = Utc(static_cast<int>(today.year()), today.month(), today.day(), 9, 30);
    ctx.today = today;
    ctx.organization_registered = [this](absl::string_view id) {
      return organizations_.count(std::string(id)) > 0;
    };
    ctx.referral_exists = [this](absl::string_view id) {
      return rounds_.count(std::string(id)) > 0;
    };
    return ctx;
  }

  std::set<std::string> organizations_ = {
      "ks",         "bromma-sdn",        "sodermalm-sdn", "hasselby-vallingby-sdn",
      "utbildningsnamnden", "kyrkogardsnamnden", "socialnamnden"};
  std::set<std::string> rounds_ = {"ks-2019-1939", "ks-2023-739"};
  // Autumn 2020: the 2020-2023 round is being prepared, its deadline 2021-02-26 ahead.
  DecisionContext ctx_ = On(absl::CivilDay(2020, 12, 1));
};

// ---- case numbers, ids, org ids, dates ----

TEST(CaseNumberTest, AcceptsCaseNumbersAsOrganizationsWriteThem) {
  for (absl::string_view good :
       {"KS 2019/1939", "KS 2023/739", "KS2019/1939", "N2015/06917/PUB", "Dnr 1.2.3-456/2020",
        "2019-001939", "BRO 2020/440", "Dnr HV 2020/786", "SÖ 2021/1", "ÅÄÖ 2021/1234567",
        "ks 2019/1939", "Fi2020/01234/S3", "RS 2020-0123", "Ju2021:7", "KS 2019/1939_a",
        "KS 19/1939", "7"}) {
    EXPECT_TRUE(ValidateCaseNumber("case_number", good).ok()) << good;
  }
  EXPECT_TRUE(ValidateCaseNumber("case_number", "KS 2019/" + std::string(56, '1')).ok());
}

TEST(CaseNumberTest, RefusesWhatNoDiaryWrites) {
  for (absl::string_view bad :
       {"", "   ", "KS", "Dnr HV", " KS 2019/1939", "KS 2019/1939 ", "KS 2019/1939\n",
        "KS 2019/1939;", "KS <2019>", "KS 2019/1939\t", "KS 2019\\1939", "KS \"2019\"",
        "KS 2019/1939\xe2\x80\xae", "€ 2019/1"}) {
    absl::Status s = ValidateCaseNumber("case_number", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "\"" << bad << "\"";
    EXPECT_TRUE(absl::StartsWith(s.message(), "case_number: ")) << s;
  }
  absl::Status too_long = ValidateCaseNumber("case_number", "KS 2019/" + std::string(57, '1'));
  EXPECT_THAT(std::string(too_long.message()), HasSubstr("at most 64 characters"));
}

TEST(CaseNumberTest, TheErrorNamesTheGivenFieldAndQuotesTheValueEscaped) {
  absl::Status s = ValidateCaseNumber("revises_case_number", "KS 2019/1939\x1b[31m");
  EXPECT_TRUE(absl::StartsWith(s.message(), "revises_case_number: ")) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("KS 2019/1939\\x1b[31m"));
  EXPECT_EQ(std::string(s.message()).find('\x1b'), std::string::npos);
}

TEST(ReferralIdTest, DerivesFromTheCaseNumber) {
  EXPECT_EQ(ReferralIdForCaseNumber("KS 2019/1939"), "ks-2019-1939");
  EXPECT_EQ(ReferralIdForCaseNumber("KS 2023/739"), "ks-2023-739");
  EXPECT_EQ(ReferralIdForCaseNumber("BRO 2020/440"), "bro-2020-440");
  EXPECT_EQ(ReferralIdForCaseNumber("SÖ 2021/5"), "sö-2021-5");
  EXPECT_EQ(ReferralIdForCaseNumber("ÅÄÖ 2021/5"), "åäö-2021-5");
}

TEST(ReferralIdTest, DerivesFromEveryRealFormat) {
  EXPECT_EQ(ReferralIdForCaseNumber("KS2019/1939"), "ks2019-1939");
  EXPECT_EQ(ReferralIdForCaseNumber("N2015/06917/PUB"), "n2015-06917-pub");
  EXPECT_EQ(ReferralIdForCaseNumber("Dnr 1.2.3-456/2020"), "dnr-1-2-3-456-2020");
  EXPECT_EQ(ReferralIdForCaseNumber("2019-001939"), "2019-001939");
  EXPECT_EQ(ReferralIdForCaseNumber("Dnr HV 2020/786"), "dnr-hv-2020-786");
  // Each run of punctuation is one '-', none at either end.
  EXPECT_EQ(ReferralIdForCaseNumber("(KS) 2019 // 1939."), "ks-2019-1939");
}

TEST(ReferralIdTest, AnIdIsItsOwnIdAndTheCaseNumberAnyCaseNamesIt) {
  for (absl::string_view case_number :
       {"KS 2019/1939", "KS2019/1939", "N2015/06917/PUB", "Dnr 1.2.3-456/2020", "2019-001939",
        "SÖ 2021/5"}) {
    const std::string id = ReferralIdForCaseNumber(case_number);
    EXPECT_EQ(ReferralIdForCaseNumber(id), id) << case_number;
    EXPECT_EQ(ReferralIdForCaseNumber(absl::AsciiStrToUpper(id)), id) << case_number;
    EXPECT_EQ(ReferralIdForCaseNumber(absl::AsciiStrToLower(case_number)), id) << case_number;
  }
}

TEST(RoundYearTest, TheFirstFourDigitGroupWithinRangeElseTheYearCreated) {
  const absl::CivilDay created(2024, 3, 1);
  EXPECT_EQ(RoundYear("KS 2019/1939", created), 2019);
  EXPECT_EQ(RoundYear("KS2019/1939", created), 2019);
  EXPECT_EQ(RoundYear("N2015/06917/PUB", created), 2015);
  EXPECT_EQ(RoundYear("Dnr 1.2.3-456/2020", created), 2020);
  EXPECT_EQ(RoundYear("2019-001939", created), 2019);
  EXPECT_EQ(RoundYear("KS 1234/2021", created), 2021);  // 1234 is no year
  EXPECT_EQ(RoundYear("KS 19/1939", created), 1939);
  EXPECT_EQ(RoundYear("KS 19/939", created), 2024);
  EXPECT_EQ(RoundYear("KS 201901/12345", created), 2024);
}

TEST(OrgIdTest, AcceptsSlugs) {
  for (absl::string_view good : {"ks", "bromma-sdn", "hasselby-vallingby-sdn",
                                 "utbildningsnamnden", "a1", "polisregion-stockholm"}) {
    EXPECT_TRUE(ValidateOrgId("org_id", good).ok()) << good;
  }
  EXPECT_TRUE(ValidateOrgId("org_id", std::string(64, 'a')).ok());
}

TEST(OrgIdTest, RefusesWhatIsNoSlug) {
  for (absl::string_view bad : {"", "k", "-ks", "ks-", "Bromma-sdn", "bromma sdn",
                                "bromma_sdn", "södermalm-sdn", "ks/1"}) {
    absl::Status s = ValidateOrgId("org_id", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "\"" << bad << "\"";
    EXPECT_TRUE(absl::StartsWith(s.message(), "org_id: ")) << s;
  }
  EXPECT_FALSE(ValidateOrgId("org_id", std::string(65, 'a')).ok());
  EXPECT_EQ(ValidateOrgId("sender_org_id", "").message(), "sender_org_id: is required");
}

TEST_F(ReferralsDomainTest, RefusesDatesThatAreNoCivilDates) {
  Referral state = Given({Drafted()});
  for (absl::string_view bad :
       {"2021-02-30", "2021-2-3", "", "26 februari 2021", "2021-02-26T23:59", "2021/02/26",
        "2021-13-01", "21-02-26"}) {
    SetDeadlineRequest cmd;
    cmd.set_referral_id(std::string(kRound));
    cmd.set_deadline(std::string(bad));
    EXPECT_TRUE(InvalidArgument(Decide(cmd, &state, ctx_), "deadline")) << "\"" << bad << "\"";
  }
}

// ---- organizations ----

constexpr absl::string_view kRegisterBromma = R"pb(
  org_id: "bromma-sdn"
  name: "Bromma stadsdelsnämnd"
  kind: ORGANIZATION_KIND_STADSDELSNAMND
  diary_prefix: "BRO"
)pb";

ReferralEvent BrommaRegistered() {
  return Ev(R"pb(organization_registered {
                   org_id: "bromma-sdn"
                   name: "Bromma stadsdelsnämnd"
                   kind: ORGANIZATION_KIND_STADSDELSNAMND
                   diary_prefix: "BRO"
                   may_send_rounds: false
                 })pb");
}

TEST(OrganizationTest, RegisterEmitsOrganizationRegistered) {
  auto cmd = Parse<RegisterOrganizationRequest>(kRegisterBromma);
  EXPECT_TRUE(EventsAre(Decide(cmd, nullptr), {BrommaRegistered()}));
}

TEST(OrganizationTest, RegisterWithoutDiaryPrefixOrWithSwedishLetters) {
  auto cmd = Parse<RegisterOrganizationRequest>(R"pb(
    org_id: "polisregion-stockholm"
    name: "Polisregion Stockholm"
    kind: ORGANIZATION_KIND_EXTERN
  )pb");
  EXPECT_TRUE(Decide(cmd, nullptr).ok());
  cmd.set_diary_prefix("SÖ");
  EXPECT_TRUE(Decide(cmd, nullptr).ok());
  cmd.set_diary_prefix("ÅÄÖABCDE");
  EXPECT_TRUE(Decide(cmd, nullptr).ok());
}

TEST(OrganizationTest, RegisterRefusesBadInput) {
  auto with = [](auto change) {
    auto cmd = Parse<RegisterOrganizationRequest>(kRegisterBromma);
    change(cmd);
    return Decide(cmd, nullptr);
  };
  using Cmd = RegisterOrganizationRequest;
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.clear_org_id(); }), "org_id", "required"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_org_id("Bromma"); }), "org_id"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.clear_name(); }), "name", "required"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_name("  "); }), "name", "required"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_name(std::string(201, 'x')); }), "name",
                              "200"));
  EXPECT_TRUE(with([](Cmd& c) { c.set_name(std::string(200, 'x')); }).ok());
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.clear_kind(); }), "kind"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_diary_prefix("BR0"); }), "diary_prefix"));
  EXPECT_TRUE(with([](Cmd& c) { c.set_diary_prefix("Fi"); }).ok());  // a ministry's: Fi2020/...
  EXPECT_TRUE(
      InvalidArgument(with([](Cmd& c) { c.set_diary_prefix("ABCDEFGHI"); }), "diary_prefix"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_diary_prefix("B-R"); }), "diary_prefix"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_diary_prefix("Dnr HV"); }), "diary_prefix"));
}

TEST(OrganizationTest, MinistriesRegionsAgenciesCompaniesAssociationsAndOthersRegister) {
  for (remiss::v1::OrganizationKind kind :
       {remiss::v1::ORGANIZATION_KIND_DEPARTEMENT, remiss::v1::ORGANIZATION_KIND_REGION,
        remiss::v1::ORGANIZATION_KIND_MYNDIGHET, remiss::v1::ORGANIZATION_KIND_BOLAG,
        remiss::v1::ORGANIZATION_KIND_FORENING, remiss::v1::ORGANIZATION_KIND_OVRIG}) {
    RegisterOrganizationRequest cmd;
    cmd.set_command_id(absl::StrCat("register-", static_cast<int>(kind)));
    cmd.set_org_id("fi");
    cmd.set_name("Finansdepartementet");
    cmd.set_kind(kind);
    cmd.set_diary_prefix("Fi");
    absl::StatusOr<Events> events = Decide(cmd, nullptr);
    ASSERT_TRUE(events.ok()) << events.status();
    EXPECT_EQ((*events)[0].organization_registered().kind(), kind);
  }
  RegisterOrganizationRequest unknown;
  unknown.set_command_id("register-unknown");
  unknown.set_org_id("fi");
  unknown.set_name("Finansdepartementet");
  unknown.set_kind(static_cast<remiss::v1::OrganizationKind>(13));
  EXPECT_TRUE(InvalidArgument(Decide(unknown, nullptr), "kind", "13"));
}

TEST(OrganizationTest, RegisterTwiceIsAlreadyExists) {
  Organization state = GivenOrganization({BrommaRegistered()});
  auto cmd = Parse<RegisterOrganizationRequest>(kRegisterBromma);
  EXPECT_TRUE(Refused(Decide(cmd, &state), absl::StatusCode::kAlreadyExists, "org_id",
                      "bromma-sdn"));
  // Bad input is reported before the conflict.
  cmd.clear_name();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &state), "name"));
}

TEST(OrganizationTest, UpdateEmitsTheCompleteNewDetails) {
  Organization state = GivenOrganization({BrommaRegistered()});
  auto cmd = Parse<UpdateOrganizationRequest>(R"pb(
    org_id: "bromma-sdn"
    name: "Bromma stadsdelsnämnd (Bromma stadsdelsförvaltning)"
    kind: ORGANIZATION_KIND_STADSDELSNAMND
    diary_prefix: "BRO"
  )pb");
  ReferralEvent updated = Ev(R"pb(organization_updated {
                                    org_id: "bromma-sdn"
                                    name: "Bromma stadsdelsnämnd (Bromma stadsdelsförvaltning)"
                                    kind: ORGANIZATION_KIND_STADSDELSNAMND
                                    diary_prefix: "BRO"
                                    may_send_rounds: false
                                  })pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, &state), {updated}));
  cmd.clear_diary_prefix();
  EXPECT_TRUE(Decide(cmd, &state).ok());
}

TEST(OrganizationTest, UpdateWithoutChangeEmitsNothing) {
  Organization state = GivenOrganization({BrommaRegistered()});
  auto cmd = Parse<UpdateOrganizationRequest>(kRegisterBromma);
  EXPECT_TRUE(EventsAre(Decide(cmd, &state), {}));
}

TEST(OrganizationTest, UpdateRefusals) {
  auto cmd = Parse<UpdateOrganizationRequest>(kRegisterBromma);
  EXPECT_TRUE(Refused(Decide(cmd, nullptr), absl::StatusCode::kNotFound, "org_id", "bromma-sdn"));
  Organization state = GivenOrganization({BrommaRegistered()});
  cmd.clear_kind();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &state), "kind"));
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr), "kind"));  // input before state
  cmd.set_kind(remiss::v1::ORGANIZATION_KIND_FACKNAMND);
  cmd.set_diary_prefix("BR0");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &state), "diary_prefix"));
}

TEST(OrganizationTest, EvolveFollowsRegisteredAndUpdated) {
  Organization state = GivenOrganization(
      {BrommaRegistered(), Ev(R"pb(organization_updated {
                                     org_id: "bromma-sdn"
                                     name: "Bromma stadsdelsnämnd"
                                     kind: ORGANIZATION_KIND_STADSDELSNAMND
                                     diary_prefix: "BROM"
                                   })pb")});
  EXPECT_EQ(state.org_id(), "bromma-sdn");
  EXPECT_EQ(state.name(), "Bromma stadsdelsnämnd");
  EXPECT_EQ(state.kind(), remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
  EXPECT_EQ(state.diary_prefix(), "BROM");
  EXPECT_EQ(state.version(), 2u);
}

// ---- who may act as ks: may_send_rounds (issue 25, finding 5) ----

TEST(SendersTest, RegisterRecordsWhetherTheOrganizationMaySendRounds) {
  auto cmd = Parse<RegisterOrganizationRequest>(R"pb(
    org_id: "ks" name: "Kommunstyrelsen" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
    diary_prefix: "KS" may_send_rounds: true
  )pb");
  absl::StatusOr<Events> events = Decide(cmd, nullptr);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_TRUE((*events)[0].organization_registered().has_may_send_rounds());
  EXPECT_TRUE((*events)[0].organization_registered().may_send_rounds());
  Organization state = GivenOrganization(*events);
  EXPECT_TRUE(MaySendRounds(&state));
  // A kommunstyrelse registered without it does not send rounds: the field decides, not the kind.
  cmd.set_may_send_rounds(false);
  events = Decide(cmd, nullptr);
  ASSERT_TRUE(events.ok());
  ASSERT_TRUE((*events)[0].organization_registered().has_may_send_rounds());
  state = GivenOrganization(*events);
  EXPECT_FALSE(MaySendRounds(&state));
  EXPECT_FALSE(MaySendRounds(nullptr));
}

TEST(SendersTest, EventsRecordedBeforeTheFieldMakeAKommunstyrelseASenderAndNoOneElse) {
  Organization ks = GivenOrganization({Ev(R"pb(organization_registered {
      org_id: "ks" name: "Kommunstyrelsen" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE })pb")});
  EXPECT_TRUE(ks.may_send_rounds());
  Organization bromma = GivenOrganization({Ev(R"pb(organization_registered {
      org_id: "bromma-sdn" name: "Bromma" kind: ORGANIZATION_KIND_STADSDELSNAMND })pb")});
  EXPECT_FALSE(bromma.may_send_rounds());
  // An old update follows the kind it names; a new one says it.
  Evolve(ks, Ev(R"pb(organization_updated {
      org_id: "ks" name: "KS" kind: ORGANIZATION_KIND_FACKNAMND })pb"));
  EXPECT_FALSE(ks.may_send_rounds());
  Evolve(bromma, Ev(R"pb(organization_updated {
      org_id: "bromma-sdn" name: "Bromma" kind: ORGANIZATION_KIND_STADSDELSNAMND
      may_send_rounds: true })pb"));
  EXPECT_TRUE(bromma.may_send_rounds());
}

TEST(SendersTest, AnUpdateKeepsMaySendRoundsUnlessItNamesIt) {
  Organization ks = GivenOrganization({Ev(R"pb(organization_registered {
      org_id: "ks" name: "Kommunstyrelsen" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
      diary_prefix: "KS" may_send_rounds: true })pb")});
  auto cmd = Parse<UpdateOrganizationRequest>(R"pb(
    org_id: "ks" name: "Kommunstyrelsen i Stockholm" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
    diary_prefix: "KS"
  )pb");
  absl::StatusOr<Events> events = Decide(cmd, &ks);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_TRUE((*events)[0].organization_updated().may_send_rounds());
  // Named and different: recorded even with the same details; named and the same: nothing.
  cmd.set_name("Kommunstyrelsen");
  cmd.set_may_send_rounds(true);
  EXPECT_TRUE(EventsAre(Decide(cmd, &ks), {}));
  cmd.set_may_send_rounds(false);
  events = Decide(cmd, &ks);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  Evolve(ks, (*events)[0]);
  EXPECT_FALSE(MaySendRounds(&ks));
}

// PERMISSION_DENIED, the message starting "role ks: " and holding `detail`.
::testing::AssertionResult KsDenied(const absl::Status& s, absl::string_view detail) {
  if (s.code() == absl::StatusCode::kPermissionDenied && absl::StartsWith(s.message(), "role ks: ") &&
      absl::StrContains(s.message(), detail)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << s << "; want PERMISSION_DENIED \"role ks: ...\" with " << detail;
}

TEST(SendersTest, AKsActsOnlyForARegisteredOrganizationThatMaySendRounds) {
  Organization ks = GivenOrganization({Ev(R"pb(organization_registered {
      org_id: "ks" name: "Kommunstyrelsen" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
      may_send_rounds: true })pb")});
  EXPECT_TRUE(CheckKsMaySendRounds("ks", &ks).ok());
  Organization bromma = GivenOrganization({BrommaRegistered()});
  EXPECT_TRUE(KsDenied(CheckKsMaySendRounds("bromma-sdn", &bromma),
                       "organization \"bromma-sdn\" may not send rounds"));
  EXPECT_TRUE(KsDenied(CheckKsMaySendRounds("evil", nullptr), "not registered"));
  EXPECT_TRUE(KsDenied(CheckKsMaySendRounds("", nullptr), "names none"));
}

TEST(SendersTest, TheFirstSenderMayOnlyBeTheCallersOwnOrganizationWhileThereIsNone) {
  auto cmd = Parse<RegisterOrganizationRequest>(R"pb(
    org_id: "ks" name: "Kommunstyrelsen" kind: ORGANIZATION_KIND_KOMMUNSTYRELSE
    may_send_rounds: true
  )pb");
  EXPECT_TRUE(IsFirstSenderRegistration(cmd, "ks", /*any_sender=*/false));
  EXPECT_FALSE(IsFirstSenderRegistration(cmd, "ks", /*any_sender=*/true));
  EXPECT_FALSE(IsFirstSenderRegistration(cmd, "bromma-sdn", false));  // another's
  EXPECT_FALSE(IsFirstSenderRegistration(cmd, "", false));
  cmd.set_may_send_rounds(false);  // not as a sender: then the usual rule
  EXPECT_FALSE(IsFirstSenderRegistration(cmd, "ks", false));
}

// ---- CreateReferral ----

constexpr absl::string_view kCreateSeed = R"pb(
  case_number: "KS 2019/1939"
  title: "Stockholms stads trygghetsprogram 2020-2023"
  summary: "Trygghets- och säkerhetsprogrammet 2018-2021 har reviderats."
  sender_org_id: "ks"
)pb";

TEST_F(ReferralsDomainTest, CreateDraftsTheRound) {
  auto cmd = Parse<CreateReferralRequest>(kCreateSeed);
  EXPECT_TRUE(EventsAre(Decide(cmd, nullptr, ctx_), {Drafted()}));
}

TEST_F(ReferralsDomainTest, CreateTheRevisionWithAContact) {
  auto cmd = Parse<CreateReferralRequest>(R"pb(
    case_number: "KS 2023/739"
    title: "Stockholms stads trygghetsprogram 2024-2027"
    sender_org_id: "ks"
    contact { name: "Registrator" email: "registrator@stockholm.se" phone: "08-508 29 000" }
  )pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, nullptr, On(absl::CivilDay(2023, 11, 1))),
                        {Ev(R"pb(referral_drafted {
                                   referral_id: "ks-2023-739"
                                   case_number: "KS 2023/739"
                                   title: "Stockholms stads trygghetsprogram 2024-2027"
                                   sender_org_id: "ks"
                                   contact {
                                     name: "Registrator"
                                     email: "registrator@stockholm.se"
                                     phone: "08-508 29 000"
                                   }
                                   year: 2023
                                 })pb")}));
}

TEST_F(ReferralsDomainTest, CreateRefusesBadInput) {
  auto with = [&](auto change) {
    auto cmd = Parse<CreateReferralRequest>(kCreateSeed);
    change(cmd);
    return Decide(cmd, nullptr, ctx_);
  };
  using Cmd = CreateReferralRequest;
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_case_number("KS 2019/1939;"); }),
                              "case_number", "KS 2019/1939"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_case_number("Dnr KS"); }), "case_number",
                              "digit"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.clear_case_number(); }), "case_number"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.clear_title(); }), "title", "is required"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_title(" \t"); }), "title", "is required"));
  EXPECT_TRUE(
      InvalidArgument(with([](Cmd& c) { c.set_title(std::string(301, 'x')); }), "title", "300"));
  EXPECT_TRUE(with([](Cmd& c) { c.set_title(std::string(300, 'x')); }).ok());
  // Characters, not bytes: 300 × "ö" is 600 bytes and still fits.
  std::string three_hundred_o;
  for (int i = 0; i < 300; ++i) three_hundred_o += "ö";
  EXPECT_TRUE(with([&](Cmd& c) { c.set_title(three_hundred_o); }).ok());
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) { c.set_summary(std::string(20001, 'x')); }),
                              "summary", "20000"));
  EXPECT_TRUE(with([](Cmd& c) { c.clear_summary(); }).ok());
  EXPECT_TRUE(
      InvalidArgument(with([](Cmd& c) { c.clear_sender_org_id(); }), "sender_org_id", "required"));
  EXPECT_TRUE(
      InvalidArgument(with([](Cmd& c) { c.set_sender_org_id("KS"); }), "sender_org_id"));
  EXPECT_TRUE(InvalidArgument(
      with([](Cmd& c) { c.mutable_contact()->set_name(std::string(201, 'x')); }), "contact.name"));
  EXPECT_TRUE(InvalidArgument(
      with([](Cmd& c) { c.mutable_contact()->set_email("registrator.stockholm.se"); }),
      "contact.email", "@"));
  EXPECT_TRUE(InvalidArgument(with([](Cmd& c) {
                                c.mutable_contact()->set_email(std::string(190, 'x') +
                                                               "@stockholm.se");
                              }),
                              "contact.email", "200"));
  EXPECT_TRUE(InvalidArgument(
      with([](Cmd& c) { c.mutable_contact()->set_phone(std::string(31, '0')); }), "contact.phone",
      "5-30"));
  EXPECT_TRUE(with([](Cmd& c) { c.mutable_contact()->set_phone(std::string(30, '0')); }).ok());
}

TEST_F(ReferralsDomainTest, CreateAcceptsEveryRealCaseNumberFormatAndDerivesItsIdAndYear) {
  struct Want {
    absl::string_view case_number, id;
    int year;
  };
  for (const Want& want : {Want{"KS 2019/1939", "ks-2019-1939", 2019},
                           Want{"KS2019/1939", "ks2019-1939", 2019},
                           Want{"N2015/06917/PUB", "n2015-06917-pub", 2015},
                           Want{"Dnr 1.2.3-456/2020", "dnr-1-2-3-456-2020", 2020},
                           Want{"2019-001939", "2019-001939", 2019},
                           Want{"RS 19/123", "rs-19-123", 2020}}) {
    auto cmd = Parse<CreateReferralRequest>(kCreateSeed);
    cmd.set_command_id(absl::StrCat("create-", want.id));
    cmd.set_case_number(std::string(want.case_number));
    absl::StatusOr<Events> events = Decide(cmd, nullptr, ctx_);  // ctx_ is 2020-12-01
    ASSERT_TRUE(events.ok()) << want.case_number << ": " << events.status();
    ASSERT_EQ(events->size(), 1u);
    const auto& drafted = (*events)[0].referral_drafted();
    EXPECT_EQ(drafted.referral_id(), want.id);
    EXPECT_EQ(drafted.case_number(), want.case_number);
    EXPECT_EQ(drafted.year(), want.year) << want.case_number;
    Referral state = Given(*events);
    EXPECT_EQ(state.year(), want.year);
  }
}

TEST_F(ReferralsDomainTest, CreateWithACaseNumberDifferingOnlyInPunctuationIsRefused) {
  Referral state = Given({Drafted()});  // KS 2019/1939, id ks-2019-1939
  for (absl::string_view other : {"KS 2019-1939", "ks 2019/1939", "KS-2019-1939", "KS 2019.1939"}) {
    auto cmd = Parse<CreateReferralRequest>(kCreateSeed);
    cmd.set_command_id(absl::StrCat("create-collision-", other));
    cmd.set_case_number(std::string(other));
    ASSERT_EQ(ReferralIdForCaseNumber(other), "ks-2019-1939");
    EXPECT_TRUE(Refused(Decide(cmd, &state, ctx_), absl::StatusCode::kAlreadyExists,
                        "case_number", "round with case number \"KS 2019/1939\""))
        << other;
  }
}

TEST(EvolveTest, AnOlderDraftWithoutAYearGetsItFromTheCaseNumberOrTheRecording) {
  Referral with_year;
  Evolve(with_year, Ev(R"pb(referral_drafted { referral_id: "ks-2019-1939" case_number: "KS 2019/1939" })pb"),
         Utc(2020, 1, 2));
  EXPECT_EQ(with_year.year(), 2019);
  Referral without;
  Evolve(without, Ev(R"pb(referral_drafted { referral_id: "ks-19-1" case_number: "KS 19/1" })pb"),
         Utc(2020, 12, 31, 23, 30));  // already 2021 in Stockholm
  EXPECT_EQ(without.year(), 2021);
}

TEST_F(ReferralsDomainTest, AnyRegisteredOrganizationSendsARoundAMinistryToo) {
  organizations_.insert("fi");  // Finansdepartementet, ORGANIZATION_KIND_DEPARTEMENT
  auto cmd = Parse<CreateReferralRequest>(R"pb(
    command_id: "create-fi-2020-01234"
    case_number: "Fi2020/01234/S3"
    title: "Remiss av promemorian Ändrade regler"
    sender_org_id: "fi"
  )pb");
  EXPECT_TRUE(EventsAre(Decide(cmd, nullptr, ctx_), {Ev(R"pb(referral_drafted {
                                                             referral_id: "fi2020-01234-s3"
                                                             case_number: "Fi2020/01234/S3"
                                                             title: "Remiss av promemorian Ändrade regler"
                                                             sender_org_id: "fi"
                                                             year: 2020
                                                           })pb")}));
}

TEST_F(ReferralsDomainTest, CreateNeedsARegisteredSender) {
  auto cmd = Parse<CreateReferralRequest>(kCreateSeed);
  cmd.set_sender_org_id("stadsledningskontoret");
  EXPECT_TRUE(Refused(Decide(cmd, nullptr, ctx_), absl::StatusCode::kNotFound, "sender_org_id",
                      "stadsledningskontoret"));
}

TEST_F(ReferralsDomainTest, CreateTwiceIsAlreadyExists) {
  Referral state = Given({Drafted()});
  auto cmd = Parse<CreateReferralRequest>(kCreateSeed);
  EXPECT_TRUE(Refused(Decide(cmd, &state, ctx_), absl::StatusCode::kAlreadyExists, "case_number",
                      "ks-2019-1939"));
  cmd.clear_title();  // bad input is reported before the conflict
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &state, ctx_), "title"));
}

// ---- every command on a round ----

// Every command addressed to an existing round, well-formed, for the given round id.
std::vector<std::function<absl::StatusOr<Events>(const Referral*, const DecisionContext&)>>
CommandsOnRound(absl::string_view round) {
  std::string id(round);
  return {
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<AttachDocumentRequest>(absl::Substitute(
            R"pb(document { id: "bilaga-2" title: "Bilaga" uri: "diarium://x" sha256: "$0" })pb",
            kSha));
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<AddAddresseeRequest>(R"pb(org_id: "socialnamnden")pb");
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<RemoveAddresseeRequest>(R"pb(org_id: "bromma-sdn" reason: "Fel")pb");
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<SetDeadlineRequest>(R"pb(deadline: "2021-03-12")pb");
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        IssueReferralRequest cmd;
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<MoveDeadlineRequest>(R"pb(deadline: "2021-03-12")pb");
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        CloseReferralRequest cmd;
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<WithdrawReferralRequest>(R"pb(reason: "Ersätts")pb");
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
      [id](const Referral* s, const DecisionContext& c) {
        auto cmd = Parse<LinkRevisionRequest>(R"pb(revises_referral_id: "ks-2023-739")pb");
        cmd.set_referral_id(id);
        return Decide(cmd, s, c);
      },
  };
}

TEST_F(ReferralsDomainTest, EveryCommandNeedsAnExistingRound) {
  int i = 0;
  for (const auto& command : CommandsOnRound("ks-2099-1")) {
    EXPECT_TRUE(Refused(command(nullptr, ctx_), absl::StatusCode::kNotFound, "referral_id",
                        "ks-2099-1"))
        << "command #" << i;
    ++i;
  }
}

TEST_F(ReferralsDomainTest, EveryCommandNeedsAReferralId) {
  Referral state = Given(SeedDraft());
  int i = 0;
  for (const auto& command : CommandsOnRound("")) {
    EXPECT_TRUE(InvalidArgument(command(&state, ctx_), "referral_id", "required"))
        << "command #" << i;
    ++i;
  }
}

TEST_F(ReferralsDomainTest, NoCommandIsAllowedOnAWithdrawnRound) {
  Referral state = Given(Plus(SeedIssued(), {Withdrawn()}));
  int i = 0;
  for (const auto& command : CommandsOnRound(kRound)) {
    EXPECT_TRUE(Refused(command(&state, ctx_), absl::StatusCode::kFailedPrecondition, "status",
                        "withdrawn"))
        << "command #" << i;
    ++i;
  }
}

// ---- AttachDocument ----

AttachDocumentRequest AttachBilaga(absl::string_view doc_id, absl::string_view sha = kSha) {
  return Parse<AttachDocumentRequest>(absl::Substitute(
      R"pb(
        referral_id: "ks-2019-1939"
        document {
          id: "$0"
          title: "Stockholms stads trygghetsprogram 2020-2023"
          uri: "diarium://ks/2019/1939/$0"
          sha256: "$1"
        }
      )pb",
      doc_id, sha));
}

TEST_F(ReferralsDomainTest, AttachDocumentToADraft) {
  Referral state = Given({Drafted()});
  EXPECT_TRUE(EventsAre(Decide(AttachBilaga("bilaga-1"), &state, ctx_),
                        {DocumentAttached("bilaga-1")}));
}

TEST_F(ReferralsDomainTest, AttachDocumentToAnIssuedRoundLowerCasesTheDigest) {
  Referral state = Given(SeedIssued());
  std::string upper = absl::AsciiStrToUpper(kSha);
  EXPECT_TRUE(EventsAre(Decide(AttachBilaga("bilaga-2", upper), &state, ctx_),
                        {DocumentAttached("bilaga-2")}));
}

TEST_F(ReferralsDomainTest, AttachDocumentRefusesBadInput) {
  Referral state = Given({Drafted()});
  auto with = [&](auto change) {
    auto cmd = AttachBilaga("bilaga-1");
    change(*cmd.mutable_document());
    return Decide(cmd, &state, ctx_);
  };
  using Doc = remiss::v1::Document;
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.clear_id(); }), "document.id", "required"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_id("bilaga 1"); }), "document.id"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_id("-bilaga"); }), "document.id"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_id(std::string(65, 'b')); }),
                              "document.id"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.clear_title(); }), "document.title"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_title(std::string(301, 't')); }),
                              "document.title"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.clear_uri(); }), "document.uri"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_uri(std::string(2001, 'u')); }),
                              "document.uri"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.clear_sha256(); }), "document.sha256"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_sha256(std::string(kSha.substr(1))); }),
                              "document.sha256", "64"));
  EXPECT_TRUE(InvalidArgument(with([](Doc& d) { d.set_sha256(std::string(64, 'g')); }),
                              "document.sha256"));
  // Bad input before a missing round.
  auto cmd = AttachBilaga("bilaga-1");
  cmd.mutable_document()->clear_uri();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, ctx_), "document.uri"));
}

TEST_F(ReferralsDomainTest, AttachTheSameDocumentIdTwiceIsAlreadyExists) {
  Referral state = Given(SeedDraft());
  EXPECT_TRUE(Refused(Decide(AttachBilaga("bilaga-1"), &state, ctx_),
                      absl::StatusCode::kAlreadyExists, "document.id", "bilaga-1"));
}

TEST_F(ReferralsDomainTest, AttachAfterWithdrawOrCloseIsRefused) {
  Referral withdrawn = Given(Plus(SeedDraft(), {Withdrawn()}));
  EXPECT_TRUE(Refused(Decide(AttachBilaga("bilaga-2"), &withdrawn, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "withdrawn"));
  Referral closed = Given(Plus(SeedIssued(), {Closed()}));
  EXPECT_TRUE(Refused(Decide(AttachBilaga("bilaga-2"), &closed, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status",
                      "the round is closed; a document can be attached only while it is a "
                      "draft or issued"));
}

// ---- AddAddressee ----

AddAddresseeRequest AddAddressee(absl::string_view org, absl::string_view override_date = "") {
  AddAddresseeRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  cmd.set_org_id(std::string(org));
  cmd.set_deadline_override(std::string(override_date));
  return cmd;
}

TEST_F(ReferralsDomainTest, AddAddresseeToADraftAsksForAnAnswerByDefault) {
  Referral state = Given({Drafted(), DeadlineSet("2021-02-26")});
  EXPECT_TRUE(EventsAre(Decide(AddAddressee("bromma-sdn"), &state, ctx_),
                        {AddresseeAdded("bromma-sdn")}));
}

TEST_F(ReferralsDomainTest, AddAddresseeForInformationWithItsOwnDeadline) {
  Referral state = Given({Drafted()});
  auto cmd = AddAddressee("socialnamnden", "2021-03-05");
  cmd.set_answer(remiss::v1::ANSWER_KIND_FOR_INFORMATION);
  EXPECT_TRUE(EventsAre(Decide(cmd, &state, ctx_), {Ev(R"pb(addressee_added {
                                                             referral_id: "ks-2019-1939"
                                                             addressee {
                                                               org_id: "socialnamnden"
                                                               deadline_override: "2021-03-05"
                                                               answer: ANSWER_KIND_FOR_INFORMATION
                                                             }
                                                           })pb")}));
}

TEST_F(ReferralsDomainTest, AddAddresseeToADraftMayCarryAPastOverrideUntilIssue) {
  Referral state = Given({Drafted()});
  EXPECT_TRUE(Decide(AddAddressee("socialnamnden", "2020-11-01"), &state, ctx_).ok());
}

TEST_F(ReferralsDomainTest, AddAddresseeToAnIssuedRound) {
  Referral state = Given(SeedIssued());
  EXPECT_TRUE(EventsAre(Decide(AddAddressee("socialnamnden"), &state, ctx_),
                        {AddresseeAdded("socialnamnden")}));
  EXPECT_TRUE(EventsAre(Decide(AddAddressee("socialnamnden", "2021-03-12"), &state, ctx_),
                        {AddresseeAdded("socialnamnden", "2021-03-12")}));
}

TEST_F(ReferralsDomainTest, AddAddresseeToAnIssuedRoundNeedsADeadlineAfterToday) {
  Referral state = Given(SeedIssued());
  // The override is the command's: INVALID_ARGUMENT.
  EXPECT_TRUE(InvalidArgument(Decide(AddAddressee("socialnamnden", "2020-12-01"), &state, ctx_),
                              "deadline_override",
                              "must be after today (2020-12-01 is not after 2020-12-01)"));
  // The round's deadline has passed: only an override can give the new addressee time.
  DecisionContext march = On(absl::CivilDay(2021, 3, 1));
  EXPECT_TRUE(Refused(Decide(AddAddressee("socialnamnden"), &state, march),
                      absl::StatusCode::kFailedPrecondition, "deadline", "2021-02-26"));
  EXPECT_TRUE(Decide(AddAddressee("socialnamnden", "2021-03-15"), &state, march).ok());
}

TEST_F(ReferralsDomainTest, AddAddresseeRefusals) {
  Referral state = Given(SeedDraft());
  EXPECT_TRUE(InvalidArgument(Decide(AddAddressee(""), &state, ctx_), "org_id", "required"));
  EXPECT_TRUE(InvalidArgument(Decide(AddAddressee("Socialnämnden"), &state, ctx_), "org_id"));
  EXPECT_TRUE(InvalidArgument(Decide(AddAddressee("socialnamnden", "2021-02-30"), &state, ctx_),
                              "deadline_override"));
  EXPECT_TRUE(InvalidArgument(Decide(AddAddressee("socialnamnden", "2021-2-3"), &state, ctx_),
                              "deadline_override"));
  auto bad_answer = AddAddressee("socialnamnden");
  bad_answer.set_answer(static_cast<remiss::v1::AnswerKind>(42));
  EXPECT_TRUE(InvalidArgument(Decide(bad_answer, &state, ctx_), "answer"));
  EXPECT_TRUE(Refused(Decide(AddAddressee("polisregion-stockholm"), &state, ctx_),
                      absl::StatusCode::kNotFound, "org_id", "polisregion-stockholm"));
  EXPECT_TRUE(Refused(Decide(AddAddressee("bromma-sdn"), &state, ctx_),
                      absl::StatusCode::kAlreadyExists, "org_id", "bromma-sdn"));
}

TEST_F(ReferralsDomainTest, AddAddresseeBeyondTheCapOfARoundIsRefused) {
  std::vector<ReferralEvent> events = {Drafted()};
  for (int i = 1; i < 1000; ++i) events.push_back(AddresseeAdded(absl::StrCat("org-", i)));
  Referral state = Given(events);
  auto add = AddAddressee("socialnamnden");
  add.set_command_id("add-the-1000th");
  EXPECT_TRUE(Decide(add, &state, ctx_).ok());
  state = Given(Plus(events, {AddresseeAdded("bromma-sdn")}));
  add.set_command_id("add-the-1001st");
  EXPECT_TRUE(InvalidArgument(Decide(add, &state, ctx_), "addressees", "at most 1000"));
}

TEST_F(ReferralsDomainTest, AddAddresseeAfterCloseOrWithdrawIsRefused) {
  Referral closed = Given(Plus(SeedIssued(), {Closed()}));
  EXPECT_TRUE(Refused(Decide(AddAddressee("socialnamnden"), &closed, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "closed"));
  Referral withdrawn = Given(Plus(SeedDraft(), {Withdrawn()}));
  EXPECT_TRUE(Refused(Decide(AddAddressee("socialnamnden"), &withdrawn, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "withdrawn"));
}

// ---- RemoveAddressee ----

RemoveAddresseeRequest RemoveAddressee(absl::string_view org, absl::string_view reason = "") {
  RemoveAddresseeRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  cmd.set_org_id(std::string(org));
  cmd.set_reason(std::string(reason));
  return cmd;
}

TEST_F(ReferralsDomainTest, RemoveAddresseeFromADraftWithoutReason) {
  Referral state = Given(SeedDraft());
  EXPECT_TRUE(EventsAre(Decide(RemoveAddressee("utbildningsnamnden"), &state, ctx_),
                        {Ev(R"pb(addressee_removed {
                                   referral_id: "ks-2019-1939"
                                   org_id: "utbildningsnamnden"
                                 })pb")}));
}

TEST_F(ReferralsDomainTest, RemoveAddresseeFromAnIssuedRoundNeedsAReason) {
  Referral state = Given(SeedIssued());
  EXPECT_TRUE(InvalidArgument(Decide(RemoveAddressee("bromma-sdn"), &state, ctx_), "reason",
                              "required"));
  EXPECT_TRUE(EventsAre(
      Decide(RemoveAddressee("bromma-sdn", "Skickad av misstag."), &state, ctx_),
      {Ev(R"pb(addressee_removed {
                 referral_id: "ks-2019-1939"
                 org_id: "bromma-sdn"
                 reason: "Skickad av misstag."
               })pb")}));
}

TEST_F(ReferralsDomainTest, RemoveAddresseeRefusals) {
  Referral state = Given(SeedDraft());
  EXPECT_TRUE(InvalidArgument(Decide(RemoveAddressee(""), &state, ctx_), "org_id", "required"));
  EXPECT_TRUE(InvalidArgument(
      Decide(RemoveAddressee("bromma-sdn", std::string(4001, 'r')), &state, ctx_), "reason",
      "4000"));
  EXPECT_TRUE(Refused(Decide(RemoveAddressee("kyrkogardsnamnden"), &state, ctx_),
                      absl::StatusCode::kNotFound, "org_id", "kyrkogardsnamnden"));
  Referral closed = Given(Plus(SeedIssued(), {Closed()}));
  EXPECT_TRUE(Refused(Decide(RemoveAddressee("bromma-sdn", "Fel"), &closed, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "closed"));
}

// ---- SetDeadline ----

SetDeadlineRequest SetDeadline(absl::string_view date, bool working_day_rule = true) {
  SetDeadlineRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  cmd.set_deadline(std::string(date));
  cmd.set_working_day_rule(working_day_rule);
  return cmd;
}

TEST_F(ReferralsDomainTest, SetDeadlineOnADraft) {
  Referral state = Given({Drafted()});
  EXPECT_TRUE(EventsAre(Decide(SetDeadline("2021-02-26"), &state, ctx_),
                        {DeadlineSet("2021-02-26")}));
  EXPECT_TRUE(EventsAre(Decide(SetDeadline("2021-02-27", false), &state, ctx_),
                        {Ev(R"pb(deadline_set {
                                   referral_id: "ks-2019-1939"
                                   deadline: "2021-02-27"
                                 })pb")}));
}

TEST_F(ReferralsDomainTest, SetDeadlineMustBeAfterToday) {
  Referral state = Given({Drafted()});
  DecisionContext march = On(absl::CivilDay(2021, 3, 1));
  EXPECT_TRUE(InvalidArgument(Decide(SetDeadline("2021-02-26"), &state, march), "deadline",
                              "must be after today (2021-02-26 is not after 2021-03-01)"));
  EXPECT_TRUE(InvalidArgument(Decide(SetDeadline("2021-03-01"), &state, march), "deadline",
                              "(2021-03-01 is not after 2021-03-01)"));
  EXPECT_TRUE(Decide(SetDeadline("2021-03-02"), &state, march).ok());
}

TEST_F(ReferralsDomainTest, SetDeadlineAfterIssueIsRefusedInFavourOfMoveDeadline) {
  Referral state = Given(SeedIssued());
  EXPECT_TRUE(Refused(Decide(SetDeadline("2021-03-12"), &state, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "MoveDeadline"));
  Referral withdrawn = Given(Plus(SeedDraft(), {Withdrawn()}));
  EXPECT_TRUE(Refused(Decide(SetDeadline("2021-03-12"), &withdrawn, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "withdrawn"));
}

// ---- IssueReferral ----

IssueReferralRequest Issue(absl::string_view round = kRound) {
  IssueReferralRequest cmd;
  cmd.set_referral_id(std::string(round));
  return cmd;
}

TEST_F(ReferralsDomainTest, IssueCarriesTheCompleteTerms) {
  Referral state = Given(SeedDraft());
  DecisionContext ctx = On(absl::CivilDay(2020, 11, 26));  // now: 2020-11-26 09:30 UTC
  EXPECT_TRUE(EventsAre(Decide(Issue(), &state, ctx), {Issued()}));
}

TEST_F(ReferralsDomainTest, IssueTheRevisionNamesTheRoundItRevises) {
  Referral state = Given({RevisionDrafted(),
                          Ev(R"pb(revision_linked {
                                    referral_id: "ks-2023-739"
                                    revises_referral_id: "ks-2019-1939"
                                  })pb"),
                          DeadlineSet("2023-12-20", kRevision),
                          Ev(R"pb(addressee_added {
                                    referral_id: "ks-2023-739"
                                    addressee { org_id: "kyrkogardsnamnden" }
                                  })pb")});
  DecisionContext ctx = On(absl::CivilDay(2023, 11, 1));
  auto events = Decide(Issue(kRevision), &state, ctx);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const auto& issued = (*events)[0].referral_issued();
  EXPECT_EQ(issued.revises_referral_id(), "ks-2019-1939");
  EXPECT_EQ(issued.deadline(), "2023-12-20");
  EXPECT_EQ(issued.title(), "Stockholms stads trygghetsprogram 2024-2027");
  ASSERT_EQ(issued.addressees_size(), 1);
  // An addressee added with UNSPECIFIED is issued as REQUIRED.
  EXPECT_EQ(issued.addressees(0).answer(), remiss::v1::ANSWER_KIND_REQUIRED);
  EXPECT_EQ(issued.issued_at().seconds(), absl::ToUnixSeconds(ctx.now));
}

TEST_F(ReferralsDomainTest, IssueTwiceIsRefused) {
  Referral state = Given(SeedIssued());
  EXPECT_TRUE(Refused(Decide(Issue(), &state, ctx_), absl::StatusCode::kFailedPrecondition,
                      "status", "issued"));
}

TEST_F(ReferralsDomainTest, IssueNeedsAddressees) {
  Referral state = Given({Drafted(), DeadlineSet("2021-02-26")});
  EXPECT_TRUE(
      Refused(Decide(Issue(), &state, ctx_), absl::StatusCode::kFailedPrecondition, "addressees"));
  // Removing the only addressee leaves none again.
  Referral emptied = Given({Drafted(), DeadlineSet("2021-02-26"), AddresseeAdded("bromma-sdn"),
                            Ev(R"pb(addressee_removed {
                                      referral_id: "ks-2019-1939"
                                      org_id: "bromma-sdn"
                                    })pb")});
  EXPECT_TRUE(Refused(Decide(Issue(), &emptied, ctx_), absl::StatusCode::kFailedPrecondition,
                      "addressees"));
}

TEST_F(ReferralsDomainTest, IssueNeedsADeadline) {
  Referral state = Given({Drafted(), AddresseeAdded("bromma-sdn")});
  EXPECT_TRUE(Refused(Decide(Issue(), &state, ctx_), absl::StatusCode::kFailedPrecondition,
                      "deadline", "not set"));
}

TEST_F(ReferralsDomainTest, IssueAfterTheDeadlineIsRefused) {
  Referral state = Given(SeedDraft());
  EXPECT_TRUE(Refused(Decide(Issue(), &state, On(absl::CivilDay(2021, 3, 1))),
                      absl::StatusCode::kFailedPrecondition, "deadline",
                      "must be after today (2021-02-26 is not after 2021-03-01)"));
  EXPECT_TRUE(Refused(Decide(Issue(), &state, On(absl::CivilDay(2021, 2, 26))),
                      absl::StatusCode::kFailedPrecondition, "deadline"));
  EXPECT_TRUE(Decide(Issue(), &state, On(absl::CivilDay(2021, 2, 25))).ok());
}

TEST_F(ReferralsDomainTest, IssueNeedsEveryOverrideAfterToday) {
  Referral state = Given(Plus(SeedDraft(), {AddresseeAdded("socialnamnden", "2020-11-30")}));
  EXPECT_TRUE(Refused(Decide(Issue(), &state, ctx_), absl::StatusCode::kFailedPrecondition,
                      "addressees", "socialnamnden"));
}

TEST_F(ReferralsDomainTest, IssueAWithdrawnRoundIsRefused) {
  Referral state = Given(Plus(SeedDraft(), {Withdrawn()}));
  EXPECT_TRUE(Refused(Decide(Issue(), &state, ctx_), absl::StatusCode::kFailedPrecondition,
                      "status", "withdrawn"));
}

// ---- MoveDeadline ----

MoveDeadlineRequest MoveDeadline(absl::string_view org, absl::string_view date,
                                 absl::string_view reason = "") {
  MoveDeadlineRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  cmd.set_org_id(std::string(org));
  cmd.set_deadline(std::string(date));
  cmd.set_reason(std::string(reason));
  return cmd;
}

TEST_F(ReferralsDomainTest, MoveTheRoundsDeadline) {
  Referral state = Given(SeedIssued());
  auto move = MoveDeadline("", "2021-03-12", "Förlängd remisstid.");
  EXPECT_TRUE(EventsAre(Decide(move, &state, ctx_),
                        {Ev(R"pb(deadline_moved {
                                   referral_id: "ks-2019-1939"
                                   previous_deadline: "2021-02-26"
                                   deadline: "2021-03-12"
                                   reason: "Förlängd remisstid."
                                 })pb")}));
  // Earlier is allowed too, as long as it is after today.
  EXPECT_TRUE(Decide(MoveDeadline("", "2021-02-19"), &state, ctx_).ok());
}

TEST_F(ReferralsDomainTest, MoveOneAddresseesDeadlineAnstand) {
  Referral state = Given(Plus(SeedIssued(), {AddresseeAdded("socialnamnden", "2021-03-05")}));
  EXPECT_TRUE(EventsAre(Decide(MoveDeadline("bromma-sdn", "2021-03-05", "Anstånd"), &state, ctx_),
                        {Ev(R"pb(deadline_moved {
                                   referral_id: "ks-2019-1939"
                                   org_id: "bromma-sdn"
                                   previous_deadline: "2021-02-26"
                                   deadline: "2021-03-05"
                                   reason: "Anstånd"
                                 })pb")}));
  // The previous deadline of an addressee with an override is its override.
  EXPECT_TRUE(EventsAre(Decide(MoveDeadline("socialnamnden", "2021-03-19"), &state, ctx_),
                        {Ev(R"pb(deadline_moved {
                                   referral_id: "ks-2019-1939"
                                   org_id: "socialnamnden"
                                   previous_deadline: "2021-03-05"
                                   deadline: "2021-03-19"
                                 })pb")}));
}

TEST_F(ReferralsDomainTest, MoveDeadlineRefusesBadInput) {
  Referral state = Given(SeedIssued());
  EXPECT_TRUE(InvalidArgument(Decide(MoveDeadline("", "2021-02-30"), &state, ctx_), "deadline"));
  EXPECT_TRUE(InvalidArgument(Decide(MoveDeadline("", ""), &state, ctx_), "deadline"));
  EXPECT_TRUE(InvalidArgument(Decide(MoveDeadline("", "2020-12-01"), &state, ctx_), "deadline",
                              "after today"));
  EXPECT_TRUE(InvalidArgument(Decide(MoveDeadline("Bromma", "2021-03-05"), &state, ctx_),
                              "org_id"));
  EXPECT_TRUE(InvalidArgument(
      Decide(MoveDeadline("", "2021-03-05", std::string(4001, 'r')), &state, ctx_), "reason"));
}

TEST_F(ReferralsDomainTest, MoveDeadlineRefusals) {
  Referral state = Given(SeedIssued());
  EXPECT_TRUE(Refused(Decide(MoveDeadline("", "2021-02-26"), &state, ctx_),
                      absl::StatusCode::kFailedPrecondition, "deadline", "already 2021-02-26"));
  EXPECT_TRUE(Refused(Decide(MoveDeadline("bromma-sdn", "2021-02-26"), &state, ctx_),
                      absl::StatusCode::kFailedPrecondition, "deadline", "already 2021-02-26"));
  EXPECT_TRUE(Refused(Decide(MoveDeadline("kyrkogardsnamnden", "2021-03-05"), &state, ctx_),
                      absl::StatusCode::kNotFound, "org_id", "kyrkogardsnamnden"));
  Referral draft = Given(SeedDraft());
  EXPECT_TRUE(Refused(Decide(MoveDeadline("", "2021-03-12"), &draft, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "SetDeadline"));
  Referral closed = Given(Plus(SeedIssued(), {Closed()}));
  EXPECT_TRUE(Refused(Decide(MoveDeadline("", "2021-03-12"), &closed, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "closed"));
}

// ---- CloseReferral and WithdrawReferral ----

TEST_F(ReferralsDomainTest, CloseAnIssuedRound) {
  Referral state = Given(SeedIssued());
  CloseReferralRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  EXPECT_TRUE(EventsAre(Decide(cmd, &state, ctx_),
                        {Ev(R"pb(referral_closed { referral_id: "ks-2019-1939" })pb")}));
  cmd.set_reason("Remisstiden har gått ut.");
  EXPECT_TRUE(EventsAre(Decide(cmd, &state, ctx_), {Closed()}));
  cmd.set_reason(std::string(4001, 'r'));
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &state, ctx_), "reason", "4000"));
}

TEST_F(ReferralsDomainTest, CloseADraftOrTwiceIsRefused) {
  CloseReferralRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  Referral draft = Given(SeedDraft());
  EXPECT_TRUE(Refused(Decide(cmd, &draft, ctx_), absl::StatusCode::kFailedPrecondition, "status",
                      "the round is a draft; the round can be closed only while it is issued; "
                      "withdraw a draft instead"));
  Referral closed = Given(Plus(SeedIssued(), {Closed()}));
  EXPECT_TRUE(Refused(Decide(cmd, &closed, ctx_), absl::StatusCode::kFailedPrecondition, "status",
                      "closed"));
}

TEST_F(ReferralsDomainTest, WithdrawADraftOrAnIssuedRound) {
  WithdrawReferralRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  cmd.set_reason("Ersätts av nytt förslag.");
  Referral draft = Given(SeedDraft());
  EXPECT_TRUE(EventsAre(Decide(cmd, &draft, ctx_), {Withdrawn()}));
  Referral issued = Given(SeedIssued());
  EXPECT_TRUE(EventsAre(Decide(cmd, &issued, ctx_), {Withdrawn()}));
}

TEST_F(ReferralsDomainTest, WithdrawRefusals) {
  WithdrawReferralRequest cmd;
  cmd.set_referral_id(std::string(kRound));
  Referral issued = Given(SeedIssued());
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &issued, ctx_), "reason", "required"));
  cmd.set_reason(std::string(4001, 'r'));
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &issued, ctx_), "reason", "4000"));
  cmd.set_reason("Ersätts.");
  Referral closed = Given(Plus(SeedIssued(), {Closed()}));
  EXPECT_TRUE(Refused(Decide(cmd, &closed, ctx_), absl::StatusCode::kFailedPrecondition, "status",
                      "closed"));
  Referral withdrawn = Given(Plus(SeedIssued(), {Withdrawn()}));
  EXPECT_TRUE(Refused(Decide(cmd, &withdrawn, ctx_), absl::StatusCode::kFailedPrecondition,
                      "status", "withdrawn"));
}

// ---- LinkRevision ----

LinkRevisionRequest Link(absl::string_view round, absl::string_view revises) {
  LinkRevisionRequest cmd;
  cmd.set_referral_id(std::string(round));
  cmd.set_revises_referral_id(std::string(revises));
  return cmd;
}

TEST_F(ReferralsDomainTest, LinkTheRevisionToTheEarlierRound) {
  Referral state = Given({RevisionDrafted()});
  EXPECT_TRUE(EventsAre(Decide(Link(kRevision, kRound), &state, ctx_),
                        {Ev(R"pb(revision_linked {
                                   referral_id: "ks-2023-739"
                                   revises_referral_id: "ks-2019-1939"
                                 })pb")}));
  // Also once the revision is closed.
  Referral closed = Given({RevisionDrafted(), DeadlineSet("2023-12-20", kRevision),
                           AddresseeAdded("kyrkogardsnamnden", "", kRevision),
                           Ev(R"pb(referral_issued { referral_id: "ks-2023-739" })pb"),
                           Closed(kRevision)});
  EXPECT_TRUE(Decide(Link(kRevision, kRound), &closed, ctx_).ok());
}

TEST_F(ReferralsDomainTest, LinkRevisionRefusals) {
  Referral state = Given({RevisionDrafted()});
  EXPECT_TRUE(InvalidArgument(Decide(Link(kRevision, ""), &state, ctx_), "revises_referral_id",
                              "required"));
  EXPECT_TRUE(
      InvalidArgument(Decide(Link(kRevision, kRevision), &state, ctx_), "revises_referral_id"));
  EXPECT_TRUE(Refused(Decide(Link(kRevision, "ks-2015-1"), &state, ctx_),
                      absl::StatusCode::kNotFound, "revises_referral_id", "ks-2015-1"));
  Referral linked = Given({RevisionDrafted(), Ev(R"pb(revision_linked {
                                                        referral_id: "ks-2023-739"
                                                        revises_referral_id: "ks-2019-1939"
                                                      })pb")});
  EXPECT_TRUE(Refused(Decide(Link(kRevision, kRound), &linked, ctx_),
                      absl::StatusCode::kFailedPrecondition, "revises_referral_id",
                      "ks-2019-1939"));
  Referral withdrawn = Given({RevisionDrafted(), Withdrawn(kRevision)});
  EXPECT_TRUE(Refused(Decide(Link(kRevision, kRound), &withdrawn, ctx_),
                      absl::StatusCode::kFailedPrecondition, "status", "withdrawn"));
}

// ---- Evolve ----

std::vector<std::string> AddresseeIds(const Referral& r) {
  std::vector<std::string> ids;
  for (const auto& a : r.addressees()) ids.push_back(a.org_id());
  return ids;
}

std::vector<std::string> StatedDeadlines(const Referral& r) {
  std::vector<std::string> dates;
  for (const auto& a : r.addressees()) dates.push_back(a.stated_deadline());
  return dates;
}

TEST(EvolveTest, TheSeedDraft) {
  Referral state = Given(SeedDraft());
  EXPECT_EQ(state.referral_id(), "ks-2019-1939");
  EXPECT_EQ(state.case_number(), "KS 2019/1939");
  EXPECT_EQ(state.title(), "Stockholms stads trygghetsprogram 2020-2023");
  EXPECT_EQ(state.sender_org_id(), "ks");
  EXPECT_EQ(state.status(), remiss::v1::REFERRAL_STATUS_DRAFT);
  EXPECT_EQ(state.deadline(), "2021-02-26");
  EXPECT_TRUE(state.working_day_rule());
  ASSERT_EQ(state.documents_size(), 1);
  EXPECT_EQ(state.documents(0).id(), "bilaga-1");
  EXPECT_THAT(AddresseeIds(state), ElementsAre("bromma-sdn", "sodermalm-sdn",
                                               "hasselby-vallingby-sdn", "utbildningsnamnden"));
  EXPECT_THAT(StatedDeadlines(state),
              ElementsAre("2021-02-26", "2021-02-26", "2021-02-26", "2021-02-26"));
  EXPECT_EQ(state.addressees(0).answer(), remiss::v1::ANSWER_KIND_REQUIRED);
  EXPECT_EQ(state.version(), 7u);
  EXPECT_EQ(state.created_at().seconds(), absl::ToUnixSeconds(kFirstRecorded));
  EXPECT_FALSE(state.has_issued_at());
}

TEST(EvolveTest, StatedDeadlinesFollowTheRoundUnlessOverridden) {
  Referral state = Given({Drafted(), AddresseeAdded("bromma-sdn"),
                          AddresseeAdded("socialnamnden", "2021-03-05")});
  EXPECT_THAT(StatedDeadlines(state), ElementsAre("", "2021-03-05"));
  Evolve(state, DeadlineSet("2021-02-26"), kFirstRecorded);
  EXPECT_THAT(StatedDeadlines(state), ElementsAre("2021-02-26", "2021-03-05"));
  Evolve(state, DeadlineSet("2021-02-19"), kFirstRecorded);
  EXPECT_THAT(StatedDeadlines(state), ElementsAre("2021-02-19", "2021-03-05"));
  Evolve(state, AddresseeAdded("utbildningsnamnden"), kFirstRecorded);
  EXPECT_THAT(StatedDeadlines(state), ElementsAre("2021-02-19", "2021-03-05", "2021-02-19"));
  EXPECT_EQ(state.version(), 6u);
}

TEST(EvolveTest, DeadlineMovedForTheRoundOrOneAddressee) {
  Referral state = Given(Plus(SeedIssued(), {AddresseeAdded("socialnamnden", "2021-03-05")}));
  Evolve(state, Ev(R"pb(deadline_moved {
                          referral_id: "ks-2019-1939"
                          previous_deadline: "2021-02-26"
                          deadline: "2021-03-12"
                        })pb"),
         kFirstRecorded);
  EXPECT_EQ(state.deadline(), "2021-03-12");
  EXPECT_THAT(StatedDeadlines(state),
              ElementsAre("2021-03-12", "2021-03-12", "2021-03-12", "2021-03-12", "2021-03-05"));
  Evolve(state, Ev(R"pb(deadline_moved {
                          referral_id: "ks-2019-1939"
                          org_id: "sodermalm-sdn"
                          previous_deadline: "2021-03-12"
                          deadline: "2021-03-19"
                        })pb"),
         kFirstRecorded);
  EXPECT_EQ(state.deadline(), "2021-03-12");
  EXPECT_EQ(state.addressees(1).deadline_override(), "2021-03-19");
  EXPECT_THAT(StatedDeadlines(state),
              ElementsAre("2021-03-12", "2021-03-19", "2021-03-12", "2021-03-12", "2021-03-05"));
  EXPECT_EQ(state.version(), 11u);
}

TEST(EvolveTest, RemovedAddresseesDisappearAndTheOthersKeepTheirOrder) {
  Referral state = Given(Plus(SeedDraft(), {Ev(R"pb(addressee_removed {
                                                      referral_id: "ks-2019-1939"
                                                      org_id: "sodermalm-sdn"
                                                    })pb")}));
  EXPECT_THAT(AddresseeIds(state),
              ElementsAre("bromma-sdn", "hasselby-vallingby-sdn", "utbildningsnamnden"));
  EXPECT_EQ(state.version(), 8u);
}

TEST(EvolveTest, IssuedClosedWithdrawnAndTimes) {
  Referral issued = Given(SeedIssued());
  EXPECT_EQ(issued.status(), remiss::v1::REFERRAL_STATUS_ISSUED);
  EXPECT_EQ(issued.issued_at().seconds(), 1606383000);  // from the event, not recorded_at

  Referral closed = issued;
  absl::Time at = Utc(2021, 3, 1, 7, 0);
  Evolve(closed, Closed(), at);
  EXPECT_EQ(closed.status(), remiss::v1::REFERRAL_STATUS_CLOSED);
  EXPECT_EQ(closed.closed_at().seconds(), absl::ToUnixSeconds(at));
  EXPECT_EQ(closed.close_reason(), "Remisstiden har gått ut.");
  EXPECT_EQ(closed.version(), 9u);

  Referral withdrawn = issued;
  Evolve(withdrawn, Withdrawn(), at + absl::Milliseconds(250));
  EXPECT_EQ(withdrawn.status(), remiss::v1::REFERRAL_STATUS_WITHDRAWN);
  EXPECT_EQ(withdrawn.withdrawn_at().seconds(), absl::ToUnixSeconds(at));
  EXPECT_EQ(withdrawn.withdrawn_at().nanos(), 250000000);
  EXPECT_EQ(withdrawn.withdraw_reason(), "Ersätts av nytt förslag.");
}

TEST(EvolveTest, RevisionLinkedAndRevisedByUntouched) {
  Referral state;
  state.add_revised_by("ks-2027-1");  // the projection's, from another round's event
  Evolve(state, RevisionDrafted(), kFirstRecorded);
  Evolve(state, Ev(R"pb(revision_linked {
                          referral_id: "ks-2023-739"
                          revises_referral_id: "ks-2019-1939"
                        })pb"),
         kFirstRecorded);
  EXPECT_EQ(state.revises_referral_id(), "ks-2019-1939");
  EXPECT_THAT(state.revised_by(), ElementsAre("ks-2027-1"));
  EXPECT_EQ(state.version(), 2u);
}

// ---- the whole round, command by command ----

TEST_F(ReferralsDomainTest, TheSeedRoundFromCreationToClose) {
  Referral state;
  int recorded = 0;
  auto when = [&](const absl::StatusOr<Events>& events) {
    ASSERT_TRUE(events.ok()) << events.status();
    for (const auto& e : *events) {
      Evolve(state, e, kFirstRecorded + absl::Minutes(recorded++));
    }
  };
  DecisionContext autumn = On(absl::CivilDay(2020, 11, 26));
  when(Decide(Parse<CreateReferralRequest>(kCreateSeed), nullptr, autumn));
  when(Decide(AttachBilaga("bilaga-1"), &state, autumn));
  when(Decide(SetDeadline("2021-02-26"), &state, autumn));
  for (absl::string_view org :
       {"bromma-sdn", "sodermalm-sdn", "hasselby-vallingby-sdn", "utbildningsnamnden"}) {
    when(Decide(AddAddressee(org), &state, autumn));
  }
  when(Decide(Issue(), &state, autumn));
  // The commands produced exactly the seed's events.
  std::string diff;
  EXPECT_TRUE(SameProto(state, Given(SeedIssued()), &diff)) << diff;

  DecisionContext february = On(absl::CivilDay(2021, 2, 20));
  when(Decide(MoveDeadline("utbildningsnamnden", "2021-03-05", "Anstånd"), &state, february));
  CloseReferralRequest close;
  close.set_referral_id(std::string(kRound));
  when(Decide(close, &state, On(absl::CivilDay(2021, 3, 8))));

  EXPECT_EQ(state.status(), remiss::v1::REFERRAL_STATUS_CLOSED);
  EXPECT_EQ(state.version(), 10u);
  EXPECT_THAT(StatedDeadlines(state),
              ElementsAre("2021-02-26", "2021-02-26", "2021-02-26", "2021-03-05"));
  EXPECT_EQ(state.addressees(3).deadline_override(), "2021-03-05");
  EXPECT_EQ(state.closed_at().seconds(), absl::ToUnixSeconds(kFirstRecorded + absl::Minutes(9)));
}

}  // namespace
}  // namespace remiss::referrals
