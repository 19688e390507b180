// Everything the followup service runs: its store (under <data_dir>/followup), projector,
// one consumer per followed source (referrals, responses, deadlines: LocalFeeds in remissd,
// one KafkaFeed as its own process), its gRPC service and, given brokers, its relay.
// Destroy after the host has shut down.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/server/server_main.h"
#include "remiss/followup/projector.h"
#include "remiss/followup/service.h"

namespace remiss::followup {

class FollowupModule final : public core::ServiceModule {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<FollowupModule>> Open(
      const core::ModuleSettings& settings,
      std::vector<std::unique_ptr<core::Feed>> feeds);
  ~FollowupModule() override;

  void Host(core::ServiceHost& host) override;
  core::EventStore& store() { return *store_; }

 private:
  FollowupModule() = default;
  FollowupProjector projector_;
  std::unique_ptr<core::EventStore> store_;
  std::unique_ptr<core::FeedConsumer> consumer_;
  std::vector<std::unique_ptr<core::Feed>> feeds_;
  std::unique_ptr<FollowupGrpcService> service_;
  std::unique_ptr<core::Relay> relay_;
};

}  // namespace remiss::followup
