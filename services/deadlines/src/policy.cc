#include "remiss/deadlines/policy.h"

namespace remiss::deadlines {

// ks: rounds and KS's decisions; board: its own organization's part (OwnOrg: the request's
// org_id must be the board's own); queries: every role but the operator's.
core::ServicePolicy DeadlineServicePolicy() {
  using core::Allow;
  const std::vector<std::string> ks = {"ks"};
  const std::vector<std::string> board = {"board"};
  const std::vector<std::string> ks_or_board = {"ks", "board"};
  return {.service = "remiss.v1.DeadlineService",
          .rules = {
      {"RequestExtension", Allow(board).OwnOrg("org_id")},
      {"DecideExtension", Allow(ks)},
      {"SetReminderPolicy", Allow(ks)},
      {"RegisterBoardMeetings", Allow(ks_or_board).OwnOrg("org_id")},
      {"CancelBoardMeeting", Allow(ks_or_board).OwnOrg("org_id")},
      {"GetDeadline", Allow(core::Readers())},
      {"ListDeadlinesForRound", Allow(core::Readers())},
      {"ListOverdue", Allow(core::Readers())},
      {"ListDueForOrganization", Allow(core::Readers())},
      {"GetBoardCalendar", Allow(core::Readers())},
          }};
}

}  // namespace remiss::deadlines
