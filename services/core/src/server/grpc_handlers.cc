#include "remiss/core/server/grpc_handlers.h"

#include <openssl/evp.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "remiss/core/server/auth_gate.h"
#include "remiss/core/server/caller.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/server/policy.h"
#include "remiss/core/server/grpc_status.h"
#include "remiss/core/base/message_checks.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/base/validation.h"
#include "absl/strings/match.h"

namespace remiss::core {
namespace {

absl::Status CheckCommandId(const google::protobuf::Message& request, std::string* command_id) {
  const auto* field = request.GetDescriptor()->FindFieldByName("command_id");
  if (field == nullptr) return absl::InternalError("a command without a command_id field");
  *command_id = request.GetReflection()->GetString(request, field);
  if (command_id->empty()) {
    return Invalid("command_id",
                   "is required: choose one per command (a UUID, or your system's own unique "
                   "number) and send the same one again only to retry that command");
  }
  REMISS_RETURN_IF_ERROR(MaxLength("command_id", *command_id, limits::kCommandId));
  return CheckText("command_id", *command_id, /*multiline=*/false);
}

// The policy's second half (the AuthGate checked the role before the handler): a certified
// board acts only for its own organization. Checked before anything else in the command.
absl::Status CheckActsForItself(const grpc::CallbackServerContext& ctx,
                                const google::protobuf::Message& request) {
  const Caller caller = CallerOf(ctx);
  if (!caller.certified) return absl::OkStatus();  // plaintext loopback development
  const std::string field = OwnOrganizationField(request.GetDescriptor()->full_name());
  absl::Status s = CheckOwnOrganization(caller, field, request);
  if (!s.ok()) {
    auto tp = ctx.client_metadata().find("traceparent");  // the server span's (service_host.cc)
    RecordRefusal(request.GetDescriptor()->full_name(), caller, s,
                  tp == ctx.client_metadata().end() ? absl::string_view()
                                                    : absl::string_view(tp->second.data(), tp->second.size()));
  }
  return s;
}

absl::Time DeadlineOf(const grpc::CallbackServerContext& ctx) {
  const auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

grpc::ServerUnaryReactor* FinishCall(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

std::string RequestFingerprint(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  const std::string& type = request.GetDescriptor()->full_name();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, type.data(), type.size() + 1);  // with its NUL: type and bytes apart
  EVP_DigestUpdate(ctx, bytes.data(), bytes.size());
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<const char*>(md), md_len);
}

grpc::ServerUnaryReactor* RunCommand(EventStore* store, grpc::CallbackServerContext* ctx,
                                     const google::protobuf::Message& request, const std::string& id,
                                     EventStore::TxFn decide, remiss::v1::CommandResult* result) {
  if (absl::Status s = CheckActsForItself(*ctx, request); !s.ok()) return FinishCall(ctx, s);
  std::string command_id;
  if (absl::Status s = CheckCommandId(request, &command_id); !s.ok()) return FinishCall(ctx, s);
  if (absl::Status s = CheckRequest(request); !s.ok()) return FinishCall(ctx, s);
  CommandMeta meta = MetaFromCall(*ctx, command_id);
  meta.fingerprint = RequestFingerprint(request);
  meta.command = request.GetDescriptor()->name();
  if (absl::EndsWith(meta.command, "Request")) meta.command.resize(meta.command.size() - 7);
  meta.deadline = DeadlineOf(*ctx);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  store->Submit(std::move(meta), std::move(decide),
                [reactor, result, id](absl::StatusOr<CommitResult> r) {
                  if (r.ok()) {
                    result->set_id(id);
                    result->set_stream_id(r->stream_id);
                    result->set_stream_version(r->stream_version);
                    result->set_first_position(r->first_position);
                    result->set_last_position(r->last_position);
                    result->set_repeated(r->repeated);
                  }
                  reactor->Finish(ToGrpcStatus(r.status()));
                });
  return reactor;
}

}  // namespace remiss::core
