// Who may call what: one table per gRPC service, RPC -> the roles allowed and, for commands,
// the request field naming the organization that a `board` (or `gateway`) caller must be.
// The host checks it once per call before any handler runs (AuthGate, then RunCommand for
// the organization); an RPC without a rule is refused. Built once at start, then read-only
// and thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "remiss/core/server/caller.h"

namespace remiss::core {

struct RpcRule {
  std::vector<std::string> roles;  // who may call it; empty: no one
  // For a command: the request's field naming the organization it acts for. A `board` or
  // `gateway` caller may act only for its own; `ks` for any. Empty: no such check.
  std::string own_org_field;
};

// A rule in one line: Allow({"board"}).OwnOrg("org_id").
struct Allow : RpcRule {
  explicit Allow(std::vector<std::string> r) { roles = std::move(r); }
  Allow& OwnOrg(std::string field) {
    own_org_field = std::move(field);
    return *this;
  }
};

// The rules of one gRPC service (full name "remiss.v1.ReferralService"), by method name.
struct ServicePolicy {
  std::string service;
  std::map<std::string, RpcRule> rules;
};

// Every RPC the host serves, by path "/remiss.v1.ReferralService/CreateReferral".
class PolicyTable {
 public:
  void Add(const ServicePolicy& policy);
  // The rule for a path; null when there is none (the call is refused).
  const RpcRule* Find(absl::string_view path) const;
  // Problems with the table for a service descriptor: methods without a rule, rules for
  // methods that do not exist, an own-organization field that is not a string field of the
  // request, or one on an RPC that is not a command (it is checked in RunCommand).
  std::vector<std::string> Problems(const google::protobuf::ServiceDescriptor& service) const;

 private:
  std::map<std::string, RpcRule, std::less<>> by_path_;
};

// Whether `caller` may call the RPC at all: PERMISSION_DENIED naming the roles allowed.
[[nodiscard]] absl::Status CheckRole(const Caller& caller, absl::string_view rpc, const RpcRule* rule);
// Whether a command's request acts for the caller's own organization (when the rule says so).
[[nodiscard]] absl::Status CheckOwnOrganization(const Caller& caller, absl::string_view field,
                                                const google::protobuf::Message& request);

// The rules for what every host serves besides the modules' services: the admin service
// (operator), the events service (integrator, operator), grpc.health.v1 and server
// reflection (any certified caller).
[[nodiscard]] std::vector<ServicePolicy> HostPolicies();

// Roles lists for tables.
inline const std::vector<std::string>& AnyRole() {
  static const std::vector<std::string> all = {"ks", "board", "reader", "integrator", "operator", "gateway"};
  return all;
}
// Queries: public records, readable by every role but the operator's (admin only).
inline const std::vector<std::string>& Readers() {
  static const std::vector<std::string> r = {"ks", "board", "reader", "integrator", "gateway"};
  return r;
}

}  // namespace remiss::core
