#include "remiss/referrals/policy.h"

namespace remiss::referrals {

// ks: rounds and KS's decisions; board: its own organization's part (OwnOrg: the request's
// org_id must be the board's own); queries: every role but the operator's.
core::ServicePolicy ReferralServicePolicy() {
  using core::Allow;
  const std::vector<std::string> ks = {"ks"};
  return {.service = "remiss.v1.ReferralService",
          .rules = {
      {"RegisterOrganization", Allow(ks)},
      {"UpdateOrganization", Allow(ks)},
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
