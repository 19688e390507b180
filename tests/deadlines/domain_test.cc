// The deadlines domain, tested as given events -> when (terms, answer fact, timer, command)
// -> then events or refusal, on fixed instants (no clock). The round is KS 2019/1939
// "Stockholms stads trygghetsprogram 2020-2023", due "senast den 26 februari 2021" (a Friday)
// with the working-day rule; the addressee is Bromma stadsdelsnämnd. Where the seeds do not
// say (meeting dates, extension requests), the tests use plausible values.
#include "remiss/deadlines/domain.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "remiss/core/base/civil_date.h"
#include "tests/support/domain_assertions.h"

namespace remiss::deadlines {

// Readable timers in failure messages (found by argument-dependent lookup).
void PrintTo(const Timer& timer, std::ostream* os) {
  const char* kind = timer.kind == TimerKind::kReminder ? "reminder"
                     : timer.kind == TimerKind::kDue    ? "due"
                                                        : "at-risk";
  *os << "{" << absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", timer.at, absl::UTCTimeZone()) << ", "
      << kind;
  if (timer.kind == TimerKind::kReminder) *os << " " << timer.days_before;
  *os << "}";
}

namespace {

using remiss::v1::BoardCalendar;
using remiss::v1::CancelBoardMeetingRequest;
using remiss::v1::Deadline;
using remiss::v1::DeadlineEvent;
using remiss::v1::DecideExtensionRequest;
using remiss::v1::RegisterBoardMeetingsRequest;
using remiss::v1::RequestExtensionRequest;
using remiss::v1::ResponseEvent;
using remiss::v1::RoundTermsRecorded;
using remiss::v1::SetReminderPolicyRequest;
using remiss::testing::EventsAre;
using remiss::testing::InvalidArgument;
using remiss::testing::NoEvents;
using remiss::testing::ProtoIs;
using remiss::testing::Refused;

constexpr absl::string_view kRound = "ks-2019-1939";
constexpr absl::string_view kBromma = "bromma-sdn";

// ---- helpers ----

template <typename T>
T Parse(absl::string_view text) {
  T message;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &message)) {
    ADD_FAILURE() << "not a valid " << T::descriptor()->name() << ": " << text;
  }
  return message;
}

DeadlineEvent Ev(absl::string_view text) { return Parse<DeadlineEvent>(text); }
ResponseEvent RespEv(absl::string_view text) { return Parse<ResponseEvent>(text); }

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

int64_t Secs(absl::Time t) { return absl::ToUnixSeconds(t); }

absl::CivilDay Day(int y, int m, int d) { return absl::CivilDay(y, m, d); }

// A decision taken at noon Stockholm time (CET) on the given day.
DecisionContext On(int y, int m, int d) {
  return DecisionContext{Utc(y, m, d, 11), Day(y, m, d)};
}

// Events are recorded one minute apart from 1 December 2020, 09:00 UTC.
absl::Time RecordedAt(uint64_t version) {
  return Utc(2020, 12, 1, 9) + absl::Minutes(static_cast<int64_t>(version));
}

// Applies `events` to `state` as the next stream versions.
void Apply(Deadline& state, const Events& events) {
  for (const DeadlineEvent& e : events) {
    uint64_t version = state.version() + 1;
    Evolve(state, e, version, RecordedAt(version));
  }
}

Deadline Given(const Events& events) {
  Deadline state;
  Apply(state, events);
  return state;
}

// ---- the round's terms ----

struct Addressee {
  std::string org_id;
  std::string stated_deadline;
  remiss::v1::AnswerKind answer = remiss::v1::ANSWER_KIND_REQUIRED;
};

RoundTermsRecorded Terms(std::vector<Addressee> addressees,
                         remiss::v1::RoundState state = remiss::v1::ROUND_STATE_OPEN,
                         bool working_day_rule = true, absl::string_view reason = "") {
  RoundTermsRecorded terms;
  terms.set_referral_id(std::string(kRound));
  terms.set_case_number("KS 2019/1939");
  terms.set_title("Stockholms stads trygghetsprogram 2020-2023");
  terms.set_sender_org_id("ks");
  terms.set_deadline("2021-02-26");
  terms.set_working_day_rule(working_day_rule);
  terms.set_state(state);
  terms.set_reason(std::string(reason));
  for (const Addressee& a : addressees) {
    auto* r = terms.add_addressees();
    r->set_org_id(a.org_id);
    r->set_stated_deadline(a.stated_deadline);
    r->set_answer(a.answer);
  }
  terms.set_referrals_position(10);
  return terms;
}

// Bromma and Södermalm asked to answer by `bromma_date`; the pensionärsråd for information.
RoundTermsRecorded BrommaTerms(absl::string_view bromma_date = "2021-02-26",
                               remiss::v1::RoundState state = remiss::v1::ROUND_STATE_OPEN,
                               bool working_day_rule = true) {
  return Terms({{std::string(kBromma), std::string(bromma_date)},
                {"sodermalm-sdn", "2021-02-26"},
                {"ks-pensionarsrad", "2021-02-26", remiss::v1::ANSWER_KIND_FOR_INFORMATION}},
               state, working_day_rule);
}

RoundTermsRecorded WithoutBromma(remiss::v1::RoundState state = remiss::v1::ROUND_STATE_OPEN) {
  return Terms({{"sodermalm-sdn", "2021-02-26"}}, state);
}

DeadlineEvent ScheduledEvent(absl::string_view stated, absl::string_view effective,
                             absl::Time due_at, bool working_day_rule = true) {
  return Ev(absl::Substitute(R"pb(deadline_scheduled {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    case_number: "KS 2019/1939"
                                    title: "Stockholms stads trygghetsprogram 2020-2023"
                                    stated_deadline: "$0"
                                    working_day_rule: $3
                                    effective_date: "$1"
                                    due_at { seconds: $2 }
                                  })pb",
                             stated, effective, Secs(due_at), working_day_rule ? "true" : "false"));
}

DeadlineEvent ChangedEvent(absl::string_view stated, absl::string_view effective,
                           absl::Time due_at, absl::string_view cause,
                           absl::string_view previous) {
  return Ev(absl::Substitute(R"pb(deadline_changed {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    stated_deadline: "$0"
                                    effective_date: "$1"
                                    due_at { seconds: $2 }
                                    cause: $3
                                    previous_effective_date: "$4"
                                  })pb",
                             stated, effective, Secs(due_at), cause, previous));
}

// The end of 26 February 2021 in Stockholm (CET, UTC+1).
const absl::Time kDue0226 = Utc(2021, 2, 26, 23);

// Given: Bromma's deadline scheduled from the terms (stated `date`, working-day rule).
Deadline BrommaScheduled(absl::string_view date = "2021-02-26") {
  return Given(OnRoundTerms(BrommaTerms(date), kBromma, nullptr));
}

// Given: the deadline of 26 February with the events that follow.
Deadline BrommaAfter(const std::vector<DeadlineEvent>& more) {
  Deadline state = BrommaScheduled();
  Apply(state, Events(more.begin(), more.end()));
  return state;
}

ResponseEvent Submitted(absl::Time at) {
  return RespEv(absl::Substitute(R"pb(response_submitted {
                                        referral_id: "ks-2019-1939"
                                        org_id: "bromma-sdn"
                                        submitted_at { seconds: $0 }
                                      })pb",
                                 Secs(at)));
}

ResponseEvent Declined() {
  return RespEv(absl::Substitute(R"pb(response_declined {
                                        referral_id: "ks-2019-1939"
                                        org_id: "bromma-sdn"
                                        reason: "Nämnden avstår från att yttra sig."
                                        declined_at { seconds: $0 }
                                      })pb",
                                 Secs(Utc(2021, 2, 10, 10))));
}

