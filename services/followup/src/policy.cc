#include "remiss/followup/policy.h"

namespace remiss::followup {

// ks: rounds and KS's decisions; board: its own organization's part (OwnOrg: the request's
// org_id must be the board's own); queries: every role but the operator's.
core::ServicePolicy FollowupServicePolicy() {
  using core::Allow;
  const std::vector<std::string> ks = {"ks"};
  const std::vector<std::string> ks_or_board = {"ks", "board"};
  return {.service = "remiss.v1.FollowupService",
          .rules = {
      {"FreezeCompilation", Allow(ks)},
      {"RecordOutcome", Allow(ks)},
      {"GiveFeedback", Allow(ks)},
      {"AssignAction", Allow(ks)},
      {"ReportActionDone", Allow(ks_or_board).OwnOrg("org_id")},
      {"GetStatusBoard", Allow(core::Readers())},
      {"GetOrganizationView", Allow(core::Readers())},
      {"GetCompilation", Allow(core::Readers())},
      {"GetCompilationPage", Allow(core::Readers())},
      {"GetRevisionChain", Allow(core::Readers())},
          }};
}

}  // namespace remiss::followup
