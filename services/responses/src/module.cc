#include "remiss/responses/module.h"

#include "remiss/core/server/prepare_store.h"

#include "remiss/responses/policy.h"

#include "remiss/responses/referrals_follower.h"

namespace remiss::responses {

absl::StatusOr<std::unique_ptr<ResponsesModule>> ResponsesModule::Open(
    const core::ModuleSettings& settings,
    std::unique_ptr<core::Feed> referrals_feed) {
  std::unique_ptr<ResponsesModule> m(new ResponsesModule());
  if (referrals_feed == nullptr) return absl::InvalidArgumentError("referrals_feed: is required");
  // Responses restates referrals' facts (RoundTermsRecorded): its watermark never passes the
  // referrals feed's, so a lagging referrals -> responses hop holds deadlines' breaches back.
  const core::Feed* restated = referrals_feed.get();
  core::EventStoreOptions options = core::StoreOptionsFor(settings, "responses", &m->projector_);
  options.restated_until = [restated] { return restated->Watermark(); };
  auto store = core::EventStore::Open(std::move(options));
  if (!store.ok()) return store.status();
  m->store_ = std::move(*store);
  if (absl::Status s = core::PrepareStore(m->store_.get(), settings); !s.ok()) return s;
  m->service_ = std::make_unique<ResponseGrpcService>(m->store_.get());
  if (!settings.kafka_brokers.empty()) {
    auto relay = core::Relay::Start(m->store_.get(), core::RelayOptionsFor(settings));
    if (!relay.ok()) return relay.status();
    m->relay_ = std::move(*relay);
  }
  m->consumer_ = std::make_unique<core::FeedConsumer>(m->store_.get(), &FollowReferrals);
  m->feed_ = std::move(referrals_feed);
  if (absl::Status s = m->consumer_->Run(*m->feed_); !s.ok()) return s;
  return m;
}

ResponsesModule::~ResponsesModule() {
  if (feed_ != nullptr) feed_->Stop();
  if (relay_ != nullptr) relay_->Stop();
}

void ResponsesModule::Host(core::ServiceHost& host) {
  host.AddService(service_.get(), ResponseServicePolicy());
  host.AddModule({.name = "responses",
                  .grpc_service = "remiss.v1.ResponseService",
                  .store = store_.get(),
                  .relay = relay_.get(),
                  .feeds = {feed_.get()},
                  .consumers = {consumer_.get()}});
}

}  // namespace remiss::responses
