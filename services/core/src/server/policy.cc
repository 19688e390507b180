#include "remiss/core/server/policy.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "remiss/core/base/message_checks.h"

namespace remiss::core {

void PolicyTable::Add(const ServicePolicy& policy) {
  for (const auto& [method, rule] : policy.rules) {
    by_path_[absl::StrCat("/", policy.service, "/", method)] = rule;
  }
}

const RpcRule* PolicyTable::Find(absl::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second;
}

std::vector<std::string> PolicyTable::Problems(
    const google::protobuf::ServiceDescriptor& service) const {
  std::vector<std::string> problems;
  for (int i = 0; i < service.method_count(); ++i) {
    const google::protobuf::MethodDescriptor& m = *service.method(i);
    const std::string path = absl::StrCat("/", service.full_name(), "/", m.name());
    const RpcRule* rule = Find(path);
    if (rule == nullptr) {
      problems.push_back(absl::StrCat(path, ": no policy (every RPC needs one)"));
      continue;
    }
    if (rule->roles.empty()) problems.push_back(absl::StrCat(path, ": no role may call it"));
    for (const std::string& role : rule->roles) {
      if (!IsKnownRole(role)) problems.push_back(absl::StrCat(path, ": unknown role ", role));
    }
    if (rule->own_org_field.empty()) continue;
    const auto* field = m.input_type()->FindFieldByName(rule->own_org_field);
    if (field == nullptr || field->is_repeated() ||
        field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
      problems.push_back(absl::StrCat(path, ": ", rule->own_org_field, " is not a string field of ",
                                      m.input_type()->full_name()));
    }
    if (m.output_type()->full_name() != "remiss.v1.CommandResult") {
      problems.push_back(absl::StrCat(path, ": an own-organization rule on a query (only commands "
                                            "pass RunCommand, where it is checked)"));
    }
  }
  const std::string prefix = absl::StrCat("/", service.full_name(), "/");
  for (const auto& [path, rule] : by_path_) {
    if (path.rfind(prefix, 0) == 0 && service.FindMethodByName(path.substr(prefix.size())) == nullptr) {
      problems.push_back(absl::StrCat(path, ": a policy for an RPC the service does not have"));
    }
  }
  return problems;
}

absl::Status CheckRole(const Caller& caller, absl::string_view rpc, const RpcRule* rule) {
  if (rule == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(rpc, ": no policy allows this RPC"));
  }
  for (const std::string& role : rule->roles) {
    if (caller.role == role) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(rpc, ": the role ", Quote(caller.role),
                                                  " may not call it (allowed: ",
                                                  absl::StrJoin(rule->roles, ", "), ")"));
}

absl::Status CheckOwnOrganization(const Caller& caller, absl::string_view field_name,
                                  const google::protobuf::Message& request) {
  if (field_name.empty() || caller.role == kRoleKs) return absl::OkStatus();
  const auto* field = request.GetDescriptor()->FindFieldByName(std::string(field_name));
  if (field == nullptr) return absl::InternalError(absl::StrCat("policy: no field ", field_name));
  const std::string org = request.GetReflection()->GetString(request, field);
  if (org == caller.org_id) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      field_name, ": ", Quote(caller.org_id), " acts only for itself, not for ", Quote(org)));
}

std::vector<ServicePolicy> HostPolicies() {
  const std::vector<std::string> op = {std::string(kRoleOperator)};
  return {
      {.service = "remiss.v1.AdminService",
       .rules = {{"GetProjectionDigest", Allow(op)},
                 {"RebuildProjections", Allow(op)},
                 {"GetPositions", Allow(op)},
                 {"RepublishEvents", Allow(op)},
                 {"RetryParkedEvent", Allow(op)},
                 {"SkipParkedEvent", Allow(op)},
                 {"RestoreFromKafka", Allow(op)},
                 {"GetClock", Allow(op)},
                 {"SetClock", Allow(op)}}},
      // The event logs as streams: for integrators (who read the Kafka topics otherwise)
      // and operators (remissctl events).
      {.service = "remiss.v1.EventsService",
       .rules = {{"Subscribe", Allow({std::string(kRoleIntegrator), std::string(kRoleOperator)})}}},
      {.service = "grpc.health.v1.Health",
       .rules = {{"Check", Allow(AnyRole())}, {"Watch", Allow(AnyRole())}}},
      {.service = "grpc.reflection.v1alpha.ServerReflection",
       .rules = {{"ServerReflectionInfo", Allow(AnyRole())}}},
  };
}

}  // namespace remiss::core
