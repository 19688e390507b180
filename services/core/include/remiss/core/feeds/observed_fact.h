// What a service that keeps the facts it observes of other services records (followup and
// notices rebuild their views from their own log alone): the fact of a source event as a
// FactObserved, and the envelope fields an event caused by a source event carries.
#pragma once

#include <string>

#include "remiss/v1/envelope.pb.h"

namespace remiss::core {

// `source`'s fact alone (its referrals, responses or deadlines event), with the source's name,
// position, stream version and recorded_at.
[[nodiscard]] remiss::v1::FactObserved ObservedFact(const remiss::v1::EventEnvelope& source);

// The stream a FactObserved of `source` is appended to: "observed/<source>/<partition key>".
[[nodiscard]] std::string ObservedStream(const remiss::v1::EventEnvelope& source);

// An envelope for an event `source` caused: its partition key, the source event as cause, its
// correlation id and trace.
[[nodiscard]] remiss::v1::EventEnvelope CausedBy(const remiss::v1::EventEnvelope& source);

}  // namespace remiss::core
