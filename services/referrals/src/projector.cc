#include "remiss/referrals/projector.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/store/projection.h"
#include "remiss/referrals/distribution_lists.h"
#include "remiss/referrals/domain.h"

namespace remiss::referrals {
namespace {

using core::LoadMessage;
using core::RecordedAt;
using remiss::v1::ReferralEvent;

bool IsOrganizationEvent(const ReferralEvent& e) {
  return e.has_organization_registered() || e.has_organization_updated() ||
         e.has_registry_mailbox_set();
}

bool IsDistributionListEvent(const ReferralEvent& e) {
  return e.has_distribution_list_created() || e.has_distribution_list_changed();
}

// The referral id every round event carries in its first field.
std::string ReferralIdOf(const remiss::v1::EventEnvelope& e) { return e.partition_key(); }

}  // namespace

std::string OrganizationKey(absl::string_view org_id) { return absl::StrCat("org/", org_id); }
std::string ReferralKey(absl::string_view referral_id) { return absl::StrCat("ref/", referral_id); }
std::string AddresseePrefix(absl::string_view org_id) { return absl::StrCat("addr/", org_id, "/"); }
std::string DistributionListKey(absl::string_view list_id) {
  return absl::StrCat("list/", list_id);
}
std::string SenderKey(absl::string_view org_id) { return absl::StrCat("sender/", org_id); }
bool AnySender(core::ProjectionTx& tx) {
  bool any = false;
  tx.Scan("sender/", [&any](absl::string_view, absl::string_view) {
    any = true;
    return false;
  });
  return any;
}
std::string DistributionListStream(absl::string_view list_id) {
  return absl::StrCat("distribution-list/", list_id);
}
std::string OrganizationStream(absl::string_view org_id) {
  return absl::StrCat("organization/", org_id);
}
std::string ReferralStream(absl::string_view referral_id) {
  return absl::StrCat("referral/", referral_id);
}

std::optional<remiss::v1::Organization> LoadOrganization(core::ProjectionTx& tx,
                                                         absl::string_view org_id) {
  return LoadMessage<remiss::v1::Organization>(tx, OrganizationKey(org_id));
}

std::optional<remiss::v1::DistributionList> LoadDistributionList(core::ProjectionTx& tx,
                                                                 absl::string_view list_id) {
  return LoadMessage<remiss::v1::DistributionList>(tx, DistributionListKey(list_id));
}

std::optional<remiss::v1::Referral> LoadReferral(core::ProjectionTx& tx,
                                                 absl::string_view referral_id) {
  return LoadMessage<remiss::v1::Referral>(tx, ReferralKey(referral_id));
}

absl::Status ReferralsProjector::Apply(const remiss::v1::EventEnvelope& envelope,
                                       core::ProjectionTx& tx) {
  if (!envelope.has_referrals()) return absl::OkStatus();
  const ReferralEvent& event = envelope.referrals();
  if (IsOrganizationEvent(event)) {
    const std::string& org_id = envelope.partition_key();
    remiss::v1::Organization org = LoadOrganization(tx, org_id).value_or(remiss::v1::Organization());
    Evolve(org, event);
    tx.Put(OrganizationKey(org_id), org.SerializeAsString());
    if (MaySendRounds(&org)) {
      tx.Put(SenderKey(org_id), "");
    } else {
      tx.Delete(SenderKey(org_id));
    }
    return absl::OkStatus();
  }
  if (IsDistributionListEvent(event)) {
    const std::string& list_id = envelope.partition_key();
    remiss::v1::DistributionList list =
        LoadDistributionList(tx, list_id).value_or(remiss::v1::DistributionList());
    Evolve(list, event);
    tx.Put(DistributionListKey(list_id), list.SerializeAsString());
    return absl::OkStatus();
  }

  const std::string referral_id = ReferralIdOf(envelope);
  remiss::v1::Referral referral = LoadReferral(tx, referral_id).value_or(remiss::v1::Referral());
  Evolve(referral, event, RecordedAt(envelope));
  tx.Put(ReferralKey(referral_id), referral.SerializeAsString());

  if (event.has_addressee_added()) {
    tx.Put(AddresseePrefix(event.addressee_added().addressee().org_id()) + referral_id, "");
  } else if (event.has_addressee_removed()) {
    tx.Delete(AddresseePrefix(event.addressee_removed().org_id()) + referral_id);
  } else if (event.has_revision_linked()) {
    const std::string& earlier = event.revision_linked().revises_referral_id();
    auto revised = LoadReferral(tx, earlier);
    if (!revised) {
      return absl::DataLossError(absl::StrCat("revision_linked: round ", earlier, " is unknown"));
    }
    revised->add_revised_by(referral_id);
    tx.Put(ReferralKey(earlier), revised->SerializeAsString());
  }
  return absl::OkStatus();
}

}  // namespace remiss::referrals
