// The notices domain as pure functions (DESIGN.md, "Notices"): which notices an observed
// event of the referrals, responses or deadlines service yields, one per (event, recipient),
// and the operator's retry and skip. No I/O, no clock.
//
// What is known of a round comes from referrals (the round, its addressees, the bodies'
// registry mailboxes); whether a body has answered from responses and deadlines. A notice
// needs its round and its recipient's organization: when they have not arrived yet (another
// feed is behind), the decision is UNAVAILABLE, so the feed delivers the event again later.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "remiss/v1/envelope.pb.h"
#include "remiss/v1/notices.pb.h"
#include "remiss/v1/notices_events.pb.h"
#include "remiss/v1/referrals.pb.h"

namespace remiss::notices {

// What the decisions read of one round (the projections' rows, loaded by the caller).
struct RoundView {
  std::optional<remiss::v1::NoticeRound> round;           // nullopt: not known (yet)
  std::map<std::string, remiss::v1::Organization> orgs;   // by org id, those known
  // When each body's answer (or declination) was recorded by its source, by org id. A
  // reminder, overdue or change notice is held back only for an answer recorded before its
  // own event: what the feeds deliver first does not change the notices.
  std::map<std::string, absl::Time> answered;
  std::set<std::string> queued;                           // notice ids queued already
};

// How notices link back: the console's address ("https://remiss.example.se"), no slash at
// the end; empty: no link in the message.
struct NoticeSettings {
  std::string console_url;
};

// The kind's short name as in notice ids and template files: "round", "reminder", "overdue",
// "overdue_summary", "receipt", "change".
[[nodiscard]] std::string KindName(remiss::v1::NoticeKind kind);

// Folds a referrals round event (ReferralDrafted, DocumentAttached, AddresseeAdded/Removed,
// DeadlineSet, ReferralIssued, DeadlineMoved, ReferralClosed/Withdrawn) into the round.
void FoldRound(remiss::v1::NoticeRound& round, const remiss::v1::ReferralEvent& event);
// Folds the deadlines service's date for one body (DeadlineScheduled, DeadlineChanged) into
// the round.
void FoldDeadlineDate(remiss::v1::NoticeRound& round, const remiss::v1::DeadlineEvent& event);
// Folds OrganizationRegistered / OrganizationUpdated / RegistryMailboxSet.
void FoldOrganization(remiss::v1::Organization& org, const remiss::v1::ReferralEvent& event);
// Whether an observed event tells that its body answered (ResponseSubmitted, ResponseDeclined,
// ResponseReceived, ResponseDeclinedNoted): that body's org id, else "".
[[nodiscard]] std::string AnsweredBy(const remiss::v1::EventEnvelope& observed);

// The notices `observed` yields, given the round as it stands after the event was folded:
//   ReferralIssued: the round to every addressee with a mailbox;
//   AddresseeAdded to an issued round: the round to that addressee;
//   ReminderIssued: a reminder, unless the body had answered by then;
//   DeadlineBreached: an overdue notice to the body (unless it had answered by then) and,
//     once per round and date, one to the sender's registry listing the required addressees
//     that had not answered by then;
//   ResponseSubmitted: a receipt to the body;
//   DeadlineChanged (moved, extension granted), ExtensionRefused: a change notice, unless
//     the body had answered by then.
// "By then": answered_at before the observed event's recorded_at (at the same instant the
// event's own service decided without the answer, so the notice goes).
// A notice id already in view.queued is not queued again; a body without a mailbox gets
// nothing. UNAVAILABLE while the round or a recipient's organization is not known.
[[nodiscard]] absl::StatusOr<std::vector<remiss::v1::NoticeQueued>> NoticesFor(
    const remiss::v1::EventEnvelope& observed, const RoundView& view, const NoticeSettings& settings);

// An operator's retry of `notice` (state PARKED), to `current_mailbox` (the organization's
// mailbox now; empty: the notice's own recipient). NOT_FOUND / FAILED_PRECONDITION naming
// notice_id otherwise.
[[nodiscard]] absl::StatusOr<remiss::v1::NoticeRetried> DecideRetry(
    const remiss::v1::RetryNoticeRequest& request, const remiss::v1::Notice* notice,
    absl::string_view current_mailbox);
// An operator's skip: reason required; the notice must not be delivered or skipped already.
[[nodiscard]] absl::StatusOr<remiss::v1::NoticeSkipped> DecideSkip(
    const remiss::v1::SkipNoticeRequest& request, const remiss::v1::Notice* notice);

// The Message-ID of the notice queued as event `event_id`: "<notice.<event_id>@<domain>>".
[[nodiscard]] std::string MessageIdFor(absl::string_view event_id, absl::string_view domain);

// Retry delay after the `attempt`-th temporary failure: base * 2^(attempt-1), at most `cap`.
[[nodiscard]] absl::Duration BackoffAfter(uint32_t attempt, absl::Duration base, absl::Duration cap);

}  // namespace remiss::notices
