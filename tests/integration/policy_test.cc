// The policy is whole: every method of every service a remiss server hosts (the four
// services and notices, admin, health, reflection) has exactly one rule, every rule names a method that
// exists, and own-organization rules name a string field of a command's request.
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>

#include <filesystem>
#include <set>

#include "remiss/core/server/policy.h"
#include "remiss/deadlines/policy.h"
#include "remiss/followup/policy.h"
#include "remiss/notices/policy.h"
#include "remiss/referrals/policy.h"
#include "remiss/responses/policy.h"
#include "grpc/health/v1/health.pb.h"
#include "remiss/v1/admin.pb.h"
#include "remiss/v1/deadlines.pb.h"
#include "remiss/v1/events.pb.h"
#include "remiss/v1/followup.pb.h"
#include "remiss/v1/notices.pb.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/responses.pb.h"

namespace remiss {
namespace {

std::vector<core::ServicePolicy> Everything() {
  std::vector<core::ServicePolicy> all = core::HostPolicies();
  all.push_back(referrals::ReferralServicePolicy());
  all.push_back(responses::ResponseServicePolicy());
  all.push_back(deadlines::DeadlineServicePolicy());
  all.push_back(followup::FollowupServicePolicy());
  all.push_back(notices::NoticesServicePolicy());
  return all;
}

const google::protobuf::ServiceDescriptor* Service(const std::string& name) {
  // Links the descriptors in.
  (void)remiss::v1::GetClockRequest::descriptor();
  (void)remiss::v1::CreateReferralRequest::descriptor();
  (void)remiss::v1::RegisterResponseRequest::descriptor();
  (void)remiss::v1::GetDeadlineRequest::descriptor();
  (void)remiss::v1::GetStatusBoardRequest::descriptor();
  (void)remiss::v1::ListNoticesRequest::descriptor();
  (void)remiss::v1::SubscribeRequest::descriptor();
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
}

// Every service of every .proto file in proto/remiss/v1 (and gRPC's health), found by
// walking the files, so that a new service or a new file is not missed.
TEST(PolicyTest, EveryMethodOfEveryServiceHasExactlyOneRule) {
  core::PolicyTable table;
  for (const auto& p : Everything()) table.Add(p);
  (void)Service("remiss.v1.AdminService");  // links the descriptors in
  std::set<std::string> files = {"grpc/health/v1/health.proto"};
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(REMISS_SOURCE_DIR) + "/proto/remiss/v1")) {
    if (entry.path().extension() == ".proto") {
      files.insert("remiss/v1/" + entry.path().filename().string());
    }
  }
  int methods = 0;
  std::set<std::string> services;
  for (const std::string& name : files) {
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    ASSERT_NE(file, nullptr) << name << " is not linked into this test";
    for (int i = 0; i < file->service_count(); ++i) {
      const auto& service = *file->service(i);
      services.insert(service.full_name());
      methods += service.method_count();
      for (const std::string& problem : table.Problems(service)) ADD_FAILURE() << problem;
    }
  }
  for (const char* name : {"remiss.v1.ReferralService", "remiss.v1.ResponseService",
                           "remiss.v1.DeadlineService", "remiss.v1.FollowupService",
                           "remiss.v1.NoticesService", "remiss.v1.AdminService", "remiss.v1.EventsService",
                           "grpc.health.v1.Health"}) {
    EXPECT_TRUE(services.count(name)) << name << " was not walked";
  }
  EXPECT_GT(methods, 50);
  // Server reflection's descriptor is in gRPC's reflection library, which the host links; its
  // one method has a rule here.
  EXPECT_NE(table.Find("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"), nullptr);
}

TEST(PolicyTest, OnlyIntegratorsAndOperatorsSubscribeToEventLogs) {
  core::PolicyTable table;
  for (const auto& p : Everything()) table.Add(p);
  const core::RpcRule* rule = table.Find("/remiss.v1.EventsService/Subscribe");
  ASSERT_NE(rule, nullptr);
  for (const char* role : {"integrator", "operator"}) {
    EXPECT_TRUE(core::CheckRole({.org_id = "x", .role = role}, "Subscribe", rule).ok()) << role;
  }
  for (const char* role : {"ks", "board", "reader", "gateway"}) {
    EXPECT_EQ(core::CheckRole({.org_id = "x", .role = role}, "Subscribe", rule).code(),
              absl::StatusCode::kPermissionDenied)
        << role;
  }
}

// Issue 25, finding 3: a compilation read by board is as public as the whole.
TEST(PolicyTest, TheCompilationByBoardIsReadByWhoeverReadsTheWhole) {
  core::PolicyTable table;
  for (const auto& p : Everything()) table.Add(p);
  const std::string whole = "/remiss.v1.FollowupService/GetCompilation";
  const std::string pages = "/remiss.v1.FollowupService/GetCompilationPage";
  ASSERT_NE(table.Find(pages), nullptr);
  for (const char* role : {"ks", "board", "reader", "integrator", "gateway", "operator"}) {
    core::Caller caller{.org_id = "bromma-sdn", .role = role, .person_id = "", .certified = true};
    EXPECT_EQ(core::CheckRole(caller, pages, table.Find(pages)).code(),
              core::CheckRole(caller, whole, table.Find(whole)).code())
        << role;
  }
  core::Caller reader{.org_id = "ks", .role = "reader", .person_id = "", .certified = true};
  EXPECT_TRUE(core::CheckRole(reader, pages, table.Find(pages)).ok());
}

