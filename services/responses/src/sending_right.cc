// An organization's right to send rounds as the responses service restates it for the
// deadlines service (NextSendingRight).
#include <cstdint>
#include <optional>

#include "remiss/responses/domain.h"

namespace remiss::responses {

std::optional<remiss::v1::OrganizationSendingRight> NextSendingRight(
    const remiss::v1::OrganizationSendingRight* current, const remiss::v1::ReferralEvent& event,
    uint64_t referrals_position) {
  auto next = [&](const auto& e) -> std::optional<remiss::v1::OrganizationSendingRight> {
    if (current != nullptr && referrals_position <= current->referrals_position()) {
      return std::nullopt;  // followed already
    }
    const bool may_send_rounds = e.has_may_send_rounds()
                                     ? e.may_send_rounds()
                                     : e.kind() == remiss::v1::ORGANIZATION_KIND_KOMMUNSTYRELSE;
    if (current != nullptr && current->may_send_rounds() == may_send_rounds) return std::nullopt;
    remiss::v1::OrganizationSendingRight right;
    right.set_org_id(e.org_id());
    right.set_may_send_rounds(may_send_rounds);
    right.set_referrals_position(referrals_position);
    return right;
  };
  switch (event.event_case()) {
    case remiss::v1::ReferralEvent::kOrganizationRegistered:
      return next(event.organization_registered());
    case remiss::v1::ReferralEvent::kOrganizationUpdated:
      return next(event.organization_updated());
    default:
      return std::nullopt;
  }
}

}  // namespace remiss::responses
