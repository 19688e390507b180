// absl::Time <-> google.protobuf.Timestamp, the one conversion every service uses for the
// instants its events and views carry. Pure functions.
#pragma once

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace remiss::core {

// `t` as a Timestamp, rounded toward the past (nanos stay >= 0).
[[nodiscard]] google::protobuf::Timestamp ToTimestamp(absl::Time t);

// The instant a Timestamp stands for.
[[nodiscard]] absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace remiss::core
