// The door every call on a TLS listener passes before any handler runs: it names the caller
// from its verified client certificate, refuses an RPC that has no policy or whose policy
// does not allow the caller's role, and removes every x-remiss-* metadata entry but a
// gateway's x-remiss-person, so that nothing past it can be told who is calling by the
// caller itself. Refusals are logged (RPC, caller, reason) and counted. Thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "remiss/core/server/policy.h"

namespace remiss::core {

// Refused calls in this process since it started (the gate's and RunCommand's), for
// GetPositions until metrics arrive; and the one log line a refusal writes.
uint64_t RefusedCalls();
// `traceparent`: the call's trace context, when known (its ids go in the JSON line).
void RecordRefusal(absl::string_view rpc, const Caller& caller, const absl::Status& reason,
                   absl::string_view traceparent = "");

class AuthGate final : public grpc::AuthMetadataProcessor {
 public:
  // `table` must outlive the gate.
  AuthGate(const PolicyTable* table, std::string trust_domain)
      : table_(table), trust_domain_(std::move(trust_domain)) {}

  bool IsBlocking() const override { return false; }  // cheap: no I/O
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const PolicyTable* table_;
  std::string trust_domain_;
};

// The TLS settings of a listener: PEM files of this server's certificate chain and key and
// of the CA whose client certificates it accepts; the SPIFFE trust domain callers' URIs are in.
struct TlsSettings {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;
  // A directory of the CAs' certificate revocation lists in OpenSSL's hashed form
  // (<hash>.r0, .r1, ...: tools/pki.sh crl/revoke); empty: no revocation checking. Every
  // handshake checks the client's certificate against the newest list of its CA; a file
  // added later is read at the next handshake.
  std::string crl_dir;
  std::string trust_domain = "remiss.local";
  // How often the three files are looked at again (rotation without a restart).
  int reload_seconds = 60;
  bool enabled() const { return !cert_file.empty() || !key_file.empty() || !ca_file.empty(); }
};

// Mutual-TLS server credentials (client certificate required and verified against the CA;
// TLS 1.2 or 1.3 as gRPC negotiates, 1.3 with every current client) that reload the three
// files when they change (rotation without restart), with `gate` as the auth processor.
// INVALID_ARGUMENT naming the flag when a file is missing or unreadable, or when the CRL
// directory holds no list (every handshake would fail).
[[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsCredentials(
    const TlsSettings& tls, std::shared_ptr<AuthGate> gate);

// Whether a listen address ("127.0.0.1:50051", "[::1]:0", "localhost:8080") is loopback only:
// decided on the addresses the host resolves to (all in 127.0.0.0/8 or ::1), never on its
// spelling; a name that does not resolve is not loopback.
[[nodiscard]] bool IsLoopbackAddress(absl::string_view listen);

// The own-organization rules of commands, by request type, for RunCommand: a process-wide
// registry that hosts fill at Start (every host registers the same rule for a request type).
void RegisterOwnOrganizationRules(const google::protobuf::ServiceDescriptor& service,
                                  const PolicyTable& table);
// The field of `request_type` naming the organization a board caller must be; empty if none.
[[nodiscard]] std::string OwnOrganizationField(absl::string_view request_type);

}  // namespace remiss::core
