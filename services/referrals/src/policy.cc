#include "remiss/referrals/policy.h"

namespace remiss::referrals {

// ks: rounds and KS's decisions, for an organization that may send rounds (service.cc); board: its own organization's part (OwnOrg: the request's
// org_id must be the board's own); queries: every role but the operator's.
core::ServicePolicy ReferralServicePolicy() {
  using core::Allow;
  const std::vector<std::string> ks = {"ks"};
  // The operator registers the first organization that may send rounds (and may change who
  // may); a `ks` acts at all only for such an organization (checked in the service).
  const std::vector<std::string> ks_or_operator = {"ks", "operator"};
  return {.service = "remiss.v1.ReferralService",
          .rules = {
      {"RegisterOrganization", Allow(ks_or_operator)},
      {"UpdateOrganization", Allow(ks_or_operator)},
      {"GetOrganization", Allow(core::Readers())},
      {"ListOrganizations", Allow(core::Readers())},
      {"SetRegistryMailbox", Allow(ks)},
      {"CreateDistributionList", Allow(ks)},
      {"ChangeDistributionList", Allow(ks)},
      {"GetDistributionList", Allow(core::Readers())},
      {"ListDistributionLists", Allow(core::Readers())},
      {"CreateReferral", Allow(ks)},
      {"AttachDocument", Allow(ks)},
      {"AddAddressee", Allow(ks)},
      {"RemoveAddressee", Allow(ks)},
      {"AddressReferral", Allow(ks)},
      {"SetDeadline", Allow(ks)},
      {"IssueReferral", Allow(ks)},
      {"MoveDeadline", Allow(ks)},
      {"CloseReferral", Allow(ks)},
      {"WithdrawReferral", Allow(ks)},
      {"LinkRevision", Allow(ks)},
      {"GetReferral", Allow(core::Readers())},
      {"ListReferrals", Allow(core::Readers())},
      {"ListReferralsForOrganization", Allow(core::Readers())},
          }};
}

}  // namespace remiss::referrals
