// Who may call the FollowupService: its row of the policy (DESIGN.md, "Identity and authorization").
// Every RPC of the service has exactly one rule; the host refuses to start otherwise.
#pragma once

#include "remiss/core/server/policy.h"

namespace remiss::followup {

[[nodiscard]] core::ServicePolicy FollowupServicePolicy();

}  // namespace remiss::followup
