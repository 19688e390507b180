// Who may call the ResponseService: its row of the policy (DESIGN.md, "Identity and authorization").
// Every RPC of the service has exactly one rule; the host refuses to start otherwise.
#pragma once

#include "remiss/core/server/policy.h"

namespace remiss::responses {

[[nodiscard]] core::ServicePolicy ResponseServicePolicy();

}  // namespace remiss::responses
