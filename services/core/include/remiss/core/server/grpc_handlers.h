// What every service's thin gRPC handlers share: finishing a call with an absl::Status,
// and running a command on the store's writer so that the call finishes when its events
// are durable, with the CommandResult every command returns.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/common.pb.h"

namespace remiss::core {

// Finishes the call with `status` (OK for a query whose response is filled).
grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const absl::Status& status);

// Runs a client's command: checks the request as every command is checked (a command_id
// of 1-128 characters is required; CheckRequest: text hygiene and count caps), then submits
// `decide` with the call's meta (MetaFromCall, the request's fingerprint, the call's
// deadline) and finishes the call with the commit's result; `id` is the aggregate's id for
// CommandResult.id. A refusal changes nothing.
grpc::ServerUnaryReactor* RunCommand(EventStore* store, grpc::CallbackServerContext* ctx,
                                     const google::protobuf::Message& request, const std::string& id,
                                     EventStore::TxFn decide, remiss::v1::CommandResult* result);

// What identifies a request's content for command deduplication: a SHA-256 over the
// message's type and its deterministic serialization (command_id included).
[[nodiscard]] std::string RequestFingerprint(const google::protobuf::Message& request);

// A request's optional expected_version, for requests that have one.
template <typename Request>
std::optional<uint64_t> ExpectedVersion(const Request& r) {
  if constexpr (requires { r.has_expected_version(); }) {
    if (r.has_expected_version()) return r.expected_version();
  }
  return std::nullopt;
}

}  // namespace remiss::core