TEST(PolicyTest, AMethodWithoutARuleIsFoundAndRefused) {
  core::ServicePolicy referrals = referrals::ReferralServicePolicy();
  referrals.rules.erase("IssueReferral");
  referrals.rules["IssueRound"] = core::Allow({"ks"});
  core::PolicyTable table;
  table.Add(referrals);
  auto problems = table.Problems(*Service("remiss.v1.ReferralService"));
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("IssueReferral: no policy"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("IssueRound: a policy for an RPC the service does not have"),
            std::string::npos) << problems[1];
  core::Caller ks{.org_id = "ks", .role = "ks", .person_id = "", .certified = true};
  const std::string path = "/remiss.v1.ReferralService/IssueReferral";
  EXPECT_EQ(core::CheckRole(ks, path, table.Find(path)).code(), absl::StatusCode::kPermissionDenied);
}

TEST(PolicyTest, OwnOrganizationRulesAreOnCommandsOnly) {
  core::ServicePolicy responses = responses::ResponseServicePolicy();
  responses.rules["GetResponse"] = core::Allow({"board"}).OwnOrg("org_id");
  responses.rules["SubmitResponse"] = core::Allow({"board"}).OwnOrg("no_such_field");
  core::PolicyTable table;
  table.Add(responses);
  auto problems = table.Problems(*Service("remiss.v1.ResponseService"));
  EXPECT_EQ(problems.size(), 2u);
}

TEST(PolicyTest, OnlyKsRunsRoundsAndABoardActsOnlyForItself) {
  core::PolicyTable table;
  for (const auto& p : Everything()) table.Add(p);
  core::Caller board{.org_id = "bromma-sdn", .role = "board", .person_id = "", .certified = true};
  core::Caller reader{.org_id = "ks", .role = "reader", .person_id = "", .certified = true};
  for (const char* rpc : {"CreateReferral", "IssueReferral", "MoveDeadline", "WithdrawReferral",
                          "CloseReferral", "RegisterOrganization"}) {
    const std::string path = absl::StrCat("/remiss.v1.ReferralService/", rpc);
    EXPECT_FALSE(core::CheckRole(board, path, table.Find(path)).ok()) << rpc;
    EXPECT_FALSE(core::CheckRole(reader, path, table.Find(path)).ok()) << rpc;
  }
  const std::string decide = "/remiss.v1.DeadlineService/DecideExtension";
  EXPECT_FALSE(core::CheckRole(board, decide, table.Find(decide)).ok());
  const std::string submit = "/remiss.v1.ResponseService/SubmitResponse";
  EXPECT_TRUE(core::CheckRole(board, submit, table.Find(submit)).ok());
  remiss::v1::SubmitResponseRequest own, other;
  own.set_org_id("bromma-sdn");
  other.set_org_id("sodermalm-sdn");
  EXPECT_TRUE(core::CheckOwnOrganization(board, "org_id", own).ok());
  EXPECT_EQ(core::CheckOwnOrganization(board, "org_id", other).code(),
            absl::StatusCode::kPermissionDenied);
  const std::string rebuild = "/remiss.v1.AdminService/RebuildProjections";
  EXPECT_FALSE(core::CheckRole(board, rebuild, table.Find(rebuild)).ok());
  core::Caller op{.org_id = "ops", .role = "operator", .person_id = "", .certified = true};
  EXPECT_TRUE(core::CheckRole(op, rebuild, table.Find(rebuild)).ok());
  // Issue 25, finding 5: the operator registers and updates organizations (who may send
  // rounds: the first sender), and records no round.
  for (const char* rpc : {"/remiss.v1.ReferralService/RegisterOrganization",
                          "/remiss.v1.ReferralService/UpdateOrganization"}) {
    EXPECT_TRUE(core::CheckRole(op, rpc, table.Find(rpc)).ok()) << rpc;
    EXPECT_FALSE(core::CheckRole(board, rpc, table.Find(rpc)).ok()) << rpc;
  }
  const std::string create = "/remiss.v1.ReferralService/CreateReferral";
  EXPECT_FALSE(core::CheckRole(op, create, table.Find(create)).ok());
}

TEST(CallerTest, TheSanUriNamesOrganizationAndRole) {
  auto c = core::ParseSpiffeId("spiffe://remiss.local/org/bromma-sdn/role/board", "remiss.local");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->org_id, "bromma-sdn");
  EXPECT_EQ(c->role, "board");
  for (const char* bad : {"spiffe://other.domain/org/bromma-sdn/role/board",
                          "spiffe://remiss.local/org/bromma-sdn/role/king",
                          "spiffe://remiss.local/org//role/board",
                          "spiffe://remiss.local/org/Bromma SDN/role/board",
                          "spiffe://remiss.local/org/bromma-sdn/role/board/extra",
                          "spiffe://remiss.local/service/server", "https://remiss.local/org/x/role/ks"}) {
    EXPECT_EQ(core::ParseSpiffeId(bad, "remiss.local").status().code(),
              absl::StatusCode::kUnauthenticated) << bad;
  }
}

}  // namespace
}  // namespace remiss
