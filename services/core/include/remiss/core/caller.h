// Who is calling: the organization and role a verified client certificate names (its SAN URI
// spiffe://<trust-domain>/org/<org_id>/role/<role>), or, on a plaintext loopback listener in
// development, what the caller's metadata claims. Plain values; thread-compatible.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace remiss::core {

// The roles a certificate may name (DESIGN.md, "Identity and authorization").
inline constexpr absl::string_view kRoleKs = "ks";                // rounds, extensions' decisions, outcome, feedback, actions
inline constexpr absl::string_view kRoleBoard = "board";          // its own organization's answer and extension requests
inline constexpr absl::string_view kRoleReader = "reader";        // queries
inline constexpr absl::string_view kRoleIntegrator = "integrator";// event streams and queries
inline constexpr absl::string_view kRoleOperator = "operator";    // the admin service
inline constexpr absl::string_view kRoleGateway = "gateway";      // the console, acting for a named person

[[nodiscard]] bool IsKnownRole(absl::string_view role);

struct Caller {
  std::string org_id;
  std::string role;
  std::string person_id;       // only from a gateway caller (x-remiss-person)
  bool certified = false;      // named by a verified certificate, not by metadata
  std::string Describe() const;  // "org/role" (or "anonymous"), for log lines and errors
};

// Parses a SAN URI. Errors (UNAUTHENTICATED) say what is wrong: another trust domain, another
// shape, an unknown role, an empty or malformed organization id.
[[nodiscard]] absl::StatusOr<Caller> ParseSpiffeId(absl::string_view uri,
                                                   absl::string_view trust_domain);

// The caller a verified peer's auth context names: its one URI SAN in `trust_domain`.
[[nodiscard]] absl::StatusOr<Caller> CallerFromAuthContext(const grpc::AuthContext& context,
                                                           absl::string_view trust_domain);

// The caller of a call: on a TLS listener the one its certificate names, as the AuthGate
// verified before the handler (certified = true; x-remiss-person only from a gateway); on a
// plaintext development listener what the metadata x-remiss-org/-role/-person claims.
[[nodiscard]] Caller CallerOf(const grpc::ServerContextBase& context);

}  // namespace remiss::core
