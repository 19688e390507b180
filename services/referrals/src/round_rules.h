// The referrals domain's own rules that more than one of its files apply (domain.cc defines
// them; addressing.cc and organizations.cc use them). Private to the domain library.
#pragma once

#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "remiss/referrals/distribution_lists.h"
#include "remiss/referrals/domain.h"

namespace remiss::referrals::internal {

[[nodiscard]] absl::Status ValidateAnswerKind(absl::string_view field, remiss::v1::AnswerKind answer);
// UNSPECIFIED is REQUIRED.
[[nodiscard]] remiss::v1::AnswerKind ResolvedAnswer(remiss::v1::AnswerKind answer);
// Whether a stored "YYYY-MM-DD" lies after today.
[[nodiscard]] bool StoredDateIsAfter(absl::string_view date, absl::CivilDay today);
// NOT_FOUND naming referral_id unless the round exists.
[[nodiscard]] absl::Status RequireRound(const remiss::v1::Referral* state,
                                        absl::string_view referral_id);
// FAILED_PRECONDITION unless the round is in one of `allowed`, saying what `action` needs.
[[nodiscard]] absl::Status RequireStatus(const remiss::v1::Referral& state,
                                         std::initializer_list<remiss::v1::ReferralStatus> allowed,
                                         absl::string_view action, absl::string_view hint = "");
[[nodiscard]] const remiss::v1::Addressee* FindAddressee(const remiss::v1::Referral& state,
                                                         absl::string_view org_id);
[[nodiscard]] Events One(remiss::v1::ReferralEvent event);

// The events that address `state` (a draft or an issued round, possibly just drafted) as
// `addressing` says: AddresseeRemoved for each current addressee in addressing.remove (with
// `reason`, required once issued), then AddresseeAdded for each body not yet addressed, in
// org id order, with the lists that named it. Checks the round's limits and, once issued,
// that the new addressees still have time to answer.
[[nodiscard]] absl::StatusOr<Events> AddressingEvents(const remiss::v1::Referral& state,
                                                      const Addressing& addressing,
                                                      absl::string_view deadline_override,
                                                      remiss::v1::AnswerKind answer,
                                                      absl::string_view reason,
                                                      const DecisionContext& ctx);

}  // namespace remiss::referrals::internal
