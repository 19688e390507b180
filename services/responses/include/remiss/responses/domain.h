// The responses domain as pure functions. Two parts:
//  - the round's terms as this service knows them, followed from the referrals service's
//    events (NextTerms), recorded as RoundTermsRecorded on stream "round/<referral_id>";
//  - one board's answer (stream "response/<referral_id>/<org_id>"): Decide per command
//    given the round's terms and the response so far, and Evolve by one event.
// No I/O, no clock: what a decision needs from outside comes in a DecisionContext.
// Errors are absl::Status with the gRPC-style code and a message that starts with the
// offending field, e.g. "diary_number: must look like \"BRO 2020/440\"".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "remiss/v1/referrals_events.pb.h"
#include "remiss/v1/responses.pb.h"
#include "remiss/v1/responses_events.pb.h"

namespace remiss::responses {

using Events = std::vector<remiss::v1::ResponseEvent>;

// ---- the round's terms, from the referrals service's events ----

// The terms after `event` (a referrals event at `referrals_position`), given the terms so
// far (nullptr: the round is not known yet). nullopt when the event changes nothing this
// service cares about: drafts are ignored until ReferralIssued, which carries the whole
// terms. Handles ReferralIssued, AddresseeAdded, AddresseeRemoved, DeadlineMoved,
// ReferralClosed, ReferralWithdrawn, RevisionLinked.
[[nodiscard]] std::optional<remiss::v1::RoundTermsRecorded> NextTerms(
    const remiss::v1::RoundTermsRecorded* current, const remiss::v1::ReferralEvent& event,
    uint64_t referrals_position);

// ---- an organization's right to send rounds, from the referrals service's events ----

// The right after `event` (a referrals event at `referrals_position`) given the right last
// stated (nullptr: none yet), or nullopt when there is nothing new to state: the event is no
// OrganizationRegistered or OrganizationUpdated, was followed already (a redelivery), or
// leaves the right as last stated. Events from before may_send_rounds existed state it as
// referrals folds them: a sender iff the organization is a kommunstyrelse.
[[nodiscard]] std::optional<remiss::v1::OrganizationSendingRight> NextSendingRight(
    const remiss::v1::OrganizationSendingRight* current, const remiss::v1::ReferralEvent& event,
    uint64_t referrals_position);

// The response row as the terms make it: a new one (AWAITING) when `response` is nullptr,
// else `response` with the round's fields (case number, title, stated deadline, round
// state, removed) updated. Everything the board recorded is kept.
[[nodiscard]] remiss::v1::Response ApplyTerms(const remiss::v1::RoundTermsRecorded& terms,
                                              absl::string_view org_id,
                                              const remiss::v1::Response* response);

// ---- one board's answer ----

struct DecisionContext {
  absl::Time now;
  absl::CivilDay today;  // the date in Europe/Stockholm at `now`
};

// What every command needs: the round's terms (nullptr: this service has not heard of the
// round) and the response so far (nullptr when the board is not asked for an answer in it,
// i.e. no row exists). Checks common to all commands (the round known, the org an
// addressee asked to answer, the round not withdrawn, the addressee not removed) come first.
struct Subject {
  const remiss::v1::RoundTermsRecorded* terms = nullptr;
  const remiss::v1::Response* response = nullptr;
};

[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RegisterResponseRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::AssignCaseOfficerRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RecordConsultationRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RecordStatementRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::AttestStatementRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RecordBoardDecisionRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(
    const remiss::v1::RecordDelegationDecisionRequest& cmd, const Subject& subject,
    const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::SubmitResponseRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::DeclineResponseRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::SupplementResponseRequest& cmd,
                                            const Subject& subject, const DecisionContext& ctx);
// `corrected` is the response stream's event at cmd.corrects_version (nullptr: none).
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::CorrectFactRequest& cmd,
                                            const Subject& subject,
                                            const remiss::v1::ResponseEvent* corrected,
                                            const DecisionContext& ctx);

// Applies a response event recorded as stream version `version` at `recorded_at`.
// Ignores RoundTermsRecorded (that is ApplyTerms').
void Evolve(remiss::v1::Response& state, const remiss::v1::ResponseEvent& event,
            uint64_t version, absl::Time recorded_at);

}  // namespace remiss::responses