ResponseEvent BoardDecided() {
  return RespEv(R"pb(board_decision_recorded {
                       referral_id: "ks-2019-1939"
                       org_id: "bromma-sdn"
                       decision {
                         meeting_date: "2021-02-18"
                         paragraph: "§ 5"
                         decision_text: "Stadsdelsnämnden överlämnar remissvaret till "
                                        "kommunstyrelsen."
                         justering { kind: JUSTERING_KIND_IMMEDIATE }
                       }
                     })pb");
}

DeadlineEvent Breached() {
  return Ev(absl::Substitute(R"pb(deadline_breached {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    effective_date: "2021-02-26"
                                    due_at { seconds: $0 }
                                  })pb",
                             Secs(kDue0226)));
}

DeadlineEvent Answered(absl::Time at, absl::string_view outcome) {
  return Ev(absl::Substitute(R"pb(response_received {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    submitted_at { seconds: $0 }
                                    outcome: $1
                                  })pb",
                             Secs(at), outcome));
}

DeadlineEvent DecisionNoted() {
  return Ev(R"pb(board_decision_noted { referral_id: "ks-2019-1939" org_id: "bromma-sdn" })pb");
}

RequestExtensionRequest Request(absl::string_view date,
                                absl::string_view reason = "Nämnden sammanträder den 18 mars.") {
  RequestExtensionRequest cmd;
  cmd.set_command_id("c-1");
  cmd.set_referral_id(std::string(kRound));
  cmd.set_org_id(std::string(kBromma));
  cmd.set_requested_date(std::string(date));
  cmd.set_reason(std::string(reason));
  return cmd;
}

DecideExtensionRequest Grant(absl::string_view id, absl::string_view date = "",
                             absl::string_view note = "") {
  DecideExtensionRequest cmd;
  cmd.set_command_id("c-2");
  cmd.set_referral_id(std::string(kRound));
  cmd.set_org_id(std::string(kBromma));
  cmd.set_extension_id(std::string(id));
  cmd.set_grant(true);
  cmd.set_granted_date(std::string(date));
  cmd.set_note(std::string(note));
  return cmd;
}

DecideExtensionRequest Refuse(absl::string_view id, absl::string_view note) {
  DecideExtensionRequest cmd = Grant(id);
  cmd.set_grant(false);
  cmd.set_note(std::string(note));
  return cmd;
}

DeadlineEvent RequestedEvent(absl::string_view id, absl::string_view date,
                             absl::string_view reason = "Nämnden sammanträder den 18 mars.") {
  return Ev(absl::Substitute(R"pb(extension_requested {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    extension_id: "$0"
                                    requested_date: "$1"
                                    reason: "$2"
                                  })pb",
                             id, date, reason));
}

DeadlineEvent GrantedEvent(absl::string_view id, absl::string_view date,
                           absl::string_view note = "") {
  return Ev(absl::Substitute(R"pb(extension_granted {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    extension_id: "$0"
                                    granted_date: "$1"
                                    note: "$2"
                                  })pb",
                             id, date, note));
}

// Applies a command's events to `state`, failing the test when it was refused.
void Accept(Deadline& state, const absl::StatusOr<Events>& events) {
  ASSERT_TRUE(events.ok()) << events.status();
  Apply(state, *events);
}

// ==== following the terms ====

TEST(OnRoundTerms, SchedulesAnAddresseeAskedToAnswer) {
  EXPECT_TRUE(EventsAre(OnRoundTerms(BrommaTerms(), kBromma, nullptr),
                        {ScheduledEvent("2021-02-26", "2021-02-26", kDue0226)}));
}

// Issue 25, finding 5: the deadline carries the round's owner as its terms state it, for the
// service to hold a ks to it.
TEST(OnRoundTerms, TheScheduledDeadlineNamesTheRoundsOwner) {
  RoundTermsRecorded terms = BrommaTerms();
  terms.set_owner_org_id("ks");
  Events events = OnRoundTerms(terms, kBromma, nullptr);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].deadline_scheduled().owner_org_id(), "ks");
}

TEST(CheckKsRunsRound, OnlyTheOwnersKsOrAnyKsOfARoundWithNoOwner) {
  EXPECT_TRUE(CheckKsRunsRound(kRound, "ks", "ks").ok());
  absl::Status other = CheckKsRunsRound(kRound, "ks", "region");
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.message(),
            "role ks: round ks-2019-1939 is run by organization \"ks\"; a ks of \"region\" does not "
            "decide its extensions or set its reminders");
  EXPECT_TRUE(CheckKsRunsRound(kRound, "", "region").ok()) << "a round from before owners";
}

TEST(CheckKsMaySendRounds, RefusesAKsOfAnOrganizationObservedNotToSendAndAllowsTheUnknown) {
  EXPECT_TRUE(CheckKsMaySendRounds("ks", true).ok());
  EXPECT_TRUE(CheckKsMaySendRounds("ks", std::nullopt).ok()) << "never observed: the rule before";
  absl::Status revoked = CheckKsMaySendRounds("ks", false);
  EXPECT_EQ(revoked.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(revoked.message(),
            "role ks: organization \"ks\" may not send rounds (may_send_rounds is not set for it in "
            "referrals); its ks does not decide extensions or set reminders");
}

TEST(OnSendingRight, RecordsTheRightWhenFirstObservedAndWhenItChangesOnly) {
  remiss::v1::OrganizationSendingRight right;
  right.set_org_id("ks");
  right.set_may_send_rounds(false);
  right.set_referrals_position(7);
  std::optional<remiss::v1::SenderRightObserved> first = OnSendingRight(right, nullptr);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->org_id(), "ks");
  EXPECT_FALSE(first->may_send_rounds());
  EXPECT_FALSE(OnSendingRight(right, &*first).has_value()) << "the same right again";
  right.set_may_send_rounds(true);
  std::optional<remiss::v1::SenderRightObserved> again = OnSendingRight(right, &*first);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->may_send_rounds());
}

TEST(OnRoundTerms, TheStateAfterSchedulingIsOpen) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(d.scheduled());
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_OPEN);
  EXPECT_EQ(d.effective_date(), "2021-02-26");
  EXPECT_EQ(d.due_at().seconds(), Secs(kDue0226));
  EXPECT_EQ(d.version(), 1u);
  EXPECT_EQ(d.case_number(), "KS 2019/1939");
}

TEST(OnRoundTerms, AnUnspecifiedAnswerKindCountsAsRequired) {
  RoundTermsRecorded terms = Terms({{std::string(kBromma), "2021-02-26",
                                     remiss::v1::ANSWER_KIND_UNSPECIFIED}});
  EXPECT_TRUE(EventsAre(OnRoundTerms(terms, kBromma, nullptr),
                        {ScheduledEvent("2021-02-26", "2021-02-26", kDue0226)}));
}

TEST(OnRoundTerms, AnAddresseeForInformationGetsNoDeadline) {
  EXPECT_TRUE(NoEvents(OnRoundTerms(BrommaTerms(), "ks-pensionarsrad", nullptr)));
}

TEST(OnRoundTerms, AnOrganizationNotAddressedGetsNoDeadline) {
  EXPECT_TRUE(NoEvents(OnRoundTerms(BrommaTerms(), "kyrkogardsnamnden", nullptr)));
}

TEST(OnRoundTerms, UnchangedTermsChangeNothing) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(NoEvents(OnRoundTerms(BrommaTerms(), kBromma, &d)));
}

