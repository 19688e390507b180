// The followup domain as pure functions: what KS's staff see of a round (the status board,
// the compilation, an organization's view, revision chains), built from what the followup
// service observed of the other services, and KS's own follow-up commands.
//
// Observed facts are folded per source into their own records, so the result does not
// depend on the order in which the three sources' events arrive:
//   - from referrals: organizations' names (FoldOrganization);
//   - from responses: the round's terms (RoundTermsRecorded, kept as is) and each answer
//     (FoldResponse into a remiss.v1.Response summary);
//   - from deadlines: each deadline (FoldDeadline into a remiss.v1.Deadline summary).
// No I/O, no clock. Errors are absl::Status with gRPC-style codes and messages that start
// with the field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "remiss/core/base/byte_budget.h"
#include "remiss/v1/deadlines.pb.h"
#include "remiss/v1/deadlines_events.pb.h"
#include "remiss/v1/followup.pb.h"
#include "remiss/v1/followup_events.pb.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/referrals_events.pb.h"
#include "remiss/v1/responses.pb.h"
#include "remiss/v1/responses_events.pb.h"

namespace remiss::followup {

using Events = std::vector<remiss::v1::FollowupEvent>;

// ---- folds of observed events (each touches only its own record) ----

// OrganizationRegistered / OrganizationUpdated -> the organization's id, name, kind, prefix
// and whether it may send rounds (events from before may_send_rounds existed: iff a
// kommunstyrelse, as referrals folds them).
void FoldOrganization(remiss::v1::Organization& org, const remiss::v1::ReferralEvent& event);

// A response event of one (round, org), recorded as `version` of the response's stream at
// `recorded_at` -> the summary of that answer, folded as the responses service folds it
// (remiss::views::EvolveResponse): stage (registered, in preparation (officer or
// consultation), drafted, attested, decided (board or delegation), submitted, declined; a new
// draft after attestation goes back to drafted), diary_number, case_officer, statement (the
// latest draft; a FactCorrected replaces the fact it names), attestations, decision,
// delegation, submitted_at, decline_reason, supplements. referral_id and org_id are set from
// the event. RoundTermsRecorded leaves the summary as it is.
void FoldResponse(remiss::v1::Response& summary, const remiss::v1::ResponseEvent& event,
                  uint64_t version, absl::Time recorded_at);

// A deadline event of one (round, org), recorded as `version` of the deadline's stream at
// `recorded_at` -> the summary of that deadline, folded as the deadlines service folds it
// (remiss::views::EvolveDeadline): effective_date, stated_deadline, due_at, outcome (OPEN on
// schedule; MET/MET_LATE/BREACHED_THEN_ANSWERED_LATE from ResponseReceived; BREACHED;
// DECLINED; CANCELLED), extensions (requested, then granted or refused), at_risk_for,
// decided, submitted_at. Calendar and reminder-policy events leave the summary as it is.
void FoldDeadline(remiss::v1::Deadline& summary, const remiss::v1::DeadlineEvent& event,
                  uint64_t version, absl::Time recorded_at);

// ---- what KS sees ----

// Everything known of one round, as the projections hold it.
struct RoundRecords {
  remiss::v1::RoundTermsRecorded terms;                      // from responses
  std::map<std::string, remiss::v1::Organization> orgs;     // by org id (names)
  std::map<std::string, remiss::v1::Response> responses;    // by org id
  std::map<std::string, remiss::v1::Deadline> deadlines;    // by org id
  std::map<std::string, std::string> feedback;              // by org id
  std::vector<remiss::v1::FollowupAction> actions;          // in assignment order
  std::optional<remiss::v1::OutcomeRecorded> outcome;
};

// The status board of a round on `today` (Stockholm): one row per addressee asked to answer
// (the terms' addressees with answer REQUIRED or UNSPECIFIED), sorted by org id:
//   stage: the answer's stage in lower case words ("awaiting" when nothing is recorded);
//   answered: views::HasAnswered (submitted or declined; false is "ej inkommit");
//   stated_deadline from the terms; effective_deadline from the deadline summary (the stated
//   one until the deadlines service has scheduled it); days_left = effective - today while
//   not submitted or declined (0 once answered); extension: the latest extension's state
//   ("requested", "granted", "refused", or ""); standpoint in words from the latest
//   statement; submitted_at; late = the deadline outcome is MET_LATE or
//   BREACHED_THEN_ANSWERED_LATE; deadline_outcome in words; at_risk = at_risk_for equals
//   the effective date and not decided; feedback; actions of that org, each with overdue =
//   not done and due before today.
// Totals: by_stage (stage -> count), by_standpoint (standpoint -> count, answered rows
// only, key "" not counted); not_answered: org ids of rows not answered (views::HasAnswered).
// status: "issued", "closed" or "withdrawn" from the terms' state.
[[nodiscard]] remiss::v1::StatusBoard BuildBoard(const RoundRecords& round, absl::CivilDay today);

// One round as an organization's view shows it: the round's id, case number and title, and
// the organization's row of the status board on `today` (so "answered" and every other word
// are the board's own). nullopt when the round does not ask `org_id` to answer.
[[nodiscard]] std::optional<remiss::v1::OrganizationItem> BuildOrganizationItem(
    const RoundRecords& round, absl::string_view org_id, absl::CivilDay today);

// The compilation from the submitted answers: answers (org, name, standpoint enum name,
// the statement's summary, decided_by "board § N, YYYY-MM-DD" or "delegation, YYYY-MM-DD",
// submitted_at RFC 3339 UTC), standpoint counts (enum names), remarks grouped by topic
// (topics sorted; remarks in org id order), reservations and special statements of the
// board decisions grouped by party (kind "reservation" / "special statement"; a statement
// of several parties appears under each), not_answered (asked and not answered in the sense
// of views::HasAnswered: a body that declined has answered, as on the status board).
[[nodiscard]] remiss::v1::Compilation BuildCompilation(const RoundRecords& round);

// ---- KS's commands (round: nullptr when the round is not known here) ----

// Issue 25, finding 5: a `ks` acts on a round only for the organization that owns it (the
// terms' owner_org_id: the organization of the ks who issued it, which could then send
// rounds); else PERMISSION_DENIED naming both. Rounds recorded before the owner was
// restated (no owner) keep the rule before it: any ks.
[[nodiscard]] absl::Status CheckKsOwnsRound(const remiss::v1::RoundTermsRecorded& terms,
                                            absl::string_view caller_org_id);
// Issue 25, finding 5: a `ks` acts at all only while its organization may send rounds. An
// organization whose may_send_rounds referrals cleared (`caller_org`, as observed here) is
// refused with PERMISSION_DENIED naming the rule; one not (yet) observed here passes (referrals
// let only a sender's ks issue the round, and the owner rule still holds).
[[nodiscard]] absl::Status CheckKsMaySendRounds(absl::string_view caller_org_id,
                                                const remiss::v1::Organization* caller_org);

// A frozen version copies the whole compilation into one event, which the store keeps under
// core::kMaxCommandEventBytes (1 MiB) with its envelope (ids, actor, the command, trace): the
// compilation frozen may take this much of it.
inline constexpr size_t kMaxFrozenCompilationBytes = core::kMaxCommandEventBytes - (64 << 10);

// version = frozen_so_far + 1; the compilation as it stands. FAILED_PRECONDITION naming
// referral_id when the compilation is over kMaxFrozenCompilationBytes (it cannot be frozen;
// it is still read live, by board, with GetCompilationPage).
[[nodiscard]] absl::StatusOr<Events> DecideFreeze(const remiss::v1::FreezeCompilationRequest& cmd,
                                                  const RoundRecords* round, uint32_t frozen_so_far);
// decided_by required, decision_date a valid date, summary required; at most 2000/200 chars.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RecordOutcomeRequest& cmd,
                                            const RoundRecords* round);
// org must be an addressee; text required.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::GiveFeedbackRequest& cmd,
                                            const RoundRecords* round);
// org must be an addressee; description required; due_date a valid date after today.
// action_id = "action-<n>", n = the round's actions so far + 1.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::AssignActionRequest& cmd,
                                            const RoundRecords* round, absl::CivilDay today);
// The action must exist for that org (NOT_FOUND) and not be done (FAILED_PRECONDITION);
// done_on a valid date not after today (empty: today).
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::ReportActionDoneRequest& cmd,
                                            const RoundRecords* round, absl::CivilDay today);

// Applies an action event to the round's actions (assigned: appended; reported: marked done).
void FoldAction(std::vector<remiss::v1::FollowupAction>& actions,
                const remiss::v1::FollowupEvent& event);

}  // namespace remiss::followup
