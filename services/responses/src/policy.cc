#include "remiss/responses/policy.h"

namespace remiss::responses {

// ks: rounds and KS's decisions; board: its own organization's part (OwnOrg: the request's
// org_id must be the board's own); queries: every role but the operator's.
core::ServicePolicy ResponseServicePolicy() {
  using core::Allow;
  const std::vector<std::string> board = {"board"};
  return {.service = "remiss.v1.ResponseService",
          .rules = {
      {"RegisterResponse", Allow(board).OwnOrg("org_id")},
      {"AssignCaseOfficer", Allow(board).OwnOrg("org_id")},
      {"RecordConsultation", Allow(board).OwnOrg("org_id")},
      {"RecordStatement", Allow(board).OwnOrg("org_id")},
      {"AttestStatement", Allow(board).OwnOrg("org_id")},
      {"RecordBoardDecision", Allow(board).OwnOrg("org_id")},
      {"RecordDelegationDecision", Allow(board).OwnOrg("org_id")},
      {"SubmitResponse", Allow(board).OwnOrg("org_id")},
      {"DeclineResponse", Allow(board).OwnOrg("org_id")},
      {"SupplementResponse", Allow(board).OwnOrg("org_id")},
      {"CorrectFact", Allow(board).OwnOrg("org_id")},
      {"GetResponse", Allow(core::Readers())},
      {"GetResponseTimeline", Allow(core::Readers())},
      {"ListResponsesForRound", Allow(core::Readers())},
      {"ListResponsesForOrganization", Allow(core::Readers())},
          }};
}

}  // namespace remiss::responses
