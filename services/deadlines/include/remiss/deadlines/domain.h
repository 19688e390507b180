// The deadlines domain as pure functions: one deadline per (round, addressee), what happens
// to it when the responses service's events arrive (the round's terms, answers, decisions),
// when a timer fires (reminders, the due instant, the end of a board meeting day), and when
// someone asks for an extension. No I/O, no clock: the caller passes the time.
//
// Dates are civil dates "YYYY-MM-DD" in Europe/Stockholm; a deadline is due at the end of its
// effective date, Stockholm time (core::EndOfStockholmDay). The effective date is the later
// of the stated deadline and the latest granted extension, with the round's working-day rule
// applied (calendar.h). Errors are absl::Status with gRPC-style codes and a message that
// starts with the offending field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "remiss/v1/deadlines.pb.h"
#include "remiss/v1/deadlines_events.pb.h"
#include "remiss/v1/responses_events.pb.h"

namespace remiss::deadlines {

using Events = std::vector<remiss::v1::DeadlineEvent>;

// The reminder policy when a round sets none: 14 and 3 days before, 1 day after.
const std::vector<int32_t>& DefaultReminderDays();

// ---- following the responses service (state: nullptr when no deadline stream exists) ----

// A round's new terms (responses' RoundTermsRecorded) for one org:
//  - the org is an addressee asked to answer (answer REQUIRED) and no deadline is scheduled:
//    DeadlineScheduled (effective date and due_at computed; the terms' owner_org_id);
//  - scheduled, and the stated deadline or working-day rule changed so that the effective
//    date changes: DeadlineChanged (cause STATED_DEADLINE_MOVED); a stated change that
//    leaves the effective date as it is (an extension is later) still updates the stated
//    date: DeadlineChanged with the same effective date;
//  - scheduled and open, and the org is no longer an addressee or the round was withdrawn:
//    DeadlineCancelled;
//  - otherwise nothing (a closed round changes no deadline).
[[nodiscard]] Events OnRoundTerms(const remiss::v1::RoundTermsRecorded& terms,
                                  absl::string_view org_id, const remiss::v1::Deadline* state);

// An answer fact for this deadline: ResponseSubmitted -> ResponseReceived with the outcome
// (MET when submitted_at < due_at, MET_LATE when not and no breach was declared,
// BREACHED_THEN_ANSWERED_LATE after a breach); ResponseDeclined -> ResponseDeclinedNoted;
// BoardDecisionRecorded or DelegationDecisionRecorded -> BoardDecisionNoted (once).
// Nothing when the deadline is not scheduled, cancelled, or already answered/declined.
[[nodiscard]] Events OnResponseEvent(const remiss::v1::ResponseEvent& event,
                                     const remiss::v1::Deadline* state);

// ---- timers ----

enum class TimerKind { kReminder, kDue, kAtRisk };

struct Timer {
  absl::Time at;
  TimerKind kind;
  int32_t days_before = 0;  // for kReminder
  friend bool operator==(const Timer&, const Timer&) = default;
};

// The timers an open deadline needs now, given its state, the round's reminder policy and
// the board's meeting dates (sorted): a reminder at 08:00 Stockholm time on
// effective_date - days_before for each policy entry not yet issued (negative: after); the
// due timer at due_at until a breach, answer or declination; and, while the board has not
// decided and the deadline has not been flagged at risk for its effective date, an at-risk
// check at the end of the last meeting day on or before the effective date. None for a
// deadline that is not scheduled, cancelled, answered or declined (except: nothing).
[[nodiscard]] std::vector<Timer> TimersFor(const remiss::v1::Deadline& state,
                                           const std::vector<int32_t>& reminder_days,
                                           const std::vector<absl::CivilDay>& meetings);

// A reminder timer fired at `now`: ReminderIssued once per days_before (nothing when it was
// issued already or the deadline is no longer open).
[[nodiscard]] Events OnReminderDue(const remiss::v1::Deadline& state, int32_t days_before,
                                   absl::Time now);

// The due timer, called only once the responses feed is known to be past due_at: a breach
// when the deadline is still open (no answer, no declination), else nothing.
[[nodiscard]] Events OnDue(const remiss::v1::Deadline& state);

// Whether the deadline is at risk today: open, not decided, the board has a calendar
// (`meetings` non-empty), and no meeting falls on a day from `today` to the effective date.
// DeadlineAtRisk when it is and it has not been flagged for this effective date yet.
[[nodiscard]] Events CheckAtRisk(const remiss::v1::Deadline& state,
                                 const std::vector<absl::CivilDay>& meetings,
                                 absl::CivilDay today);

// ---- commands ----

struct DecisionContext {
  absl::Time now;
  absl::CivilDay today;  // in Stockholm at `now`
};

// The board asks for more time: requested_date valid and later than the current effective
// date; reason required; the deadline open (FAILED_PRECONDITION otherwise; NOT_FOUND when
// not scheduled); no other request pending (FAILED_PRECONDITION). The id is
// "anstand-<n>", n counting this deadline's requests from 1.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RequestExtensionRequest& cmd,
                                            const remiss::v1::Deadline* state,
                                            const DecisionContext& ctx);
