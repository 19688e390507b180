// The referrals domain as pure functions: given the current state of an organization or a
// referral round and a command, decide which events happen (or why not); evolve the state
// by one event. No I/O, no clock: what a decision needs from outside comes in a
// DecisionContext. Errors are absl::Status with the gRPC-style code and a message that
// starts with the offending field: "case_number: must contain at least one digit ...".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/referrals_events.pb.h"

namespace remiss::referrals {

using Events = std::vector<remiss::v1::ReferralEvent>;

// What a decision may need beyond the aggregate's own state.
struct DecisionContext {
  absl::Time now;
  absl::CivilDay today;  // the date in Europe/Stockholm at `now`
  // Whether an organization id is registered.
  std::function<bool(absl::string_view)> organization_registered;
  // Whether a referral round with this id exists.
  std::function<bool(absl::string_view)> referral_exists;
  // A saved distribution list by its id, or nullopt (needed by commands that address a round).
  std::function<std::optional<remiss::v1::DistributionList>(absl::string_view)> distribution_list;
};

// ---- ids and validation ----

// "KS 2019/1939" -> "ks-2019-1939", "N2015/06917/PUB" -> "n2015-06917-pub"
// (core::NormalizeReferralId). Expects a valid case number.
[[nodiscard]] std::string ReferralIdForCaseNumber(absl::string_view case_number);
// A case number as the sender's diary writes it (core::ValidateDiaryNumber): "KS 2019/1939",
// "KS2019/1939", "N2015/06917/PUB", "Dnr 1.2.3-456/2020", "2019-001939". The error names
// `field`.
[[nodiscard]] absl::Status ValidateCaseNumber(absl::string_view field, absl::string_view value);
// The year a round belongs to, whatever its case number's format: the case number's first
// four-digit group within 1900-2999, else the year of `created_on`.
[[nodiscard]] int RoundYear(absl::string_view case_number, absl::CivilDay created_on);
// An organization id: 2-64 characters of a-z, 0-9 and '-', not starting or ending with '-'.
[[nodiscard]] absl::Status ValidateOrgId(absl::string_view field, absl::string_view value);
// A registry mailbox (registrator): empty, or a plain e-mail address "local@domain.tld" of at
// most 200 ASCII characters: the local part of letters, digits and !#$%&'*+/=?^_`{|}~.-
// (no leading, trailing or double dot), the domain of two or more dot-separated labels of
// letters, digits and '-'. The error names `field`.
[[nodiscard]] absl::Status ValidateRegistryMailbox(absl::string_view field, absl::string_view value);

// ---- organizations (state: nullptr when not registered) ----

[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RegisterOrganizationRequest& cmd,
                                            const remiss::v1::Organization* state);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::UpdateOrganizationRequest& cmd,
                                            const remiss::v1::Organization* state);
// The same mailbox again records nothing.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::SetRegistryMailboxRequest& cmd,
                                            const remiss::v1::Organization* state);
// Applies an organization event; `state` starts default-constructed. An event recorded
// before may_send_rounds existed makes the organization a sender iff its kind is
// ORGANIZATION_KIND_KOMMUNSTYRELSE.
void Evolve(remiss::v1::Organization& state, const remiss::v1::ReferralEvent& event);

// ---- who may act as `ks` (finding 5 of issue 25) ----

// Whether a `ks` of this organization may record and run rounds (null: not registered).
[[nodiscard]] bool MaySendRounds(const remiss::v1::Organization* org);
// The rule for every `ks` command of ReferralService: the caller's organization
// (`caller_org_id`, its state `caller_org`, null when unregistered) is registered and may
// send rounds; else PERMISSION_DENIED naming the rule.
[[nodiscard]] absl::Status CheckKsMaySendRounds(absl::string_view caller_org_id,
                                                const remiss::v1::Organization* caller_org);
// The first start's concession: while no organization may send rounds (`any_sender` false),
// a `ks` may register its own organization, as a sender.
[[nodiscard]] bool IsFirstSenderRegistration(const remiss::v1::RegisterOrganizationRequest& cmd,
                                             absl::string_view caller_org_id, bool any_sender);

// ---- referral rounds (state: nullptr when the round does not exist) ----

[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::CreateReferralRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::AttachDocumentRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::AddAddresseeRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::RemoveAddresseeRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
// Lists plus singles minus singles (addressing.cc): one AddresseeAdded per body newly
// addressed (with the lists that named it), one AddresseeRemoved per current addressee in
// remove_org_ids. Nothing to change: no events.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::AddressReferralRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::SetDeadlineRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::IssueReferralRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::MoveDeadlineRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::CloseReferralRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::WithdrawReferralRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::LinkRevisionRequest& cmd,
                                            const remiss::v1::Referral* state,
                                            const DecisionContext& ctx);

// Applies a referral event recorded at `recorded_at`; `state` starts default-constructed.
// Keeps stated_deadline of every addressee equal to its override or the round's deadline.
// Does not touch revised_by (that is the projection's, from the other round's event).
void Evolve(remiss::v1::Referral& state, const remiss::v1::ReferralEvent& event,
            absl::Time recorded_at);

}  // namespace remiss::referrals
