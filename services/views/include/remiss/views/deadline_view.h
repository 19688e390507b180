// The folds of each service's public events into its public view message, owned by the
// publishing service and used by it and by its consumers: here the deadlines service's
// remiss.v1.DeadlineEvent into its remiss.v1.Deadline. Pure functions: no I/O, no clock.
#pragma once

#include <cstdint>

#include "absl/time/time.h"
#include "remiss/v1/deadlines.pb.h"
#include "remiss/v1/deadlines_events.pb.h"

namespace remiss::views {

// Applies a deadline event recorded as stream version `version` (of the deadline's stream)
// at `recorded_at`. referral_id and org_id are filled from the event while the view has
// none; a breach is stamped with `recorded_at`. Calendar and policy events leave the view
// as it is (but its version).
void EvolveDeadline(remiss::v1::Deadline& state, const remiss::v1::DeadlineEvent& event,
                    uint64_t version, absl::Time recorded_at);

}  // namespace remiss::views
