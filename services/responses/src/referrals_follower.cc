#include "remiss/responses/referrals_follower.h"

#include "remiss/responses/domain.h"
#include "remiss/responses/projector.h"

namespace remiss::responses {

absl::Status FollowReferrals(const core::FeedEvent& fed, core::Tx& tx) {
  const remiss::v1::EventEnvelope& source = fed.envelope;
  if (!source.has_referrals()) return absl::OkStatus();
  const remiss::v1::ReferralEvent& event = source.referrals();
  // Organizations' and distribution lists' events are not a round's (their key is no round).
  if (event.has_organization_registered() || event.has_organization_updated() ||
      event.has_registry_mailbox_set() || event.has_distribution_list_created() ||
      event.has_distribution_list_changed()) {
    return absl::OkStatus();
  }
  const std::string& referral_id = source.partition_key();
  std::optional<remiss::v1::RoundTermsRecorded> current = LoadTerms(tx, referral_id);
  std::optional<remiss::v1::RoundTermsRecorded> next =
      NextTerms(current ? &*current : nullptr, event, source.position());
  if (!next) return absl::OkStatus();
  // The round's owner: the organization of the ks who issued it (referrals let only a ks of
  // an organization that may send rounds do that). Later terms keep it.
  if (!current) next->set_owner_org_id(source.actor().org_id());
  remiss::v1::EventEnvelope own;
  *own.mutable_responses()->mutable_round_terms_recorded() = std::move(*next);
  own.set_partition_key(referral_id);
  *own.mutable_occurred_at() = source.occurred_at();
  *own.mutable_actor() = source.actor();
  own.set_causation_id(source.event_id());
  own.set_correlation_id(source.correlation_id().empty() ? source.event_id()
                                                         : source.correlation_id());
  own.set_traceparent(source.traceparent());
  return tx.Append(RoundStream(referral_id), std::nullopt, {std::move(own)});
}

}  // namespace remiss::responses
