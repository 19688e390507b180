// The console's side of the four services: one channel per address, a deadline on every
// call, and the person in the call's metadata. Reads go out as the `gateway` role naming the
// person (x-remiss-person); commands go out in the person's own organization and role, which
// is what the services check them against. Thread-safe (gRPC stubs are).
#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "identity.h"
#include "remiss/console/console.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/notices.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"

namespace remiss::console {

class Backend {
 public:
  explicit Backend(const ConsoleOptions& options);

  remiss::v1::ReferralService::Stub& referrals() { return *referrals_; }
  remiss::v1::ResponseService::Stub& responses() { return *responses_; }
  remiss::v1::DeadlineService::Stub& deadlines() { return *deadlines_; }
  remiss::v1::FollowupService::Stub& followup() { return *followup_; }
  remiss::v1::NoticesService::Stub& notices() { return *notices_; }

  // A context for one call made for `person` (read or command: the person's organization and
  // role either way).
  std::unique_ptr<grpc::ClientContext> Context(const Person& person) const;

 private:
  int timeout_seconds_;
  std::unique_ptr<remiss::v1::ReferralService::Stub> referrals_;
  std::unique_ptr<remiss::v1::ResponseService::Stub> responses_;
  std::unique_ptr<remiss::v1::DeadlineService::Stub> deadlines_;
  std::unique_ptr<remiss::v1::FollowupService::Stub> followup_;
  std::unique_ptr<remiss::v1::NoticesService::Stub> notices_;
};

// Calls `method` on `stub` for `person`; the status as gRPC gives it.
template <typename Stub, typename Request, typename Response>
grpc::Status Call(const Backend& backend, Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Person& person, const Request& request, Response* response) {
  auto ctx = backend.Context(person);
  return (stub.*method)(ctx.get(), request, response);
}

// A refused or failed call as a person reads it, in Swedish, naming the field the service
// named ("Diarienummer (case_number): ...").
std::string SwedishError(const grpc::Status& status);

}  // namespace remiss::console
