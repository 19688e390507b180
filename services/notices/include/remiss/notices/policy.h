// Who may call the NoticesService: its row of the policy (DESIGN.md, "Identity and authorization").
// Every RPC of the service has exactly one rule; the host refuses to start otherwise.
#pragma once

#include "remiss/core/server/policy.h"

namespace remiss::notices {

[[nodiscard]] core::ServicePolicy NoticesServicePolicy();

}  // namespace remiss::notices
