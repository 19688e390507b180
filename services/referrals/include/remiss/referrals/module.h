// Everything the referrals service runs: its store (under <data_dir>/referrals), its
// projector, its gRPC service and, given brokers, its relay to Kafka. remissd and the
// service's own binary both host it. Not copyable; destroy after the host has shut down.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/server/server_main.h"
#include "remiss/referrals/projector.h"
#include "remiss/referrals/service.h"

namespace remiss::referrals {

class ReferralsModule final : public core::ServiceModule {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ReferralsModule>> Open(
      const core::ModuleSettings& settings);
  ~ReferralsModule() override;

  // Registers the gRPC service and the module's admin and health details.
  void Host(core::ServiceHost& host) override;
  core::EventStore& store() { return *store_; }

 private:
  ReferralsModule() = default;
  ReferralsProjector projector_;
  std::unique_ptr<core::EventStore> store_;
  std::unique_ptr<ReferralGrpcService> service_;
  std::unique_ptr<core::Relay> relay_;
};

}  // namespace remiss::referrals
