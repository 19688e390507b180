#include "remiss/responses/referrals_follower.h"

#include "remiss/responses/domain.h"
#include "remiss/responses/projector.h"

namespace remiss::responses {
namespace {

// This service's own event caused by the referrals event `source`, keyed `partition_key`.
remiss::v1::EventEnvelope Restated(const remiss::v1::EventEnvelope& source,
                                   const std::string& partition_key) {
  remiss::v1::EventEnvelope own;
  own.set_partition_key(partition_key);
  *own.mutable_occurred_at() = source.occurred_at();
  *own.mutable_actor() = source.actor();
  own.set_causation_id(source.event_id());
  own.set_correlation_id(source.correlation_id().empty() ? source.event_id()
                                                         : source.correlation_id());
  own.set_traceparent(source.traceparent());
  return own;
}

// An organization's registration or update: its right to send rounds, restated for the
// deadlines service when it is first stated or changes.
absl::Status FollowOrganization(const remiss::v1::EventEnvelope& source, core::Tx& tx) {
  const remiss::v1::ReferralEvent& event = source.referrals();
  const std::string& org_id = event.has_organization_registered()
                                  ? event.organization_registered().org_id()
                                  : event.organization_updated().org_id();
  std::optional<remiss::v1::OrganizationSendingRight> current = LoadSendingRight(tx, org_id);
  std::optional<remiss::v1::OrganizationSendingRight> next =
      NextSendingRight(current ? &*current : nullptr, event, source.position());
  if (!next) return absl::OkStatus();
  remiss::v1::EventEnvelope own = Restated(source, org_id);
  *own.mutable_responses()->mutable_organization_sending_right() = std::move(*next);
  return tx.Append(SenderStream(org_id), std::nullopt, {std::move(own)});
}

}  // namespace

absl::Status FollowReferrals(const core::FeedEvent& fed, core::Tx& tx) {
  const remiss::v1::EventEnvelope& source = fed.envelope;
  if (!source.has_referrals()) return absl::OkStatus();
  const remiss::v1::ReferralEvent& event = source.referrals();
  if (event.has_organization_registered() || event.has_organization_updated()) {
    return FollowOrganization(source, tx);
  }
  // Mailboxes' and distribution lists' events are not a round's (their key is no round).
  if (event.has_registry_mailbox_set() || event.has_distribution_list_created() ||
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
  remiss::v1::EventEnvelope own = Restated(source, referral_id);
  *own.mutable_responses()->mutable_round_terms_recorded() = std::move(*next);
  return tx.Append(RoundStream(referral_id), std::nullopt, {std::move(own)});
}

}  // namespace remiss::responses
