#include "tools/remissctl/rpc.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.pb.h"
#include "remiss/v1/admin.pb.h"
#include "remiss/v1/deadlines.pb.h"
#include "remiss/v1/followup.pb.h"
#include "remiss/v1/notices.pb.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/responses.pb.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/tls.h"

namespace remissctl {
namespace {

// The generated files register their descriptors only when linked in: name one message of
// each so that the pool knows every service.
void LinkDescriptors() {
  static const bool done = [] {
    (void)remiss::v1::CreateReferralRequest::descriptor();
    (void)remiss::v1::RegisterResponseRequest::descriptor();
    (void)remiss::v1::GetDeadlineRequest::descriptor();
    (void)remiss::v1::GetStatusBoardRequest::descriptor();
    (void)remiss::v1::ListNoticesRequest::descriptor();
    (void)remiss::v1::GetClockRequest::descriptor();
    (void)grpc::health::v1::HealthCheckRequest::descriptor();
    return true;
  }();
  (void)done;
}

std::string ServiceLabel(const std::string& service) {
  std::string s = service.substr(service.rfind('.') + 1);
  if (s == "ReferralService") return "the referrals service";
  if (s == "ResponseService") return "the responses service";
  if (s == "DeadlineService") return "the deadlines service";
  if (s == "FollowupService") return "the followup service";
  if (s == "NoticesService") return "the notices service (remissd runs it only with --smtp-url or --smtp-capture)";
  return "the server";
}

}  // namespace

std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* d) {
  LinkDescriptors();
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

const google::protobuf::MethodDescriptor* FindMethod(const std::string& service,
                                                     const std::string& method) {
  LinkDescriptors();
  const auto* s = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  return s ? s->FindMethodByName(method) : nullptr;
}

void Call(const Options& o, const std::string& address, const std::string& service,
          const std::string& method, const google::protobuf::Message& request,
          google::protobuf::Message* response) {
  static std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  auto& channel = channels[absl::StrCat(address, "\n", o.ca, "\n", o.cert)];
  if (!channel) {
    // As much as the services send (their default send limit, 4 x --max-message-bytes).
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(16 << 20);
    channel = grpc::CreateCustomChannel(address, ChannelCredentialsFor(o), args);
  }
  std::string target = absl::StrCat(ServiceLabel(service), " at ", address);

  std::string bytes;
  request.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer req(&slice, 1);
  grpc::ByteBuffer resp;

  grpc::ClientContext ctx;
  // A restore reads a whole topic: it gets at least ten minutes.
  const double seconds =
      method == "RestoreFromKafka" ? std::max(o.timeout_seconds, 600.0) : o.timeout_seconds;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  if (!o.as_org.empty()) ctx.AddMetadata("x-remiss-org", o.as_org);
  if (!o.as_role.empty()) ctx.AddMetadata("x-remiss-role", o.as_role);
  if (!o.as_person.empty()) ctx.AddMetadata("x-remiss-person", o.as_person);

  grpc::GenericStub stub(channel);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, absl::StrCat("/", service, "/", method), grpc::StubOptions(), &req, &resp,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    throw CallError(ExitCodeFor(status.error_code()), DescribeFailure(status, target));
  }
  std::vector<grpc::Slice> slices;
  if (!resp.Dump(&slices).ok()) throw CallError(kOther, absl::StrCat(target, " sent an unreadable answer"));
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (!response->ParseFromString(out)) {
    throw CallError(kOther, absl::StrCat(target, " sent an answer that is not a ",
                                         response->GetDescriptor()->full_name()));
  }
}

}  // namespace remissctl
