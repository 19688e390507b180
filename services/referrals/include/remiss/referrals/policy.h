// Who may call the ReferralService: its row of the policy (DESIGN.md, "Identity and authorization").
// Every RPC of the service has exactly one rule; the host refuses to start otherwise.
#pragma once

#include "remiss/core/server/policy.h"

namespace remiss::referrals {

[[nodiscard]] core::ServicePolicy ReferralServicePolicy();

}  // namespace remiss::referrals