TEST(OnRoundTerms, AMovedDeadlineChangesIt) {
  Deadline d = BrommaScheduled();
  Events events = OnRoundTerms(BrommaTerms("2021-03-05"), kBromma, &d);
  EXPECT_TRUE(EventsAre(events, {ChangedEvent("2021-03-05", "2021-03-05", Utc(2021, 3, 5, 23),
                                              "DEADLINE_CHANGE_CAUSE_STATED_DEADLINE_MOVED",
                                              "2021-02-26")}));
  Apply(d, events);
  EXPECT_EQ(d.effective_date(), "2021-03-05");
  EXPECT_EQ(d.stated_deadline(), "2021-03-05");
  EXPECT_EQ(d.due_at().seconds(), Secs(Utc(2021, 3, 5, 23)));
}

TEST(OnRoundTerms, AStatedDateBehindAGrantedExtensionUpdatesOnlyTheStatedDate) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  Accept(d, Decide(Grant("anstand-1"), &d, On(2021, 2, 12)));
  ASSERT_EQ(d.effective_date(), "2021-03-19");
  EXPECT_TRUE(EventsAre(OnRoundTerms(BrommaTerms("2021-03-05"), kBromma, &d),
                        {ChangedEvent("2021-03-05", "2021-03-19", Utc(2021, 3, 19, 23),
                                      "DEADLINE_CHANGE_CAUSE_STATED_DEADLINE_MOVED",
                                      "2021-03-19")}));
}

TEST(OnRoundTerms, ARemovedAddresseeIsCancelled) {
  Deadline d = BrommaScheduled();
  Events events = OnRoundTerms(WithoutBromma(), kBromma, &d);
  EXPECT_TRUE(EventsAre(events, {Ev(R"pb(deadline_cancelled {
                                           referral_id: "ks-2019-1939"
                                           org_id: "bromma-sdn"
                                           reason: "the addressee was removed"
                                         })pb")}));
  Apply(d, events);
  EXPECT_TRUE(d.cancelled());
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_CANCELLED);
  EXPECT_EQ(d.cancel_reason(), "the addressee was removed");
  // Terms that still leave it out change nothing more.
  EXPECT_TRUE(NoEvents(OnRoundTerms(WithoutBromma(), kBromma, &d)));
}

TEST(OnRoundTerms, AnAddresseeRemovedFromAClosedRoundIsCancelled) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(EventsAre(OnRoundTerms(WithoutBromma(remiss::v1::ROUND_STATE_CLOSED), kBromma, &d),
                        {Ev(R"pb(deadline_cancelled {
                                   referral_id: "ks-2019-1939"
                                   org_id: "bromma-sdn"
                                   reason: "the addressee was removed"
                                 })pb")}));
}

TEST(OnRoundTerms, AWithdrawnRoundCancelsWithItsReason) {
  Deadline d = BrommaScheduled();
  RoundTermsRecorded terms = BrommaTerms();
  terms.set_state(remiss::v1::ROUND_STATE_WITHDRAWN);
  terms.set_reason("Ersätts av nytt förslag.");
  EXPECT_TRUE(EventsAre(OnRoundTerms(terms, kBromma, &d),
                        {Ev(R"pb(deadline_cancelled {
                                   referral_id: "ks-2019-1939"
                                   org_id: "bromma-sdn"
                                   reason: "the round was withdrawn: Ersätts av nytt förslag."
                                 })pb")}));
  // A round withdrawn before the terms reached this addressee schedules nothing.
  EXPECT_TRUE(NoEvents(OnRoundTerms(terms, kBromma, nullptr)));
}

TEST(OnRoundTerms, AClosedRoundChangesNoDeadline) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(NoEvents(
      OnRoundTerms(BrommaTerms("2021-03-05", remiss::v1::ROUND_STATE_CLOSED), kBromma, &d)));
  EXPECT_TRUE(NoEvents(
      OnRoundTerms(BrommaTerms("2021-02-26", remiss::v1::ROUND_STATE_CLOSED), kBromma, nullptr)));
}

TEST(OnRoundTerms, AnAddresseeAddedAgainIsScheduledAgain) {
  Deadline d = BrommaScheduled();
  Apply(d, OnRoundTerms(WithoutBromma(), kBromma, &d));
  ASSERT_TRUE(d.cancelled());
  Events events = OnRoundTerms(BrommaTerms("2021-03-05"), kBromma, &d);
  EXPECT_TRUE(
      EventsAre(events, {ScheduledEvent("2021-03-05", "2021-03-05", Utc(2021, 3, 5, 23))}));
  Apply(d, events);
  EXPECT_FALSE(d.cancelled());
  EXPECT_TRUE(d.cancel_reason().empty());
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_OPEN);
  EXPECT_EQ(d.version(), 3u);
}

TEST(OnRoundTerms, ASettledDeadlineIsNeitherMovedNorCancelled) {
  Deadline d = BrommaAfter({Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET")});
  EXPECT_TRUE(NoEvents(OnRoundTerms(BrommaTerms("2021-03-05"), kBromma, &d)));
  EXPECT_TRUE(NoEvents(OnRoundTerms(WithoutBromma(), kBromma, &d)));
}

TEST(OnRoundTerms, ABreachedDeadlineIsCancelledWhenTheAddresseeIsRemoved) {
  Deadline d = BrommaAfter({Breached()});
  EXPECT_EQ(OnRoundTerms(WithoutBromma(), kBromma, &d).size(), 1u);
}

// ==== the working-day rule ====

TEST(WorkingDayRule, ADeadlineOnASaturdayMovesToMonday) {
  EXPECT_TRUE(EventsAre(OnRoundTerms(BrommaTerms("2021-02-27"), kBromma, nullptr),
                        {ScheduledEvent("2021-02-27", "2021-03-01", Utc(2021, 3, 1, 23))}));
}

TEST(WorkingDayRule, WithoutTheRuleASaturdayStands) {
  EXPECT_TRUE(EventsAre(
      OnRoundTerms(BrommaTerms("2021-02-27", remiss::v1::ROUND_STATE_OPEN, false), kBromma,
                   nullptr),
      {ScheduledEvent("2021-02-27", "2021-02-27", Utc(2021, 2, 27, 23), false)}));
}

TEST(WorkingDayRule, GoodFridayMovesPastEasterToTuesday) {
  // Långfredagen 2021-04-02; påskafton and påskdagen; annandag påsk 2021-04-05. Summer time
  // (CEST, UTC+2) began on 28 March: the day ends at 22:00 UTC.
  EXPECT_TRUE(EventsAre(OnRoundTerms(BrommaTerms("2021-04-02"), kBromma, nullptr),
                        {ScheduledEvent("2021-04-02", "2021-04-06", Utc(2021, 4, 6, 22))}));
}

TEST(WorkingDayRule, AGrantedDateOnASundayMovesToMonday) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-13"), &d, On(2021, 2, 10)));  // a Saturday
  EXPECT_TRUE(EventsAre(
      Decide(Grant("anstand-1", "2021-03-14"), &d, On(2021, 2, 12)),
      {GrantedEvent("anstand-1", "2021-03-14"),
       ChangedEvent("2021-02-26", "2021-03-15", Utc(2021, 3, 15, 23),
                    "DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED", "2021-02-26")}));
}

// ==== extensions (anstånd) ====

TEST(RequestExtension, RecordsTheFirstRequestAsAnstand1) {
  Deadline d = BrommaScheduled();
  absl::StatusOr<Events> events = Decide(Request("2021-03-19"), &d, On(2021, 2, 10));
  EXPECT_TRUE(EventsAre(events, {RequestedEvent("anstand-1", "2021-03-19")}));
  Accept(d, events);
  ASSERT_EQ(d.extensions_size(), 1);
  EXPECT_EQ(d.extensions(0).state(), remiss::v1::EXTENSION_STATE_REQUESTED);
  EXPECT_EQ(d.extensions(0).requested_date(), "2021-03-19");
  // Asking does not move the deadline.
  EXPECT_EQ(d.effective_date(), "2021-02-26");
}

TEST(RequestExtension, ValidatesItsFieldsFirst) {
  Deadline d = BrommaScheduled();
  RequestExtensionRequest cmd = Request("2021-03-19");
  cmd.clear_referral_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &d, On(2021, 2, 10)), "referral_id", "is required"));
  cmd = Request("2021-03-19");
  cmd.clear_org_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, nullptr, On(2021, 2, 10)), "org_id", "is required"));
  EXPECT_TRUE(InvalidArgument(Decide(Request(""), &d, On(2021, 2, 10)), "requested_date",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(Decide(Request("19 mars 2021"), &d, On(2021, 2, 10)),
                              "requested_date", "is not a date"));
  EXPECT_TRUE(InvalidArgument(Decide(Request("2021-02-30"), &d, On(2021, 2, 10)),
                              "requested_date", "no such day"));
  EXPECT_TRUE(InvalidArgument(Decide(Request("2021-02-10"), &d, On(2021, 2, 10)),
                              "requested_date", "after today"));
  EXPECT_TRUE(InvalidArgument(Decide(Request("2021-03-19", "  "), &d, On(2021, 2, 10)),
                              "reason", "is required"));
  // Bad input wins over a missing deadline.
  EXPECT_TRUE(InvalidArgument(Decide(Request("2021-03-19", ""), nullptr, On(2021, 2, 10)),
                              "reason", "is required"));
}

