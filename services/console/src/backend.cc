#include "backend.h"

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "words.h"

namespace remiss::console {
namespace {

constexpr int kServicesSendLimit = 16 << 20;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const ConsoleOptions& o) {
  if (o.grpc_ca.empty() && o.grpc_cert.empty() && o.grpc_key.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(o.grpc_ca);
  ssl.pem_cert_chain = ReadFile(o.grpc_cert);
  ssl.pem_private_key = ReadFile(o.grpc_key);
  return grpc::SslCredentials(ssl);
}

}  // namespace

Backend::Backend(const ConsoleOptions& o) : timeout_seconds_(o.call_timeout_seconds) {
  auto creds = Credentials(o);
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  auto channel = [&](const std::string& address) {
    auto& c = channels[address];
    if (!c) {
      // As much as the services send (their default send limit, 4 x --max-message-bytes): a
      // compilation larger than gRPC's default 4 MiB is still shown.
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(kServicesSendLimit);
      c = grpc::CreateCustomChannel(address, creds, args);
    }
    return c;
  };
  referrals_ = remiss::v1::ReferralService::NewStub(channel(o.referrals));
  responses_ = remiss::v1::ResponseService::NewStub(channel(o.responses));
  deadlines_ = remiss::v1::DeadlineService::NewStub(channel(o.deadlines));
  followup_ = remiss::v1::FollowupService::NewStub(channel(o.followup));
  notices_ = remiss::v1::NoticesService::NewStub(channel(o.notices));
}

std::unique_ptr<grpc::ClientContext> Backend::Context(const Person& person) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_seconds_));
  // On a plaintext loopback server these name the caller. Under mutual TLS the console's
  // gateway certificate vouches for them: reads and commands alike go as the person's
  // organization and role, which the services check (core::ActingFor) and which decide what
  // the person may see (a board's draft only by the board itself).
  ctx->AddMetadata("x-remiss-org", person.org_id);
  ctx->AddMetadata("x-remiss-role", person.role);
  ctx->AddMetadata("x-remiss-person", person.id);
  return ctx;
}

std::string SwedishError(const grpc::Status& status) {
  std::string what;
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT: what = "Uppgiften godtogs inte"; break;
    case grpc::StatusCode::NOT_FOUND: what = "Finns inte"; break;
    case grpc::StatusCode::ALREADY_EXISTS: what = "Finns redan"; break;
    case grpc::StatusCode::FAILED_PRECONDITION: what = "Går inte i det här läget"; break;
    case grpc::StatusCode::ABORTED: what = "Någon annan ändrade samtidigt; försök igen"; break;
    case grpc::StatusCode::PERMISSION_DENIED: what = "Du har inte behörighet till detta"; break;
    case grpc::StatusCode::UNAUTHENTICATED: what = "Okänd användare"; break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: what = "Tjänsten är upptagen; försök igen om en stund"; break;
    case grpc::StatusCode::DEADLINE_EXCEEDED: what = "Tjänsten svarade inte i tid; inget ändrades"; break;
    case grpc::StatusCode::UNAVAILABLE: what = "Tjänsten går inte att nå just nu"; break;
    case grpc::StatusCode::UNIMPLEMENTED: what = "Tjänsten kan inte detta ännu"; break;
    default: what = "Ett fel uppstod"; break;
  }
  const std::string& message = status.error_message();
  // The services start a message with the field: "case_number: must contain a digit".
  auto colon = message.find(": ");
  if (colon != std::string::npos && colon < 80) {
    std::string field = message.substr(0, colon);
    bool looks_like_field = !field.empty() && field.find(' ') == std::string::npos;
    if (looks_like_field) {
      return absl::StrCat(what, ": fältet ", FieldLabel(field), " (", field, "): ",
                          message.substr(colon + 2));
    }
  }
  return message.empty() ? what : absl::StrCat(what, ": ", message);
}

}  // namespace remiss::console
