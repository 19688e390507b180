// The followup service's projections, a pure fold of its own events (what it observed of
// the other services, and KS's follow-up):
//   org/<org_id>                        Organization (names, from referrals)
//   terms/<referral_id>                 RoundTermsRecorded (from responses)
//   resp/<referral_id>/<org_id>         Response summary (from responses)
//   dl/<referral_id>/<org_id>           Deadline summary (from deadlines)
//   org-rounds/<org_id>/<referral_id>   "" : the rounds an organization is asked in
//   revises/<referral_id>               the round it revises
//   revised-by/<referral_id>/<later>    "" : the rounds that revise it
//   feedback/<referral_id>/<org_id>     the feedback text
//   actions/<referral_id>               FollowupActions
//   outcome/<referral_id>               OutcomeRecorded
//   frozen/<referral_id>/<version>      CompilationFrozen (version big-endian)
// Each observed source writes only its own records, so the order the sources arrive in does
// not change the result.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/store/projection.h"
#include "remiss/followup/domain.h"

namespace remiss::followup {

// Read access to projections, inside a transaction or over committed state.
using Reader = core::ProjectionReader;
using core::ReaderOf;

// Everything known of a round; nullopt when its terms have not arrived.
std::optional<RoundRecords> LoadRound(const Reader& reader, absl::string_view referral_id);
uint32_t FrozenCount(const Reader& reader, absl::string_view referral_id);
std::string FollowupStream(absl::string_view referral_id);
std::string FrozenPrefix(absl::string_view referral_id);

class FollowupProjector final : public core::Projector {
 public:
  absl::Status Apply(const remiss::v1::EventEnvelope& event, core::ProjectionTx& tx) override;
};

}  // namespace remiss::followup
