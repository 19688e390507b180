// What an event is, in 32 hex digits: a stable hash (SHA-256, cut to 128 bits) of its
// envelope serialized deterministically (map entries in key order). Two events at one
// position of one incarnation differ only in content when a store was restored to an earlier
// point and recorded anew: their ids are "<source>-<position>" either way.
#pragma once

#include <string>

#include "remiss/v1/envelope.pb.h"

namespace remiss::core {

std::string EventFingerprint(const remiss::v1::EventEnvelope& event);

}  // namespace remiss::core
