// What every service's thin gRPC handlers share: finishing a call with an absl::Status,
// and running a command on the store's writer so that the call finishes when its events
// are durable, with the CommandResult every command returns.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "remiss/core/event_store.h"
#include "remiss/v1/common.pb.h"

namespace remiss::core {

// Finishes the call with `status` (OK for a query whose response is filled).
grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const absl::Status& status);

// Submits `decide` with the call's meta (MetaFromCall) and finishes the call with the
// commit's result; `id` is the aggregate's id for CommandResult.id.
grpc::ServerUnaryReactor* RunCommand(EventStore* store, grpc::CallbackServerContext* ctx,
                                     const std::string& command_id, const std::string& id,
                                     EventStore::TxFn decide, remiss::v1::CommandResult* result);

// A request's optional expected_version, for requests that have one.
template <typename Request>
std::optional<uint64_t> ExpectedVersion(const Request& r) {
  if constexpr (requires { r.has_expected_version(); }) {
    if (r.has_expected_version()) return r.expected_version();
  }
  return std::nullopt;
}

}  // namespace remiss::core
