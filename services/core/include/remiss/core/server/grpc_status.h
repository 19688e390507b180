// The one mapping from absl::Status (used inside every service) to grpc::Status.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace remiss::core {

[[nodiscard]] grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace remiss::core
