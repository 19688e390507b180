// A real remiss server for tests, on a free loopback port, its stores in a directory the
// test owns, on the test's clock: the referrals and/or responses services, as remissd hosts
// them (responses follows referrals through a LocalFeed) or alone (responses follows over
// Kafka). Tests talk to it through gRPC as a client would.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/feeds/local_feed.h"
#include "remiss/core/server/service_host.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"

namespace remiss::testing {

// Registers `org_id` (a kommunstyrelse, "KS") as an organization whose `ks` may send rounds,
// calling as that organization's own ks over the plaintext listener's metadata: on a fresh
// store the first start's concession allows it, later only when `org_id`'s ks already may.
// A ks acts at all only after this (issue 25, finding 5). Call it first, before any other
// ks command.
inline grpc::Status RegisterKs(remiss::v1::ReferralService::Stub& referrals,
                               const std::string& org_id = "ks",
                               const std::string& command_id = "") {
  remiss::v1::RegisterOrganizationRequest r;
  r.set_command_id(command_id.empty() ? absl::StrCat("register-ks-", org_id) : command_id);
  r.set_org_id(org_id);
  r.set_name(org_id == "ks" ? "Kommunstyrelsen" : org_id);
  r.set_kind(remiss::v1::ORGANIZATION_KIND_KOMMUNSTYRELSE);
  r.set_may_send_rounds(true);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata("x-remiss-org", org_id);
  ctx.AddMetadata("x-remiss-role", "ks");
  ctx.AddMetadata("x-remiss-person", org_id + "-person-1");
  remiss::v1::CommandResult result;
  return referrals.RegisterOrganization(&ctx, r, &result);
}

struct ServerOptions {
  bool referrals = true;
  bool responses = false;
  std::string brokers;  // publish to Kafka; without referrals, responses follows over it
  core::TlsSettings tls;  // mutual TLS (then channel() and the stubs are not usable: plaintext)
  // How long an empty store waits for the broker to say whether its topic holds history.
  absl::Duration topic_check_budget = absl::Minutes(5);
  rocksdb::Env* env = nullptr;  // the stores' environment (disk faults); null: the default
};

class RemissServer {
 public:
  RemissServer(std::string data_dir, const core::Clock* clock, ServerOptions options = {})
      : data_dir_(std::move(data_dir)), clock_(clock), options_(std::move(options)) {}
  ~RemissServer() { Stop(); }

