#include "remiss/notices/module.h"

#include "remiss/core/server/prepare_store.h"
#include "remiss/notices/metrics.h"
#include "remiss/notices/observer.h"
#include "remiss/notices/policy.h"

namespace remiss::notices {

absl::StatusOr<std::unique_ptr<NoticesModule>> NoticesModule::Open(const core::ModuleSettings& settings,
                                                                   NoticesConfig config,
                                                                   std::vector<std::unique_ptr<core::Feed>> feeds) {
  std::unique_ptr<NoticesModule> m(new NoticesModule());
  auto store = core::EventStore::Open(core::StoreOptionsFor(settings, "notices", &m->projector_));
  if (!store.ok()) return store.status();
  m->store_ = std::move(*store);
  if (absl::Status s = core::PrepareStore(m->store_.get(), settings); !s.ok()) return s;
  m->service_ = std::make_unique<NoticesGrpcService>(m->store_.get());
  if (!settings.kafka_brokers.empty()) {
    auto relay = core::Relay::Start(m->store_.get(), core::RelayOptionsFor(settings));
    if (!relay.ok()) return relay.status();
    m->relay_ = std::move(*relay);
  }
  m->notice_settings_ = config.notices;
  m->consumer_ = std::make_unique<core::FeedConsumer>(
      m->store_.get(), [settings = &m->notice_settings_](const core::FeedEvent& event, core::Tx& tx) {
        return Observe(*settings, event, tx);
      });
  m->feeds_ = std::move(feeds);
  for (auto& feed : m->feeds_) {
    if (absl::Status s = m->consumer_->Run(*feed); !s.ok()) return s;
  }
  m->outbox_ = std::make_unique<Outbox>(m->store_.get(), std::move(config.transport), config.outbox);
  m->outbox_->Start();
  return m;
}

NoticesModule::~NoticesModule() {
  if (outbox_ != nullptr) outbox_->Stop();
  for (auto& feed : feeds_) feed->Stop();
  if (relay_ != nullptr) relay_->Stop();
}

void NoticesModule::Host(core::ServiceHost& host) {
  host.AddService(service_.get(), NoticesServicePolicy());
  std::vector<const core::Feed*> feeds;
  for (const auto& f : feeds_) feeds.push_back(f.get());
  host.AddModule({.name = "notices",
                  .grpc_service = "remiss.v1.NoticesService",
                  .store = store_.get(),
                  .relay = relay_.get(),
                  .feeds = std::move(feeds),
                  .consumers = {consumer_.get()},
                  .export_metrics = [store = store_.get()] { ExportNoticeMetrics(*store); }});
}

}  // namespace remiss::notices
