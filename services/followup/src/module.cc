#include "remiss/followup/module.h"

#include "remiss/core/server/prepare_store.h"

#include "remiss/followup/policy.h"

#include "remiss/followup/observer.h"

namespace remiss::followup {
namespace {

// The projections' layout, raised when what the projector keeps changes so that a store made
// by an earlier build reads wrong (2: organizations keep may_send_rounds, which rows folded
// before lack, so every ks would read as revoked). A store with an older layout is rebuilt
// from its own log at start, before anything reads or writes it.
constexpr absl::string_view kLayoutKey = "followup/projection-layout";
constexpr absl::string_view kLayout = "2";

}  // namespace

absl::StatusOr<std::unique_ptr<FollowupModule>> FollowupModule::Open(
    const core::ModuleSettings& settings,
    std::vector<std::unique_ptr<core::Feed>> feeds) {
  std::unique_ptr<FollowupModule> m(new FollowupModule());
  auto store = core::EventStore::Open(core::StoreOptionsFor(settings, "followup", &m->projector_));
  if (!store.ok()) return store.status();
  m->store_ = std::move(*store);
  if (absl::Status s = core::PrepareStore(m->store_.get(), settings); !s.ok()) return s;
  if (absl::Status s = core::UpgradeProjections(*m->store_, kLayoutKey, kLayout); !s.ok()) return s;
  m->service_ = std::make_unique<FollowupGrpcService>(m->store_.get());
  if (!settings.kafka_brokers.empty()) {
    auto relay = core::Relay::Start(m->store_.get(), core::RelayOptionsFor(settings));
    if (!relay.ok()) return relay.status();
    m->relay_ = std::move(*relay);
  }
  m->consumer_ = std::make_unique<core::FeedConsumer>(m->store_.get(), &Observe);
  m->feeds_ = std::move(feeds);
  for (auto& feed : m->feeds_) {
    if (absl::Status s = m->consumer_->Run(*feed); !s.ok()) return s;
  }
  return m;
}

FollowupModule::~FollowupModule() {
  for (auto& feed : feeds_) feed->Stop();
  if (relay_ != nullptr) relay_->Stop();
}

void FollowupModule::Host(core::ServiceHost& host) {
  service_->set_max_send_bytes(static_cast<size_t>(host.max_send_message_bytes()));
  host.AddService(service_.get(), FollowupServicePolicy());
  std::vector<const core::Feed*> feeds;
  for (const auto& f : feeds_) feeds.push_back(f.get());
  host.AddModule({.name = "followup",
                  .grpc_service = "remiss.v1.FollowupService",
                  .store = store_.get(),
                  .relay = relay_.get(),
                  .feeds = std::move(feeds),
                  .consumers = {consumer_.get()}});
}

}  // namespace remiss::followup
