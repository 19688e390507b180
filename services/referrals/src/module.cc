#include "remiss/referrals/module.h"

#include "remiss/core/server/prepare_store.h"

#include "remiss/referrals/policy.h"

namespace remiss::referrals {

absl::StatusOr<std::unique_ptr<ReferralsModule>> ReferralsModule::Open(
    const core::ModuleSettings& settings) {
  std::unique_ptr<ReferralsModule> m(new ReferralsModule());
  auto store = core::EventStore::Open(core::StoreOptionsFor(settings, "referrals", &m->projector_));
  if (!store.ok()) return store.status();
  m->store_ = std::move(*store);
  if (absl::Status s = core::PrepareStore(m->store_.get(), settings); !s.ok()) return s;
  m->service_ = std::make_unique<ReferralGrpcService>(m->store_.get());
  if (!settings.kafka_brokers.empty()) {
    auto relay = core::Relay::Start(m->store_.get(), core::RelayOptionsFor(settings));
    if (!relay.ok()) return relay.status();
    m->relay_ = std::move(*relay);
  }
  return m;
}

ReferralsModule::~ReferralsModule() {
  if (relay_ != nullptr) relay_->Stop();
}

void ReferralsModule::Host(core::ServiceHost& host) {
  host.AddService(service_.get(), ReferralServicePolicy());
  host.AddModule({.name = "referrals",
                  .grpc_service = "remiss.v1.ReferralService",
                  .store = store_.get(),
                  .relay = relay_.get()});
}

}  // namespace remiss::referrals