TEST(RequestExtension, TheRequestedDateMustBeLaterThanTheEffectiveDate) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(InvalidArgument(Decide(Request("2021-02-26"), &d, On(2021, 2, 10)),
                              "requested_date", "later than the current effective date 2021-02-26"));
  EXPECT_TRUE(InvalidArgument(Decide(Request("2021-02-20"), &d, On(2021, 2, 10)),
                              "requested_date"));
}

TEST(RequestExtension, NeedsAScheduledDeadline) {
  EXPECT_TRUE(Refused(Decide(Request("2021-03-19"), nullptr, On(2021, 2, 10)),
                      absl::StatusCode::kNotFound, "org_id", "no deadline"));
  Deadline unscheduled;
  EXPECT_TRUE(Refused(Decide(Request("2021-03-19"), &unscheduled, On(2021, 2, 10)),
                      absl::StatusCode::kNotFound, "org_id", "no deadline"));
}

TEST(RequestExtension, NeedsAnOpenDeadline) {
  for (const DeadlineEvent& settled :
       {Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET"), Breached(),
        Ev(R"pb(response_declined_noted { referral_id: "ks-2019-1939" org_id: "bromma-sdn" })pb"),
        Ev(R"pb(deadline_cancelled {
                  referral_id: "ks-2019-1939"
                  org_id: "bromma-sdn"
                  reason: "the addressee was removed"
                })pb")}) {
    Deadline d = BrommaAfter({settled});
    EXPECT_TRUE(Refused(Decide(Request("2021-03-19"), &d, On(2021, 2, 10)),
                        absl::StatusCode::kFailedPrecondition, "outcome", "only while it is open"))
        << settled.ShortDebugString();
  }
}

TEST(RequestExtension, OnlyOneRequestIsPendingAtATime) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  EXPECT_TRUE(Refused(Decide(Request("2021-03-26"), &d, On(2021, 2, 11)),
                      absl::StatusCode::kFailedPrecondition, "extensions",
                      "anstand-1 (until 2021-03-19) is still pending"));
}

TEST(RequestExtension, ARequestAfterARefusalIsAnstand2) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  Accept(d, Decide(Refuse("anstand-1", "Tidplanen medger inte anstånd."), &d, On(2021, 2, 11)));
  EXPECT_TRUE(EventsAre(Decide(Request("2021-03-05", "Kortare anstånd"), &d, On(2021, 2, 12)),
                        {RequestedEvent("anstand-2", "2021-03-05", "Kortare anstånd")}));
}

TEST(DecideExtension, GrantingAsAskedMovesTheDeadline) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  absl::StatusOr<Events> events = Decide(Grant("anstand-1"), &d, On(2021, 2, 12));
  EXPECT_TRUE(EventsAre(events, {GrantedEvent("anstand-1", "2021-03-19"),
                                 ChangedEvent("2021-02-26", "2021-03-19", Utc(2021, 3, 19, 23),
                                              "DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED",
                                              "2021-02-26")}));
  Accept(d, events);
  EXPECT_EQ(d.extensions(0).state(), remiss::v1::EXTENSION_STATE_GRANTED);
  EXPECT_EQ(d.extensions(0).granted_date(), "2021-03-19");
  EXPECT_EQ(d.effective_date(), "2021-03-19");
  EXPECT_EQ(d.stated_deadline(), "2021-02-26");
}

TEST(DecideExtension, GrantingAnotherDateThanAsked) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  EXPECT_TRUE(EventsAre(Decide(Grant("anstand-1", "2021-03-12", "Anstånd till 12 mars."), &d,
                               On(2021, 2, 12)),
                        {GrantedEvent("anstand-1", "2021-03-12", "Anstånd till 12 mars."),
                         ChangedEvent("2021-02-26", "2021-03-12", Utc(2021, 3, 12, 23),
                                      "DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED", "2021-02-26")}));
}

TEST(DecideExtension, RefusingNeedsAReason) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  EXPECT_TRUE(InvalidArgument(Decide(Refuse("anstand-1", ""), &d, On(2021, 2, 12)), "note",
                              "is required"));
  DecideExtensionRequest with_date = Refuse("anstand-1", "Nej.");
  with_date.set_granted_date("2021-03-19");
  EXPECT_TRUE(InvalidArgument(Decide(with_date, &d, On(2021, 2, 12)), "granted_date",
                              "must be empty"));
  absl::StatusOr<Events> events =
      Decide(Refuse("anstand-1", "Tidplanen medger inte anstånd."), &d, On(2021, 2, 12));
  EXPECT_TRUE(EventsAre(events, {Ev(R"pb(extension_refused {
                                           referral_id: "ks-2019-1939"
                                           org_id: "bromma-sdn"
                                           extension_id: "anstand-1"
                                           reason: "Tidplanen medger inte anstånd."
                                         })pb")}));
  Accept(d, events);
  EXPECT_EQ(d.extensions(0).state(), remiss::v1::EXTENSION_STATE_REFUSED);
  EXPECT_EQ(d.extensions(0).decision_note(), "Tidplanen medger inte anstånd.");
  EXPECT_EQ(d.effective_date(), "2021-02-26");
}

TEST(DecideExtension, ARequestIsDecidedOnce) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  Accept(d, Decide(Grant("anstand-1"), &d, On(2021, 2, 12)));
  EXPECT_TRUE(Refused(Decide(Grant("anstand-1"), &d, On(2021, 2, 13)),
                      absl::StatusCode::kFailedPrecondition, "extension_id",
                      "already granted (until 2021-03-19)"));
  EXPECT_TRUE(Refused(Decide(Refuse("anstand-1", "Nej."), &d, On(2021, 2, 13)),
                      absl::StatusCode::kFailedPrecondition, "extension_id", "already granted"));
}

