#include "remiss/core/grpc_handlers.h"

#include "remiss/core/grpc_status.h"
#include "remiss/core/service_host.h"

namespace remiss::core {

grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* RunCommand(EventStore* store, grpc::CallbackServerContext* ctx,
                                     const std::string& command_id, const std::string& id,
                                     EventStore::TxFn decide, remiss::v1::CommandResult* result) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  store->Submit(MetaFromCall(*ctx, command_id), std::move(decide),
                [reactor, result, id](absl::StatusOr<CommitResult> r) {
                  if (r.ok()) {
                    result->set_id(id);
                    result->set_stream_id(r->stream_id);
                    result->set_stream_version(r->stream_version);
                    result->set_first_position(r->first_position);
                    result->set_last_position(r->last_position);
                  }
                  reactor->Finish(ToGrpcStatus(r.status()));
                });
  return reactor;
}

}  // namespace remiss::core