  ::testing::AssertionResult Start() {
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20);
    host_->UseTls(options_.tls);
    if (options_.referrals) {
      auto m = referrals::ReferralsModule::Open(settings());
      if (!m.ok()) return ::testing::AssertionFailure() << m.status();
      referrals_module_ = std::move(*m);
      referrals_module_->Host(*host_);
    }
    if (options_.responses) {
      std::unique_ptr<core::Feed> feed;
      if (referrals_module_) {
        feed = std::make_unique<core::LocalFeed>(&referrals_module_->store());
      } else {
        auto kafka = core::MakeKafkaFeed({.brokers = options_.brokers,
                                          .group_id = "remiss-responses",
                                          .sources = {"referrals"}});
        if (!kafka.ok()) return ::testing::AssertionFailure() << kafka.status();
        feed = std::move(*kafka);
      }
      auto m = responses::ResponsesModule::Open(settings(), std::move(feed));
      if (!m.ok()) return ::testing::AssertionFailure() << m.status();
      responses_module_ = std::move(*m);
      responses_module_->Host(*host_);
    }
    if (absl::Status s = host_->Start(); !s.ok()) return ::testing::AssertionFailure() << s;
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_->port()),
                                   grpc::InsecureChannelCredentials());
    referrals_ = remiss::v1::ReferralService::NewStub(channel_);
    responses_ = remiss::v1::ResponseService::NewStub(channel_);
    admin_ = remiss::v1::AdminService::NewStub(channel_);
    return ::testing::AssertionSuccess();
  }

  core::ModuleSettings settings() const {
    core::ModuleSettings settings{.data_dir = data_dir_, .clock = clock_, .kafka_brokers = options_.brokers};
    settings.topic_check_budget = options_.topic_check_budget;
    settings.env = options_.env;
    return settings;
  }

  void Stop() {
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    responses_module_.reset();  // it may read the referrals store
    referrals_module_.reset();
  }

  remiss::v1::ReferralService::Stub& referrals() { return *referrals_; }
  remiss::v1::ResponseService::Stub& responses() { return *responses_; }
  remiss::v1::AdminService::Stub& admin() { return *admin_; }
  grpc::Channel& channel() { return *channel_; }
  int port() const { return host_->port(); }
  std::shared_ptr<grpc::Channel> channel_ptr() { return channel_; }
  referrals::ReferralsModule& referrals_module() { return *referrals_module_; }
  responses::ResponsesModule& responses_module() { return *responses_module_; }

  // A client context with a deadline, as every client call must have.
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "ks");
    ctx->AddMetadata("x-remiss-role", "registrator");
    return ctx;
  }
  // The same, as `role` of `org`, a person of it named (<org>-person-1).
  static std::unique_ptr<grpc::ClientContext> ContextAs(const std::string& org,
                                                        const std::string& role) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", org);
    ctx->AddMetadata("x-remiss-role", role);
    ctx->AddMetadata("x-remiss-person", org + "-person-1");
    return ctx;
  }

  // KS and two boards (bromma-sdn, sodermalm-sdn) registered, and KS's round ks-2019-1939
  // ("KS 2019/1939", deadline 2021-02-26) to both issued. Call with ASSERT_NO_FATAL_FAILURE.
  void IssueRoundToTwoBoards() {
    using namespace remiss::v1;
    CommandResult r;
    for (const char* id : {"ks", "bromma-sdn", "sodermalm-sdn"}) {
      RegisterOrganizationRequest org;
      org.set_command_id(absl::StrCat("org-", id));
      org.set_org_id(id);
      org.set_name(id);
      org.set_kind(std::string(id) == "ks" ? ORGANIZATION_KIND_KOMMUNSTYRELSE
                                           : ORGANIZATION_KIND_STADSDELSNAMND);
      org.set_may_send_rounds(std::string(id) == "ks");  // first: then KS registers the boards
      ASSERT_TRUE(referrals().RegisterOrganization(ContextAs("ks", "ks").get(), org, &r).ok());
    }
    CreateReferralRequest create;
    create.set_command_id("create");
    create.set_case_number("KS 2019/1939");
    create.set_title("Stockholms stads trygghetsprogram 2020-2023");
    create.set_sender_org_id("ks");
    create.add_add_org_ids("bromma-sdn");
    create.add_add_org_ids("sodermalm-sdn");
    ASSERT_TRUE(referrals().CreateReferral(ContextAs("ks", "ks").get(), create, &r).ok());
    SetDeadlineRequest deadline;
    deadline.set_command_id("deadline");
    deadline.set_referral_id("ks-2019-1939");
    deadline.set_deadline("2021-02-26");
    ASSERT_TRUE(referrals().SetDeadline(ContextAs("ks", "ks").get(), deadline, &r).ok());
    IssueReferralRequest issue;
    issue.set_command_id("issue");
    issue.set_referral_id("ks-2019-1939");
    ASSERT_TRUE(referrals().IssueReferral(ContextAs("ks", "ks").get(), issue, &r).ok());
  }

 private:
  std::string data_dir_;
  const core::Clock* clock_;
  ServerOptions options_;
  std::unique_ptr<referrals::ReferralsModule> referrals_module_;
  std::unique_ptr<responses::ResponsesModule> responses_module_;
  std::unique_ptr<core::ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<remiss::v1::ReferralService::Stub> referrals_;
  std::unique_ptr<remiss::v1::ResponseService::Stub> responses_;
  std::unique_ptr<remiss::v1::AdminService::Stub> admin_;
};

}  // namespace remiss::testing
