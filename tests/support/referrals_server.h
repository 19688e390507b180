// A real referrals server on a free loopback port, its store in a temp dir, on a manual
// clock; for tests that talk to the service through gRPC as a client would.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "remiss/core/clock.h"
#include "remiss/core/service_host.h"
#include "remiss/referrals/module.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"

namespace remiss::testing {

class ReferralsServer {
 public:
  ReferralsServer(std::string data_dir, const core::Clock* clock, std::string brokers = "")
      : data_dir_(std::move(data_dir)), clock_(clock), brokers_(std::move(brokers)) {}
  ~ReferralsServer() { Stop(); }

  // Opens the store and starts serving; returns false (with the reason logged) on failure.
  ::testing::AssertionResult Start() {
    auto m = referrals::ReferralsModule::Open(data_dir_, clock_, brokers_);
    if (!m.ok()) return ::testing::AssertionFailure() << m.status();
    module_ = std::move(*m);
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20);
    module_->Host(*host_);
    if (absl::Status s = host_->Start(); !s.ok()) return ::testing::AssertionFailure() << s;
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(host_->port()),
                                   grpc::InsecureChannelCredentials());
    referrals_ = remiss::v1::ReferralService::NewStub(channel_);
    admin_ = remiss::v1::AdminService::NewStub(channel_);
    return ::testing::AssertionSuccess();
  }

  void Stop() {
    if (host_) host_->Shutdown(absl::Seconds(1));
    host_.reset();
    module_.reset();
  }

  remiss::v1::ReferralService::Stub& referrals() { return *referrals_; }
  remiss::v1::AdminService::Stub& admin() { return *admin_; }
  grpc::Channel& channel() { return *channel_; }
  referrals::ReferralsModule& module() { return *module_; }

  // A client context with a deadline, as every client call must have.
  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx->AddMetadata("x-remiss-org", "ks");
    ctx->AddMetadata("x-remiss-role", "registrator");
    return ctx;
  }

 private:
  std::string data_dir_;
  const core::Clock* clock_;
  std::string brokers_;
  std::unique_ptr<referrals::ReferralsModule> module_;
  std::unique_ptr<core::ServiceHost> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<remiss::v1::ReferralService::Stub> referrals_;
  std::unique_ptr<remiss::v1::AdminService::Stub> admin_;
};

}  // namespace remiss::testing
