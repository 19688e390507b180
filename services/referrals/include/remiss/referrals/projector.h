// The referrals service's projections, a pure fold of its events:
//   org/<org_id>            Organization
//   ref/<referral_id>       Referral (the domain state, plus revised_by)
//   addr/<org_id>/<ref_id>  "" : the rounds addressed to an organization
//   list/<list_id>          DistributionList
// The command handlers read the same projections as the aggregates' current state.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/referrals.pb.h"

namespace remiss::referrals {

std::string OrganizationKey(absl::string_view org_id);
std::string ReferralKey(absl::string_view referral_id);
std::string AddresseePrefix(absl::string_view org_id);  // "addr/<org_id>/"
std::string OrganizationStream(absl::string_view org_id);
std::string ReferralStream(absl::string_view referral_id);
std::string DistributionListKey(absl::string_view list_id);
std::string SenderKey(absl::string_view org_id);  // "sender/<org_id>": it may send rounds
// Whether any registered organization may send rounds.
bool AnySender(core::ProjectionTx& tx);
std::string DistributionListStream(absl::string_view list_id);

std::optional<remiss::v1::Organization> LoadOrganization(core::ProjectionTx& tx,
                                                         absl::string_view org_id);
std::optional<remiss::v1::DistributionList> LoadDistributionList(core::ProjectionTx& tx,
                                                                 absl::string_view list_id);
std::optional<remiss::v1::Referral> LoadReferral(core::ProjectionTx& tx,
                                                 absl::string_view referral_id);

class ReferralsProjector final : public core::Projector {
 public:
  absl::Status Apply(const remiss::v1::EventEnvelope& event, core::ProjectionTx& tx) override;
};

}  // namespace remiss::referrals
