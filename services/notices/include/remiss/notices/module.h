// Everything the notices service runs: its store (under <data_dir>/notices), projector, one
// consumer behind the feeds of referrals, responses and deadlines (LocalFeeds in remissd, one
// KafkaFeed per source as its own process), the outbox that mails what is queued, its gRPC
// service and, given brokers, its relay. Destroy after the host has shut down.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/server/server_main.h"
#include "remiss/core/store/event_store.h"
#include "remiss/notices/domain.h"
#include "remiss/notices/flags.h"
#include "remiss/notices/outbox.h"
#include "remiss/notices/projector.h"
#include "remiss/notices/service.h"

namespace remiss::notices {

class NoticesModule final : public core::ServiceModule {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<NoticesModule>> Open(
      const core::ModuleSettings& settings, NoticesConfig config, std::vector<std::unique_ptr<core::Feed>> feeds);
  ~NoticesModule() override;

  void Host(core::ServiceHost& host) override;
  core::EventStore& store() { return *store_; }
  Outbox& outbox() { return *outbox_; }

 private:
  NoticesModule() = default;
  NoticesProjector projector_;
  NoticeSettings notice_settings_;
  std::unique_ptr<core::EventStore> store_;
  std::unique_ptr<core::FeedConsumer> consumer_;
  std::vector<std::unique_ptr<core::Feed>> feeds_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<NoticesGrpcService> service_;
  std::unique_ptr<core::Relay> relay_;
};

}  // namespace remiss::notices
