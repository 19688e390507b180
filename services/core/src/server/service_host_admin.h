// ServiceHost's admin service (remiss.v1.AdminService), private to the server layer and
// defined in service_host_admin.cc: restore, clock, digest and rebuild, republish, positions,
// parked events (retry or skip). The host owns it; its modules, clocks and gate outlive it.
#pragma once

#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "remiss/core/base/clock.h"
#include "remiss/core/server/restore_gate.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/admin.grpc.pb.h"

namespace remiss::core {

// The admin API over the hosted modules. Synchronous: a rebuild may take a while and
// should not hold a callback thread.
class ServiceHost::Admin final : public remiss::v1::AdminService::Service {
 public:
  Admin(const std::vector<HostedModule>* modules, ManualClock* manual, const Clock* clock,
        RestoreGate* restore_gate);

  grpc::Status RestoreFromKafka(grpc::ServerContext*,
                                const remiss::v1::RestoreFromKafkaRequest* request,
                                remiss::v1::RestoreReport* response) override;
  grpc::Status GetClock(grpc::ServerContext*, const remiss::v1::GetClockRequest*,
                        remiss::v1::ClockState* response) override;
  grpc::Status SetClock(grpc::ServerContext*, const remiss::v1::SetClockRequest* request,
                        remiss::v1::ClockState* response) override;
  grpc::Status GetProjectionDigest(grpc::ServerContext*,
                                   const remiss::v1::GetProjectionDigestRequest* request,
                                   remiss::v1::ProjectionDigest* response) override;
  grpc::Status RebuildProjections(grpc::ServerContext*,
                                  const remiss::v1::RebuildProjectionsRequest* request,
                                  remiss::v1::ProjectionDigest* response) override;
  grpc::Status RepublishEvents(grpc::ServerContext* ctx,
                               const remiss::v1::RepublishEventsRequest* request,
                               remiss::v1::Positions* response) override;
  grpc::Status GetPositions(grpc::ServerContext*, const remiss::v1::GetPositionsRequest* request,
                            remiss::v1::Positions* response) override;
  grpc::Status RetryParkedEvent(grpc::ServerContext*,
                                const remiss::v1::RetryParkedEventRequest* request,
                                remiss::v1::ParkedEventAction* response) override;
  grpc::Status SkipParkedEvent(grpc::ServerContext* context,
                               const remiss::v1::SkipParkedEventRequest* request,
                               remiss::v1::ParkedEventAction* response) override;

 private:
  static grpc::Status Invalid(const std::string& message);
  static void FillParked(const ParkedEvent& p, remiss::v1::ParkedEvent* out);
  const HostedModule* Find(const std::string& name) const;
  static grpc::Status NotFound(const std::string& name);
  static void Fill(const std::string& name, const Digest& d, remiss::v1::ProjectionDigest* out);
  void FillClock(remiss::v1::ClockState* out) const;

  const std::vector<HostedModule>* modules_;
  ManualClock* manual_;
  const Clock* clock_;
  RestoreGate* restore_gate_;
};

}  // namespace remiss::core
