// Who may act as KS on a round in deadlines (issue 25, finding 5): the ks of the round's
// owner, and only while its organization may send rounds. Pure functions; domain.h declares them.
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "remiss/deadlines/domain.h"

namespace remiss::deadlines {

absl::Status CheckKsRunsRound(absl::string_view referral_id, absl::string_view owner_org_id,
                             absl::string_view caller_org_id) {
  if (owner_org_id.empty() || owner_org_id == caller_org_id) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ks: round ", referral_id, " is run by organization \"", owner_org_id, "\"; a ks of \"",
      caller_org_id, "\" does not decide its extensions or set its reminders"));
}

absl::Status CheckKsMaySendRounds(absl::string_view caller_org_id,
                                  std::optional<bool> may_send_rounds) {
  if (!may_send_rounds.has_value() || *may_send_rounds) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ks: organization \"", caller_org_id,
      "\" may not send rounds (may_send_rounds is not set for it in referrals); its ks does not "
      "decide extensions or set reminders"));
}

std::optional<remiss::v1::SenderRightObserved> OnSendingRight(
    const remiss::v1::OrganizationSendingRight& right,
    const remiss::v1::SenderRightObserved* current) {
  if (right.org_id().empty()) return std::nullopt;
  if (current != nullptr && current->may_send_rounds() == right.may_send_rounds()) return std::nullopt;
  remiss::v1::SenderRightObserved observed;
  observed.set_org_id(right.org_id());
  observed.set_may_send_rounds(right.may_send_rounds());
  return observed;
}

}  // namespace remiss::deadlines
