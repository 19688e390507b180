#include "remiss/deadlines/module.h"

#include "remiss/core/server/prepare_store.h"

#include "remiss/deadlines/metrics.h"
#include "remiss/deadlines/policy.h"

#include "remiss/deadlines/reactions.h"

namespace remiss::deadlines {
namespace {

// The projections' layout, raised when the projector gains a key range that a store made by
// an earlier build lacks (2: due-by-org/). A store with an older layout is rebuilt from its
// own log at start, before anything reads or writes it.
constexpr absl::string_view kLayoutKey = "deadlines/projection-layout";
constexpr absl::string_view kLayout = "2";

}  // namespace

absl::StatusOr<std::unique_ptr<DeadlinesModule>> DeadlinesModule::Open(
    const core::ModuleSettings& settings,
    std::unique_ptr<core::Feed> responses_feed) {
  std::unique_ptr<DeadlinesModule> m(new DeadlinesModule());
  auto store = core::EventStore::Open(core::StoreOptionsFor(settings, "deadlines", &m->projector_));
  if (!store.ok()) return store.status();
  m->store_ = std::move(*store);
  if (absl::Status s = core::PrepareStore(m->store_.get(), settings); !s.ok()) return s;
  if (absl::Status s = core::UpgradeProjections(*m->store_, kLayoutKey, kLayout); !s.ok()) return s;
  m->service_ = std::make_unique<DeadlineGrpcService>(m->store_.get());
  if (!settings.kafka_brokers.empty()) {
    auto relay = core::Relay::Start(m->store_.get(), core::RelayOptionsFor(settings));
    if (!relay.ok()) return relay.status();
    m->relay_ = std::move(*relay);
  }
  m->consumer_ = std::make_unique<core::FeedConsumer>(m->store_.get(), &FollowResponses);
  m->feed_ = std::move(responses_feed);
  if (absl::Status s = m->consumer_->Run(*m->feed_); !s.ok()) return s;
  m->scheduler_ = std::make_unique<Scheduler>(m->store_.get(), m->feed_.get());
  m->scheduler_->Start();
  return m;
}

DeadlinesModule::~DeadlinesModule() {
  if (scheduler_ != nullptr) scheduler_->Stop();
  if (feed_ != nullptr) feed_->Stop();
  if (relay_ != nullptr) relay_->Stop();
}

void DeadlinesModule::Host(core::ServiceHost& host) {
  host.AddService(service_.get(), DeadlineServicePolicy());
  host.AddModule({.name = "deadlines",
                  .grpc_service = "remiss.v1.DeadlineService",
                  .store = store_.get(),
                  .relay = relay_.get(),
                  .feeds = {feed_.get()},
                  .consumers = {consumer_.get()},
                  .export_metrics = [store = store_.get()] { ExportDeadlineMetrics(*store); }});
}

}  // namespace remiss::deadlines