TEST(DecideExtension, UnknownRequestsAndDeadlinesAreNotFound) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(Refused(Decide(Grant("anstand-1"), &d, On(2021, 2, 12)),
                      absl::StatusCode::kNotFound, "extension_id", "never requested"));
  EXPECT_TRUE(Refused(Decide(Grant("anstand-1"), nullptr, On(2021, 2, 12)),
                      absl::StatusCode::kNotFound, "org_id", "no deadline"));
}

TEST(DecideExtension, ValidatesItsFieldsFirst) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  DecideExtensionRequest cmd = Grant("anstand-1");
  cmd.clear_referral_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &d, On(2021, 2, 12)), "referral_id", "is required"));
  cmd = Grant("anstand-1");
  cmd.clear_org_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, &d, On(2021, 2, 12)), "org_id", "is required"));
  EXPECT_TRUE(InvalidArgument(Decide(Grant(""), &d, On(2021, 2, 12)), "extension_id",
                              "is required"));
  EXPECT_TRUE(InvalidArgument(Decide(Grant("anstand-1", "2021-13-01"), &d, On(2021, 2, 12)),
                              "granted_date"));
  EXPECT_TRUE(InvalidArgument(Decide(Grant("anstand-1", "2021-02-12"), &d, On(2021, 2, 12)),
                              "granted_date", "after today"));
  // Bad input wins over an unknown request.
  EXPECT_TRUE(InvalidArgument(Decide(Grant("anstand-9", "2021-02-01"), &d, On(2021, 2, 12)),
                              "granted_date"));
}

TEST(DecideExtension, GrantingNeedsAnOpenDeadlineButRefusingDoesNot) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  Apply(d, {Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET")});
  EXPECT_TRUE(Refused(Decide(Grant("anstand-1"), &d, On(2021, 2, 22)),
                      absl::StatusCode::kFailedPrecondition, "outcome", "met"));
  EXPECT_TRUE(EventsAre(Decide(Refuse("anstand-1", "Svaret har redan kommit."), &d,
                               On(2021, 2, 22)),
                        {Ev(R"pb(extension_refused {
                                   referral_id: "ks-2019-1939"
                                   org_id: "bromma-sdn"
                                   extension_id: "anstand-1"
                                   reason: "Svaret har redan kommit."
                                 })pb")}));
}

TEST(DecideExtension, TheLatestGrantedDateCounts) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-12"), &d, On(2021, 2, 10)));
  Accept(d, Decide(Grant("anstand-1"), &d, On(2021, 2, 11)));
  Accept(d, Decide(Request("2021-03-26"), &d, On(2021, 3, 1)));
  absl::StatusOr<Events> events = Decide(Grant("anstand-2", "2021-03-19"), &d, On(2021, 3, 2));
  EXPECT_TRUE(EventsAre(events, {GrantedEvent("anstand-2", "2021-03-19"),
                                 ChangedEvent("2021-02-26", "2021-03-19", Utc(2021, 3, 19, 23),
                                              "DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED",
                                              "2021-03-12")}));
  Accept(d, events);
  EXPECT_EQ(d.effective_date(), "2021-03-19");
  ASSERT_EQ(d.extensions_size(), 2);
  EXPECT_EQ(d.extensions(0).extension_id(), "anstand-1");
  EXPECT_EQ(d.extensions(1).extension_id(), "anstand-2");
  // The stated deadline moved later but still before the grant: the grant still counts.
  EXPECT_TRUE(EventsAre(OnRoundTerms(BrommaTerms("2021-03-05"), kBromma, &d),
                        {ChangedEvent("2021-03-05", "2021-03-19", Utc(2021, 3, 19, 23),
                                      "DEADLINE_CHANGE_CAUSE_STATED_DEADLINE_MOVED",
                                      "2021-03-19")}));
}

TEST(DecideExtension, AGrantedDateNotLaterThanTheDeadlineIsRecordedButMovesNothing) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 10)));
  absl::StatusOr<Events> events = Decide(Grant("anstand-1", "2021-02-20"), &d, On(2021, 2, 12));
  EXPECT_TRUE(EventsAre(events, {GrantedEvent("anstand-1", "2021-02-20")}));
  Accept(d, events);
  EXPECT_EQ(d.effective_date(), "2021-02-26");
  EXPECT_EQ(d.extensions(0).state(), remiss::v1::EXTENSION_STATE_GRANTED);
}

// ==== reminders ====

// The deadline of 6 April 2021 (Tuesday after Easter), with summer time from 28 March.
Deadline EasterDeadline() { return BrommaScheduled("2021-04-06"); }

TEST(Reminders, DefaultPolicyIsFourteenThreeAndOneAfter) {
  EXPECT_EQ(DefaultReminderDays(), (std::vector<int32_t>{14, 3, -1}));
}

TEST(Reminders, GoOutAt0800StockholmTimeAcrossADaylightSavingChange) {
  Deadline d = EasterDeadline();
  ASSERT_EQ(d.effective_date(), "2021-04-06");
  std::vector<Timer> timers = TimersFor(d, DefaultReminderDays(), {});
  EXPECT_EQ(timers,
            (std::vector<Timer>{
                {Utc(2021, 3, 23, 7), TimerKind::kReminder, 14},  // 08:00 CET
                {Utc(2021, 4, 3, 6), TimerKind::kReminder, 3},    // 08:00 CEST
                {Utc(2021, 4, 6, 22), TimerKind::kDue, 0},        // the end of 6 April, CEST
                {Utc(2021, 4, 7, 6), TimerKind::kReminder, -1},   // 08:00 CEST the day after
            }));
}

TEST(Reminders, OnTheDayOfTheChangeItselfStill0800Local) {
  // 28 March 2021: clocks go from 02:00 CET to 03:00 CEST; 08:00 CEST is 06:00 UTC.
  Deadline d = BrommaScheduled("2021-03-31");
  std::vector<Timer> timers = TimersFor(d, {3}, {});
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[0], (Timer{Utc(2021, 3, 28, 6), TimerKind::kReminder, 3}));
}

TEST(Reminders, AnEmptyPolicyMeansTheDefault) {
  Deadline d = EasterDeadline();
  EXPECT_EQ(TimersFor(d, {}, {}), TimersFor(d, DefaultReminderDays(), {}));
}

TEST(Reminders, AreIssuedOnce) {
  Deadline d = EasterDeadline();
  Events events = OnReminderDue(d, 14, Utc(2021, 3, 23, 7, 1));
  EXPECT_TRUE(EventsAre(events, {Ev(absl::Substitute(R"pb(reminder_issued {
                                                            referral_id: "ks-2019-1939"
                                                            org_id: "bromma-sdn"
                                                            days_before: 14
                                                            effective_date: "2021-04-06"
                                                            reminded_at { seconds: $0 }
                                                          })pb",
                                                     Secs(Utc(2021, 3, 23, 7, 1))))}));
  Apply(d, events);
  EXPECT_THAT(d.reminders_issued(), ::testing::ElementsAre(14));
  EXPECT_TRUE(NoEvents(OnReminderDue(d, 14, Utc(2021, 3, 23, 7, 2))));
  std::vector<Timer> timers = TimersFor(d, DefaultReminderDays(), {});
  ASSERT_EQ(timers.size(), 3u);
  EXPECT_EQ(timers[0], (Timer{Utc(2021, 4, 3, 6), TimerKind::kReminder, 3}));
}

TEST(Reminders, TheDayAfterStillGoesOutAfterABreach) {
  Deadline d = BrommaAfter({Breached()});
  EXPECT_EQ(OnReminderDue(d, -1, Utc(2021, 2, 27, 7)).size(), 1u);
}