// KS grants (granted_date empty = the requested date; else a valid date after today) or
// refuses (note required) a pending request (NOT_FOUND for an unknown id,
// FAILED_PRECONDITION for one already decided). A grant that changes the effective date
// also yields DeadlineChanged (cause EXTENSION_GRANTED).
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::DecideExtensionRequest& cmd,
                                            const remiss::v1::Deadline* state,
                                            const DecisionContext& ctx);
// Days between -365 and 365, no duplicates; empty sets the default policy.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::SetReminderPolicyRequest& cmd);
// At least one valid date; dates already registered are left out of the event (nothing
// when none is new). `calendar`: the board's current dates.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RegisterBoardMeetingsRequest& cmd,
                                            const remiss::v1::BoardCalendar& calendar);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::CancelBoardMeetingRequest& cmd,
                                            const remiss::v1::BoardCalendar& calendar);

// Issue 25, finding 5: a `ks` decides a round's extensions and sets its reminders only for
// the organization that owns it (`owner_org_id`, as the round's terms stated it when a
// deadline of it was scheduled); else PERMISSION_DENIED naming both. A round with no owner
// known (none scheduled yet, or scheduled before the owner was stated) keeps the rule before
// it: any `ks`.
[[nodiscard]] absl::Status CheckKsRunsRound(absl::string_view referral_id,
                                            absl::string_view owner_org_id,
                                            absl::string_view caller_org_id);

// Issue 25, finding 5: a `ks` of an organization whose right to send rounds referrals cleared
// (`may_send_rounds` false, as this service observed it through responses) decides no
// extensions and sets no reminders, not even on its own rounds: PERMISSION_DENIED naming it,
// as followup words it. An organization not observed (nullopt: none stated since this rule
// existed) keeps the rule before it: allowed.
[[nodiscard]] absl::Status CheckKsMaySendRounds(absl::string_view caller_org_id,
                                                std::optional<bool> may_send_rounds);

// What responses' OrganizationSendingRight makes this service record: SenderRightObserved
// when the right differs from the one last observed (`current`; nullptr: none), else
// nothing (a redelivery, or a restatement that changes nothing here).
[[nodiscard]] std::optional<remiss::v1::SenderRightObserved> OnSendingRight(
    const remiss::v1::OrganizationSendingRight& right,
    const remiss::v1::SenderRightObserved* current);

// ---- evolve ----

// Applies a deadline event recorded as stream version `version` at `recorded_at`.
void Evolve(remiss::v1::Deadline& state, const remiss::v1::DeadlineEvent& event,
            uint64_t version, absl::Time recorded_at);
// Applies a calendar event (sorted, unique dates).
void Evolve(remiss::v1::BoardCalendar& calendar, const remiss::v1::DeadlineEvent& event);

}  // namespace remiss::deadlines
