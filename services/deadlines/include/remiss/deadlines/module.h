// Everything the deadlines service runs: its store (under <data_dir>/deadlines), projector,
// the consumer following the responses service through `responses_feed` (LocalFeed in
// remissd, KafkaFeed as its own process), the timer scheduler, its gRPC service and, given
// brokers, its relay. Destroy after the host has shut down.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/server/server_main.h"
#include "remiss/deadlines/projector.h"
#include "remiss/deadlines/scheduler.h"
#include "remiss/deadlines/service.h"

namespace remiss::deadlines {

class DeadlinesModule final : public core::ServiceModule {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DeadlinesModule>> Open(
      const core::ModuleSettings& settings,
      std::unique_ptr<core::Feed> responses_feed);
  ~DeadlinesModule() override;

  void Host(core::ServiceHost& host) override;
  core::EventStore& store() { return *store_; }
  Scheduler& scheduler() { return *scheduler_; }

 private:
  DeadlinesModule() = default;
  DeadlinesProjector projector_;
  std::unique_ptr<core::EventStore> store_;
  std::unique_ptr<core::FeedConsumer> consumer_;
  std::unique_ptr<core::Feed> feed_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<DeadlineGrpcService> service_;
  std::unique_ptr<core::Relay> relay_;
};

}  // namespace remiss::deadlines