TEST(Reminders, NoneOnceAnsweredDeclinedOrCancelled) {
  for (const DeadlineEvent& settled :
       {Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET"),
        Ev(R"pb(response_declined_noted { referral_id: "ks-2019-1939" org_id: "bromma-sdn" })pb"),
        Ev(R"pb(deadline_cancelled { referral_id: "ks-2019-1939" org_id: "bromma-sdn" })pb")}) {
    Deadline d = BrommaAfter({settled});
    EXPECT_TRUE(NoEvents(OnReminderDue(d, 3, Utc(2021, 2, 23, 7)))) << settled.ShortDebugString();
  }
  Deadline unscheduled;
  EXPECT_TRUE(NoEvents(OnReminderDue(unscheduled, 3, Utc(2021, 2, 23, 7))));
}

// ==== the due instant ====

TEST(OnDue, AnOpenDeadlineIsBreached) {
  Deadline d = BrommaScheduled();
  Events events = OnDue(d);
  EXPECT_TRUE(EventsAre(events, {Breached()}));
  Apply(d, events);
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_BREACHED);
  EXPECT_EQ(d.breached_at().seconds(), Secs(RecordedAt(2)));
  EXPECT_TRUE(NoEvents(OnDue(d)));  // once
}

TEST(OnDue, NothingOnceAnsweredOrDeclined) {
  EXPECT_TRUE(NoEvents(OnDue(BrommaAfter({Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET")}))));
  EXPECT_TRUE(NoEvents(OnDue(BrommaAfter({Ev(
      R"pb(response_declined_noted { referral_id: "ks-2019-1939" org_id: "bromma-sdn" })pb")}))));
  Deadline unscheduled;
  EXPECT_TRUE(NoEvents(OnDue(unscheduled)));
}

// ==== answers, declinations, decisions ====

TEST(OnResponseEvent, AnAnswerBeforeTheDueInstantMeetsTheDeadline) {
  Deadline d = BrommaScheduled();
  Events events = OnResponseEvent(Submitted(Utc(2021, 2, 26, 22, 59)), &d);
  EXPECT_TRUE(EventsAre(events, {Answered(Utc(2021, 2, 26, 22, 59), "DEADLINE_OUTCOME_MET")}));
  Apply(d, events);
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_MET);
  EXPECT_EQ(d.submitted_at().seconds(), Secs(Utc(2021, 2, 26, 22, 59)));
  // A second submission fact changes nothing.
  EXPECT_TRUE(NoEvents(OnResponseEvent(Submitted(Utc(2021, 2, 26, 23, 30)), &d)));
}

TEST(OnResponseEvent, AnAnswerAtOrAfterTheDueInstantBeforeABreachIsLate) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(EventsAre(OnResponseEvent(Submitted(kDue0226), &d),
                        {Answered(kDue0226, "DEADLINE_OUTCOME_MET_LATE")}));
}

TEST(OnResponseEvent, AnAnswerAfterABreachIsBreachedThenAnsweredLate) {
  Deadline d = BrommaAfter({Breached()});
  Events events = OnResponseEvent(Submitted(Utc(2021, 3, 2, 9)), &d);
  EXPECT_TRUE(EventsAre(
      events, {Answered(Utc(2021, 3, 2, 9), "DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE")}));
  Apply(d, events);
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE);
  EXPECT_EQ(d.breached_at().seconds(), Secs(RecordedAt(2)));
}

TEST(OnResponseEvent, ADeclinationIsNoted) {
  Deadline d = BrommaScheduled();
  Events events = OnResponseEvent(Declined(), &d);
  EXPECT_TRUE(EventsAre(events, {Ev(absl::Substitute(R"pb(response_declined_noted {
                                                            referral_id: "ks-2019-1939"
                                                            org_id: "bromma-sdn"
                                                            declined_at { seconds: $0 }
                                                          })pb",
                                                     Secs(Utc(2021, 2, 10, 10))))}));
  Apply(d, events);
  EXPECT_EQ(d.outcome(), remiss::v1::DEADLINE_OUTCOME_DECLINED);
  EXPECT_TRUE(NoEvents(OnResponseEvent(Declined(), &d)));
  EXPECT_TRUE(NoEvents(OnResponseEvent(Submitted(Utc(2021, 2, 11, 10)), &d)));
}

TEST(OnResponseEvent, ABoardDecisionIsNotedOnce) {
  Deadline d = BrommaScheduled();
  Events events = OnResponseEvent(BoardDecided(), &d);
  EXPECT_TRUE(EventsAre(events, {DecisionNoted()}));
  Apply(d, events);
  EXPECT_TRUE(d.decided());
  EXPECT_TRUE(NoEvents(OnResponseEvent(BoardDecided(), &d)));
}

TEST(OnResponseEvent, ADelegationDecisionOrACorrectionRecordingADecisionCounts) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(EventsAre(
      OnResponseEvent(RespEv(R"pb(delegation_decision_recorded {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    delegation {
                                      decided_by_name: "Stadsdelsdirektören"
                                      decided_by_title: "Stadsdelsdirektör"
                                      date: "2021-02-20"
                                      decision_text: "Remissvaret överlämnas."
                                    }
                                  })pb"),
                      &d),
      {DecisionNoted()}));
  EXPECT_TRUE(EventsAre(
      OnResponseEvent(RespEv(R"pb(fact_corrected {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    corrects_version: 7
                                    reason: "Fel paragraf"
                                    board_decision_recorded {
                                      referral_id: "ks-2019-1939"
                                      org_id: "bromma-sdn"
                                      decision { meeting_date: "2021-02-18" paragraph: "§ 6" }
                                    }
                                  })pb"),
                      &d),
      {DecisionNoted()}));
  EXPECT_TRUE(NoEvents(OnResponseEvent(RespEv(R"pb(fact_corrected {
                                                     referral_id: "ks-2019-1939"
                                                     org_id: "bromma-sdn"
                                                     corrects_version: 3
                                                     registered { diary_number: "BRO 2020/441" }
                                                   })pb"),
                                       &d)));
}

TEST(OnResponseEvent, NothingWithoutAnActiveDeadline) {
  EXPECT_TRUE(NoEvents(OnResponseEvent(Submitted(Utc(2021, 2, 20, 10)), nullptr)));
  Deadline unscheduled;
  EXPECT_TRUE(NoEvents(OnResponseEvent(Submitted(Utc(2021, 2, 20, 10)), &unscheduled)));
  Deadline cancelled = BrommaScheduled();
  Apply(cancelled, OnRoundTerms(WithoutBromma(), kBromma, &cancelled));
  EXPECT_TRUE(NoEvents(OnResponseEvent(Submitted(Utc(2021, 2, 20, 10)), &cancelled)));
  EXPECT_TRUE(NoEvents(OnResponseEvent(BoardDecided(), &cancelled)));
  Deadline answered = BrommaAfter({Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET")});
  EXPECT_TRUE(NoEvents(OnResponseEvent(BoardDecided(), &answered)));
}

// ==== at risk ====

DeadlineEvent AtRisk(absl::string_view effective, absl::string_view last_meeting) {
  return Ev(absl::Substitute(R"pb(deadline_at_risk {
                                    referral_id: "ks-2019-1939"
                                    org_id: "bromma-sdn"
                                    effective_date: "$0"
                                    last_meeting: "$1"
                                  })pb",
                             effective, last_meeting));
}

