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
  std::string gateway;         // set when a gateway acts for this person: the gateway's org
  std::string Describe() const;  // "org/role" (or "anonymous"), for log lines and errors
};

// Parses a SAN URI. Errors (UNAUTHENTICATED) say what is wrong: another trust domain, another
// shape, an unknown role, an empty or malformed organization id.
[[nodiscard]] absl::StatusOr<Caller> ParseSpiffeId(absl::string_view uri,
                                                   absl::string_view trust_domain);

// The caller a verified peer's auth context names: its one URI SAN in `trust_domain`.
[[nodiscard]] absl::StatusOr<Caller> CallerFromAuthContext(const grpc::AuthContext& context,
                                                           absl::string_view trust_domain);

// A certified gateway (the console behind the municipality's login) acting for the person it
// names: x-remiss-org and x-remiss-role are that person's organization and role (ks, board or
// reader: never operator or integrator), x-remiss-person their pseudonymous id. Without a
// role, or with the role `gateway`, it calls as itself (reads; the person still named). Errors
// (PERMISSION_DENIED) name the metadata key that is wrong.
[[nodiscard]] absl::StatusOr<Caller> ActingFor(const Caller& gateway, absl::string_view org,
                                               absl::string_view role, absl::string_view person);

// The caller of a call: on a TLS listener the one its certificate names, as the AuthGate
// verified before the handler (certified = true; a gateway's person with ActingFor); on a
// plaintext development listener what the metadata x-remiss-org/-role/-person claims.
[[nodiscard]] Caller CallerOf(const grpc::ServerContextBase& context);

}  // namespace remiss::core
