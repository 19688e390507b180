// Everything the responses service runs: its store (under <data_dir>/responses), its
// projector, the consumer that follows the referrals service through `referrals_feed`
// (a LocalFeed in remissd, a KafkaFeed as a separate process), its gRPC service and, given
// brokers, its relay. Destroy after the host has shut down.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/server/server_main.h"
#include "remiss/responses/projector.h"
#include "remiss/responses/service.h"

namespace remiss::responses {

class ResponsesModule final : public core::ServiceModule {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ResponsesModule>> Open(
      const core::ModuleSettings& settings,
      std::unique_ptr<core::Feed> referrals_feed);
  ~ResponsesModule() override;

  void Host(core::ServiceHost& host) override;
  core::EventStore& store() { return *store_; }
  const core::Feed& referrals_feed() const { return *feed_; }

 private:
  ResponsesModule() = default;
  ResponsesProjector projector_;
  std::unique_ptr<core::EventStore> store_;
  std::unique_ptr<core::FeedConsumer> consumer_;
  std::unique_ptr<core::Feed> feed_;
  std::unique_ptr<ResponseGrpcService> service_;
  std::unique_ptr<core::Relay> relay_;
};

}  // namespace remiss::responses