TEST(CheckAtRisk, NoMeetingBeforeTheDeadlineIsAtRisk) {
  Deadline d = BrommaScheduled();
  Events events = CheckAtRisk(d, {Day(2021, 1, 20), Day(2021, 3, 17)}, Day(2021, 1, 25));
  EXPECT_TRUE(EventsAre(events, {AtRisk("2021-02-26", "2021-01-20")}));
  Apply(d, events);
  EXPECT_EQ(d.at_risk_for(), "2021-02-26");
  // Flagged once for this effective date.
  EXPECT_TRUE(NoEvents(CheckAtRisk(d, {Day(2021, 1, 20), Day(2021, 3, 17)}, Day(2021, 1, 26))));
}

TEST(CheckAtRisk, NoEarlierMeetingLeavesLastMeetingEmpty) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(EventsAre(CheckAtRisk(d, {Day(2021, 3, 17)}, Day(2021, 1, 25)),
                        {AtRisk("2021-02-26", "")}));
}

TEST(CheckAtRisk, AMeetingOnTheEffectiveDateOrTodayIsInTime) {
  Deadline d = BrommaScheduled();
  EXPECT_TRUE(NoEvents(CheckAtRisk(d, {Day(2021, 1, 20), Day(2021, 2, 26)}, Day(2021, 1, 25))));
  EXPECT_TRUE(NoEvents(CheckAtRisk(d, {Day(2021, 2, 18)}, Day(2021, 2, 18))));
}

TEST(CheckAtRisk, NotWhenDecidedSettledOrWithoutACalendar) {
  std::vector<absl::CivilDay> meetings = {Day(2021, 1, 20)};
  EXPECT_TRUE(NoEvents(CheckAtRisk(BrommaAfter({DecisionNoted()}), meetings, Day(2021, 1, 25))));
  EXPECT_TRUE(NoEvents(CheckAtRisk(
      BrommaAfter({Answered(Utc(2021, 1, 22, 10), "DEADLINE_OUTCOME_MET")}), meetings,
      Day(2021, 1, 25))));
  EXPECT_TRUE(NoEvents(CheckAtRisk(BrommaScheduled(), {}, Day(2021, 1, 25))));  // unknown
  // Past the effective date it is overdue, not at risk.
  EXPECT_TRUE(NoEvents(CheckAtRisk(BrommaScheduled(), meetings, Day(2021, 2, 27))));
}

TEST(CheckAtRisk, FlaggedAgainWhenAnExtensionMovesTheDateAndStillNoMeeting) {
  std::vector<absl::CivilDay> meetings = {Day(2021, 1, 20), Day(2021, 4, 14)};
  Deadline d = BrommaScheduled();
  Apply(d, CheckAtRisk(d, meetings, Day(2021, 1, 25)));
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 1)));
  Accept(d, Decide(Grant("anstand-1", "2021-03-12"), &d, On(2021, 2, 2)));
  EXPECT_TRUE(EventsAre(CheckAtRisk(d, meetings, Day(2021, 2, 3)),
                        {AtRisk("2021-03-12", "2021-01-20")}));
}

TEST(CheckAtRisk, NotAgainWhenTheExtensionReachesAMeeting) {
  std::vector<absl::CivilDay> meetings = {Day(2021, 1, 20), Day(2021, 3, 17)};
  Deadline d = BrommaScheduled();
  Apply(d, CheckAtRisk(d, meetings, Day(2021, 1, 25)));
  Accept(d, Decide(Request("2021-03-19"), &d, On(2021, 2, 1)));
  Accept(d, Decide(Grant("anstand-1"), &d, On(2021, 2, 2)));
  EXPECT_TRUE(NoEvents(CheckAtRisk(d, meetings, Day(2021, 2, 3))));
}

// ==== the timers of each state ====

TEST(TimersFor, AnOpenDeadlineHasRemindersTheDueTimerAndAnAtRiskCheck) {
  Deadline d = BrommaScheduled();
  // Meetings on 10 February and 17 March: the check runs when 10 February has ended.
  std::vector<Timer> timers =
      TimersFor(d, {14, 3}, {Day(2021, 2, 10), Day(2021, 3, 17)});
  EXPECT_EQ(timers, (std::vector<Timer>{
                        {Utc(2021, 2, 10, 23), TimerKind::kAtRisk, 0},
                        {Utc(2021, 2, 12, 7), TimerKind::kReminder, 14},
                        {Utc(2021, 2, 23, 7), TimerKind::kReminder, 3},
                        {kDue0226, TimerKind::kDue, 0},
                    }));
  // When it fires, the next day has begun and no meeting is left before the deadline.
  EXPECT_TRUE(EventsAre(CheckAtRisk(d, {Day(2021, 2, 10), Day(2021, 3, 17)},
                                    core::StockholmDate(Utc(2021, 2, 10, 23))),
                        {AtRisk("2021-02-26", "2021-02-10")}));
}

TEST(TimersFor, NoAtRiskCheckWithoutACalendarOrWithAMeetingOnTheDate) {
  Deadline d = BrommaScheduled();
  EXPECT_EQ(TimersFor(d, {-1}, {}).size(), 2u);
  EXPECT_EQ(TimersFor(d, {0}, {Day(2021, 2, 26)}),
            (std::vector<Timer>{{Utc(2021, 2, 26, 7), TimerKind::kReminder, 0},
                                {kDue0226, TimerKind::kDue, 0}}));
}

TEST(TimersFor, NoMeetingBeforeTheDateChecksAtOnce) {
  Deadline d = BrommaScheduled();
  std::vector<Timer> timers = TimersFor(d, {3}, {Day(2021, 3, 17)});
  ASSERT_EQ(timers.size(), 3u);
  EXPECT_EQ(timers[0].kind, TimerKind::kAtRisk);
  EXPECT_LE(timers[0].at, Utc(2021, 1, 1));
}

TEST(TimersFor, NoAtRiskCheckOnceDecidedOrFlagged) {
  std::vector<absl::CivilDay> meetings = {Day(2021, 2, 10)};
  EXPECT_EQ(TimersFor(BrommaAfter({DecisionNoted()}), {3}, meetings),
            (std::vector<Timer>{{Utc(2021, 2, 23, 7), TimerKind::kReminder, 3},
                                {kDue0226, TimerKind::kDue, 0}}));
  EXPECT_EQ(TimersFor(BrommaAfter({AtRisk("2021-02-26", "2021-02-10")}), {3}, meetings).size(),
            2u);
}

TEST(TimersFor, ABreachedDeadlineKeepsOnlyItsPendingReminders) {
  Deadline d = BrommaScheduled();
  Apply(d, OnReminderDue(d, 14, Utc(2021, 2, 12, 7)));
  Apply(d, OnReminderDue(d, 3, Utc(2021, 2, 23, 7)));
  Apply(d, OnDue(d));
  EXPECT_EQ(TimersFor(d, DefaultReminderDays(), {Day(2021, 2, 10)}),
            (std::vector<Timer>{{Utc(2021, 2, 27, 7), TimerKind::kReminder, -1}}));
  Apply(d, OnReminderDue(d, -1, Utc(2021, 2, 27, 7)));
  EXPECT_TRUE(TimersFor(d, DefaultReminderDays(), {Day(2021, 2, 10)}).empty());
}

