#include "remiss/core/server/caller.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "remiss/core/base/message_checks.h"

namespace remiss::core {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

absl::Status Unauthenticated(absl::string_view uri, absl::string_view why) {
  return absl::UnauthenticatedError(
      absl::StrCat("client certificate: its SAN URI ", Quote(uri), " ", why));
}

}  // namespace

bool IsKnownRole(absl::string_view role) {
  return role == kRoleKs || role == kRoleBoard || role == kRoleReader ||
         role == kRoleIntegrator || role == kRoleOperator || role == kRoleGateway;
}

std::string Caller::Describe() const {
  if (org_id.empty() && role.empty()) return "anonymous";
  return absl::StrCat(org_id.empty() ? "?" : org_id, "/", role.empty() ? "?" : role,
                      certified ? "" : " (named in metadata)",
                      gateway.empty() ? "" : absl::StrCat(" via the gateway ", gateway));
}

absl::StatusOr<Caller> ParseSpiffeId(absl::string_view uri, absl::string_view trust_domain) {
  const std::string prefix = absl::StrCat("spiffe://", trust_domain, "/");
  if (!absl::StartsWith(uri, prefix)) {
    return Unauthenticated(uri, absl::StrCat("is not in the trust domain ", trust_domain));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(prefix.size()), '/');
  if (parts.size() != 4 || parts[0] != "org" || parts[2] != "role") {
    return Unauthenticated(uri, "does not have the form spiffe://<domain>/org/<org_id>/role/<role>");
  }
  if (parts[1].empty() || parts[1].size() > 64 ||
      !std::all_of(parts[1].begin(), parts[1].end(), IsIdChar)) {
    return Unauthenticated(uri, "names no valid organization id");
  }
  if (!IsKnownRole(parts[3])) {
    return Unauthenticated(uri, "names an unknown role (ks, board, reader, integrator, operator, gateway)");
  }
  Caller caller;
  caller.org_id = std::string(parts[1]);
  caller.role = std::string(parts[3]);
  caller.certified = true;
  return caller;
}

absl::StatusOr<Caller> CallerFromAuthContext(const grpc::AuthContext& context,
                                             absl::string_view trust_domain) {
  if (!context.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("a client certificate is required");
  }
  std::vector<std::string> uris;
  for (const char* name : {GRPC_PEER_URI_PROPERTY_NAME, GRPC_PEER_SPIFFE_ID_PROPERTY_NAME}) {
    for (const grpc::string_ref& v : context.FindPropertyValues(name)) {
      std::string uri(v.data(), v.size());
      if (absl::StartsWith(uri, "spiffe://") &&
          std::find(uris.begin(), uris.end(), uri) == uris.end()) {
        uris.push_back(std::move(uri));
      }
    }
  }
  if (uris.empty()) {
    return absl::UnauthenticatedError(
        "client certificate: it has no SAN URI spiffe://<domain>/org/<org_id>/role/<role>");
  }
  if (uris.size() > 1) {
    return absl::UnauthenticatedError("client certificate: it names more than one spiffe:// URI");
  }
  return ParseSpiffeId(uris.front(), trust_domain);
}

absl::StatusOr<Caller> ActingFor(const Caller& gateway, absl::string_view org,
                                 absl::string_view role, absl::string_view person) {
  Caller caller = gateway;
  // Every call of a gateway names the person it is made for, reads too: the gateway's
  // certificate alone is no one.
  if (person.empty() || person.size() > 64 || !std::all_of(person.begin(), person.end(), IsIdChar)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "x-remiss-person: a gateway acts only for a named person (a pseudonymous id of 1-64 "
        "characters a-z, 0-9, '-', '_', '.'), not ",
        Quote(person)));
  }
  caller.person_id = std::string(person);
  if (role.empty() || role == kRoleGateway) return caller;  // itself: reads, naming the person
  if (role != kRoleKs && role != kRoleBoard && role != kRoleReader) {
    return absl::PermissionDeniedError(absl::StrCat(
        "x-remiss-role: a gateway acts only for a person in the ks, board or reader role, not ",
        Quote(role)));
  }
  if (org.empty() || org.size() > 64 || !std::all_of(org.begin(), org.end(), IsIdChar)) {
    return absl::PermissionDeniedError(
        absl::StrCat("x-remiss-org: the person's organization id is required, not ", Quote(org)));
  }
  caller.org_id = std::string(org);
  caller.role = std::string(role);
  caller.gateway = gateway.org_id;
  return caller;
}

Caller CallerOf(const grpc::ServerContextBase& context) {
  Caller caller;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  const auto& md = context.client_metadata();
  auto get = [&md](const char* key) {
    auto it = md.find(key);
    return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
  };
  // A TLS caller is only ever the one its certificate names: its metadata names no one.
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> uris = auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME);
    for (const grpc::string_ref& v : auth->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME)) {
      uris.push_back(v);
    }
    for (const grpc::string_ref& v : uris) {
      absl::string_view uri(v.data(), v.size());
      if (!absl::ConsumePrefix(&uri, "spiffe://")) continue;
      absl::string_view domain = uri.substr(0, uri.find('/'));
      auto parsed = ParseSpiffeId(absl::string_view(v.data(), v.size()), domain);
      if (!parsed.ok()) continue;
      caller = *parsed;
      if (caller.role == kRoleGateway) {  // the AuthGate let only a valid acting identity by
        auto acting = ActingFor(caller, get("x-remiss-org"), get("x-remiss-role"), get("x-remiss-person"));
        if (acting.ok()) caller = *acting;
      }
      break;
    }
    caller.certified = true;
    return caller;
  }
  caller.org_id = get("x-remiss-org");
  caller.role = get("x-remiss-role");
  caller.person_id = get("x-remiss-person");
  return caller;
}

}  // namespace remiss::core
