#include "remiss/core/server/grpc_status.h"

#include <string>

#include "remiss/core/base/message_checks.h"

namespace remiss::core {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbers. A message may quote a caller's input:
  // whatever would be unsafe to print leaves escaped.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), EscapeUnsafe(status.message()));
}

}  // namespace remiss::core
