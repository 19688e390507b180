#include "remiss/core/server/auth_gate.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "remiss/core/telemetry/log.h"
#include "remiss/core/telemetry/metrics.h"
#include "remiss/core/telemetry/tracing.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/server/grpc_status.h"
#include "remiss/core/base/message_checks.h"

namespace remiss::core {
namespace {

std::atomic<uint64_t> refused_calls{0};

absl::Mutex own_org_mu;
std::map<std::string, std::string, std::less<>>& OwnOrgRules() ABSL_EXCLUSIVE_LOCKS_REQUIRED(own_org_mu) {
  static auto* rules = new std::map<std::string, std::string, std::less<>>();
  return *rules;
}

grpc::Status Refuse(absl::string_view rpc, const Caller& caller, const absl::Status& reason,
                    absl::string_view traceparent) {
  RecordRefusal(rpc, caller, reason, traceparent);
  return ToGrpcStatus(reason);
}

// A directory that holds at least one hashed CRL file (<8 hex>.r<N>).
absl::Status HoldsACrl(const std::string& flag, const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", dir, " is not a directory"));
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t dot = name.find(".r");
    if (dot == 8 && name.size() > 10 && std::ifstream(entry.path())) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, ": ", dir, " holds no certificate revocation list (<hash>.r0; tools/pki.sh crl DIR "
      "writes one); with none every handshake would be refused"));
}

absl::Status Readable(const std::string& flag, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": is required with TLS"));
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  return absl::OkStatus();
}

}  // namespace

uint64_t RefusedCalls() { return refused_calls.load(); }

void RecordRefusal(absl::string_view rpc, const Caller& caller, const absl::Status& reason,
                   absl::string_view traceparent) {
  refused_calls.fetch_add(1);
  metrics::CallRefused(absl::StatusCodeToString(reason.code()));
  // The reason is cut short (on a character's start): a caller must not fill the log.
  absl::string_view why = reason.message();
  if (why.size() > 300) {
    size_t end = 300;
    while (end > 0 && (static_cast<unsigned char>(why[end]) & 0xC0) == 0x80) --end;
    why = why.substr(0, end);
  }
  LogJson("auth", "refused",
          {{"code", absl::StatusCodeToString(reason.code())}, {"rpc", std::string(rpc)},
           {"caller", caller.Describe()}, {"reason", std::string(why)}},
          traceparent);
}

grpc::Status AuthGate::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                               OutputMetadata* consumed, OutputMetadata*) {
  std::string rpc, traceparent;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    rpc.assign(it->second.data(), it->second.size());
  }
  if (auto it = auth_metadata.find("traceparent"); it != auth_metadata.end()) {
    traceparent.assign(it->second.data(), it->second.size());
  }
  auto caller = CallerFromAuthContext(*context, trust_domain_);
  if (!caller.ok()) return Refuse(rpc, Caller{}, caller.status(), traceparent);
  const bool gateway = caller->role == kRoleGateway;
  if (gateway) {  // the console: the person it acts for is checked, not the console itself
    auto get = [&auth_metadata](const char* key) {
      auto it = auth_metadata.find(key);
      return it == auth_metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
    };
    auto acting = ActingFor(*caller, get("x-remiss-org"), get("x-remiss-role"), get("x-remiss-person"));
    if (!acting.ok()) return Refuse(rpc, *caller, acting.status(), traceparent);
    caller = std::move(acting);
  }
  if (absl::Status s = CheckRole(*caller, rpc, table_->Find(rpc)); !s.ok()) {
    return Refuse(rpc, *caller, s, traceparent);
  }
  for (const auto& [key, value] : auth_metadata) {
    if (!absl::StartsWith(absl::string_view(key.data(), key.size()), "x-remiss-")) continue;
    if (gateway && (key == "x-remiss-person" || key == "x-remiss-org" || key == "x-remiss-role")) {
      continue;  // the handler reads the person the gateway acts for (CallerOf)
    }
    consumed->emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(
    const TlsSettings& tls, std::shared_ptr<AuthGate> gate) {
  if (absl::Status s = Readable("--tls-cert", tls.cert_file); !s.ok()) return s;
  if (absl::Status s = Readable("--tls-key", tls.key_file); !s.ok()) return s;
  if (absl::Status s = Readable("--tls-ca", tls.ca_file); !s.ok()) return s;
  if (!tls.crl_dir.empty()) {
    if (absl::Status s = HoldsACrl("--tls-crl-dir", tls.crl_dir); !s.ok()) return s;
  }
  if (tls.trust_domain.empty()) return absl::InvalidArgumentError("--trust-domain: is required");
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls.key_file, tls.cert_file, tls.ca_file, tls.reload_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  // Revoked client certificates are refused at the handshake (OpenSSL's hashed directory:
  // a list added later is read at the next handshake, the newest of a CA counts).
  if (!tls.crl_dir.empty()) options.set_crl_directory(tls.crl_dir);
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::experimental::TlsServerCredentials(options);
  if (creds == nullptr) return absl::InvalidArgumentError("--tls-cert: gRPC refused the TLS settings");
  creds->SetAuthMetadataProcessor(std::move(gate));
  return creds;
}

bool IsLoopbackAddress(absl::string_view listen) {
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = listen.substr(0, colon);
  if (!absl::ConsumePrefix(&host, "ipv4:")) absl::ConsumePrefix(&host, "ipv6:");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return false;  // ":8080" is every address
  // Decided on what the name resolves to, never on its spelling ("127.example.org" is a name):
  // every address it stands for must be loopback.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(std::string(host).c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return false;
  bool loopback = true;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      loopback = loopback && (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      const in6_addr& addr = in6->sin6_addr;
      loopback = loopback && (IN6_IS_ADDR_LOOPBACK(&addr) || (IN6_IS_ADDR_V4MAPPED(&addr) && addr.s6_addr[12] == 127));
    } else {
      loopback = false;
    }
  }
  freeaddrinfo(found);
  return loopback;
}

void RegisterOwnOrganizationRules(const google::protobuf::ServiceDescriptor& service,
                                  const PolicyTable& table) {
  absl::MutexLock lock(&own_org_mu);
  for (int i = 0; i < service.method_count(); ++i) {
    const auto* m = service.method(i);
    const RpcRule* rule = table.Find(absl::StrCat("/", service.full_name(), "/", m->name()));
    if (rule != nullptr && !rule->own_org_field.empty()) {
      OwnOrgRules()[m->input_type()->full_name()] = rule->own_org_field;
    }
  }
}

std::string OwnOrganizationField(absl::string_view request_type) {
  absl::MutexLock lock(&own_org_mu);
  auto it = OwnOrgRules().find(request_type);
  return it == OwnOrgRules().end() ? std::string() : it->second;
}

}  // namespace remiss::core
