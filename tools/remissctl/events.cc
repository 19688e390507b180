#include "tools/remissctl/events.h"

#include <chrono>
#include <iostream>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "remiss/v1/events.grpc.pb.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/tls.h"

namespace remissctl {
namespace {

constexpr char kHelp[] =
    "remissctl events SERVICE [--from N] [--follow]: a service's event log, as the server's\n"
    "EventsService streams it (the same events, with the same positions, that go to\n"
    "remiss.SERVICE.events.v1 on Kafka): one line per event, its position, type, stream and\n"
    "when it was recorded (UTC). SERVICE: referrals, responses, deadlines, followup or notices.\n"
    "\n"
    "  --from N    start at position N (default: the beginning)\n"
    "  --follow    stay and print new events as they are recorded (Ctrl-C to stop)\n"
    "  --json      one JSON object per line: {\"event\": {...}} for each event (the whole\n"
    "              envelope) and {\"watermark\": {...}} for each watermark\n"
    "\n"
    "Watermarks (\"every event recorded before T is at or below position N\") go to standard\n"
    "error without --json. Role: integrator or operator (under TLS, their certificates).\n"
    "Without --follow the stream ends once it has reached the log's head; the call's deadline\n"
    "is then --timeout or 10 minutes, whichever is longer.\n"
    "\n"
    "  remissctl events responses --from 120\n"
    "  remissctl events followup --follow --json\n";

// One message as one line of JSON (field names as in the .proto files).
std::string JsonLine(const google::protobuf::Message& m) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = false;
  opts.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

std::string Time(const google::protobuf::Timestamp& t) {
  return google::protobuf::util::TimeUtil::ToString(t);
}

}  // namespace

int RunEvents(const Options& o, const std::vector<std::string>& args) {
  if (o.help) {
    std::cout << kHelp;
    return kOk;
  }
  remiss::v1::SubscribeRequest request;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--follow") {
      request.set_follow(true);
    } else if (a == "--from") {
      uint64_t from = 0;
      if (i + 1 >= args.size() || !absl::SimpleAtoi(args[i + 1], &from)) {
        throw UsageError("--from takes a position: a whole number, 1 for the beginning");
      }
      request.set_from_position(from);
      ++i;
    } else if (a.rfind("--", 0) == 0) {
      throw UsageError(absl::StrCat("remissctl events has no option ", a));
    } else if (request.service().empty()) {
      request.set_service(a);
    } else {
      throw UsageError(absl::StrCat("remissctl events takes one service; \"", a,
                                    "\" is one too many"));
    }
  }
  if (request.service().empty()) {
    throw UsageError("remissctl events needs a SERVICE: referrals, responses, deadlines, followup or notices");
  }
  const std::string address = AddressFor(o, request.service());
  auto stub = remiss::v1::EventsService::NewStub(
      grpc::CreateChannel(address, ChannelCredentialsFor(o)));
  grpc::ClientContext ctx;
  if (!request.follow()) {
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(
                         std::max(o.timeout_seconds, 600.0) * 1000)));
  }
  if (!o.as_org.empty()) ctx.AddMetadata("x-remiss-org", o.as_org);
  if (!o.as_role.empty()) ctx.AddMetadata("x-remiss-role", o.as_role);
  if (!o.as_person.empty()) ctx.AddMetadata("x-remiss-person", o.as_person);
  auto reader = stub->Subscribe(&ctx, request);
  remiss::v1::SubscribeResponse message;
  while (reader->Read(&message)) {
    if (o.json) {
      std::cout << JsonLine(message) << "\n" << std::flush;
    } else if (message.has_event()) {
      const auto& e = message.event();
      std::cout << e.position() << "  " << e.type() << "  " << e.stream_id() << "  "
                << Time(e.recorded_at()) << "\n" << std::flush;
    } else if (message.has_watermark()) {
      std::cerr << "-- complete until " << Time(message.watermark().settled_until())
                << " at position " << message.watermark().position() << " (head "
                << message.watermark().head_position() << ")\n";
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) {
    throw CallError(ExitCodeFor(status.error_code()),
                    DescribeFailure(status, absl::StrCat("the events of ", request.service(),
                                                         " at ", address)));
  }
  return kOk;
}

}  // namespace remissctl