TEST(TimersFor, NoneWhenNotScheduledCancelledAnsweredOrDeclined) {
  std::vector<absl::CivilDay> meetings = {Day(2021, 2, 10)};
  Deadline unscheduled;
  EXPECT_TRUE(TimersFor(unscheduled, DefaultReminderDays(), meetings).empty());
  Deadline cancelled = BrommaScheduled();
  Apply(cancelled, OnRoundTerms(WithoutBromma(), kBromma, &cancelled));
  EXPECT_TRUE(TimersFor(cancelled, DefaultReminderDays(), meetings).empty());
  EXPECT_TRUE(TimersFor(BrommaAfter({Answered(Utc(2021, 2, 20, 10), "DEADLINE_OUTCOME_MET")}),
                        DefaultReminderDays(), meetings)
                  .empty());
  EXPECT_TRUE(TimersFor(BrommaAfter({Breached(), Answered(Utc(2021, 3, 1, 10),
                                                          "DEADLINE_OUTCOME_BREACHED_THEN_"
                                                          "ANSWERED_LATE")}),
                        DefaultReminderDays(), meetings)
                  .empty());
  EXPECT_TRUE(TimersFor(BrommaAfter({Ev(R"pb(response_declined_noted {
                                               referral_id: "ks-2019-1939"
                                               org_id: "bromma-sdn"
                                             })pb")}),
                        DefaultReminderDays(), meetings)
                  .empty());
}

TEST(TimersFor, FollowTheMovedDeadline) {
  Deadline d = BrommaScheduled();
  Accept(d, Decide(Request("2021-04-06"), &d, On(2021, 2, 10)));
  Accept(d, Decide(Grant("anstand-1"), &d, On(2021, 2, 12)));
  EXPECT_EQ(TimersFor(d, {3}, {}),
            (std::vector<Timer>{{Utc(2021, 4, 3, 6), TimerKind::kReminder, 3},
                                {Utc(2021, 4, 6, 22), TimerKind::kDue, 0}}));
}

// ==== reminder policy ====

SetReminderPolicyRequest Policy(std::vector<int32_t> days) {
  SetReminderPolicyRequest cmd;
  cmd.set_command_id("c-3");
  cmd.set_referral_id(std::string(kRound));
  for (int32_t d : days) cmd.add_days_before(d);
  return cmd;
}

TEST(SetReminderPolicy, RecordsTheDays) {
  EXPECT_TRUE(EventsAre(Decide(Policy({7, 1, 0, -2})),
                        {Ev(R"pb(reminder_policy_set {
                                   referral_id: "ks-2019-1939"
                                   days_before: [ 7, 1, 0, -2 ]
                                 })pb")}));
}

TEST(SetReminderPolicy, EmptySetsTheDefault) {
  EXPECT_TRUE(EventsAre(Decide(Policy({})), {Ev(R"pb(reminder_policy_set {
                                                      referral_id: "ks-2019-1939"
                                                      days_before: [ 14, 3, -1 ]
                                                    })pb")}));
}

TEST(SetReminderPolicy, RefusesBadDays) {
  EXPECT_TRUE(InvalidArgument(Decide(Policy({14, 366})), "days_before[1]", "between -365 and 365"));
  EXPECT_TRUE(InvalidArgument(Decide(Policy({-366})), "days_before[0]"));
  EXPECT_TRUE(InvalidArgument(Decide(Policy({14, 3, 14})), "days_before[2]", "more than once"));
  SetReminderPolicyRequest cmd = Policy({14});
  cmd.clear_referral_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd), "referral_id", "is required"));
  EXPECT_TRUE(Decide(Policy({365, -365})).ok());
}

// ==== board calendars ====

BoardCalendar BrommaCalendar() {
  return Parse<BoardCalendar>(R"pb(org_id: "bromma-sdn"
                                   meeting_dates: [ "2021-01-21", "2021-02-18" ])pb");
}

RegisterBoardMeetingsRequest Meetings(std::vector<std::string> dates) {
  RegisterBoardMeetingsRequest cmd;
  cmd.set_command_id("c-4");
  cmd.set_org_id(std::string(kBromma));
  for (auto& d : dates) cmd.add_dates(d);
  return cmd;
}

TEST(RegisterBoardMeetings, RecordsOnlyNewDatesSorted) {
  absl::StatusOr<Events> events =
      Decide(Meetings({"2021-03-18", "2021-02-18", "2021-03-18", "2021-01-21", "2021-03-04"}),
             BrommaCalendar());
  EXPECT_TRUE(EventsAre(events, {Ev(R"pb(board_meetings_scheduled {
                                           org_id: "bromma-sdn"
                                           dates: [ "2021-03-04", "2021-03-18" ]
                                         })pb")}));
  BoardCalendar calendar = BrommaCalendar();
  for (const auto& e : *events) Evolve(calendar, e);
  EXPECT_THAT(calendar.meeting_dates(),
              ::testing::ElementsAre("2021-01-21", "2021-02-18", "2021-03-04", "2021-03-18"));
}

TEST(RegisterBoardMeetings, NothingWhenNoDateIsNew) {
  EXPECT_TRUE(EventsAre(Decide(Meetings({"2021-02-18"}), BrommaCalendar()), {}));
}

TEST(RegisterBoardMeetings, RefusesBadInput) {
  EXPECT_TRUE(InvalidArgument(Decide(Meetings({}), BrommaCalendar()), "dates",
                              "at least one date"));
  EXPECT_TRUE(InvalidArgument(Decide(Meetings({"2021-03-04", "2021-02-29"}), BrommaCalendar()),
                              "dates[1]", "no such day"));
  EXPECT_TRUE(InvalidArgument(Decide(Meetings({"18/3"}), BrommaCalendar()), "dates[0]"));
  RegisterBoardMeetingsRequest cmd = Meetings({"2021-03-04"});
  cmd.clear_org_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, BoardCalendar()), "org_id", "is required"));
}

TEST(CancelBoardMeeting, RemovesAKnownDate) {
  CancelBoardMeetingRequest cmd;
  cmd.set_org_id(std::string(kBromma));
  cmd.set_date("2021-02-18");
  absl::StatusOr<Events> events = Decide(cmd, BrommaCalendar());
  EXPECT_TRUE(EventsAre(events, {Ev(R"pb(board_meeting_cancelled {
                                           org_id: "bromma-sdn"
                                           date: "2021-02-18"
                                         })pb")}));
  BoardCalendar calendar = BrommaCalendar();
  for (const auto& e : *events) Evolve(calendar, e);
  EXPECT_THAT(calendar.meeting_dates(), ::testing::ElementsAre("2021-01-21"));
}

TEST(CancelBoardMeeting, RefusesAnUnknownOrBadDate) {
  CancelBoardMeetingRequest cmd;
  cmd.set_org_id(std::string(kBromma));
  cmd.set_date("2021-02-19");
  EXPECT_TRUE(Refused(Decide(cmd, BrommaCalendar()), absl::StatusCode::kNotFound, "date",
                      "no meeting on 2021-02-19"));
  cmd.set_date("2021-02-30");
  EXPECT_TRUE(InvalidArgument(Decide(cmd, BrommaCalendar()), "date", "no such day"));
  cmd.set_date("2021-02-18");
  cmd.clear_org_id();
  EXPECT_TRUE(InvalidArgument(Decide(cmd, BrommaCalendar()), "org_id", "is required"));
}

// ==== evolve ====

TEST(Evolve, VersionFollowsTheStreamAndRemindersAppend) {
  Deadline d = BrommaScheduled();
  Apply(d, OnReminderDue(d, 14, Utc(2021, 2, 12, 7)));
  Apply(d, OnReminderDue(d, 3, Utc(2021, 2, 23, 7)));
  EXPECT_EQ(d.version(), 3u);
  EXPECT_THAT(d.reminders_issued(), ::testing::ElementsAre(14, 3));
  Evolve(d, DecisionNoted(), 9, RecordedAt(9));
  EXPECT_EQ(d.version(), 9u);
  EXPECT_TRUE(d.decided());
}

}  // namespace
}  // namespace remiss::deadlines
