// remiss-followup: the followup service alone, following the referrals, responses and
// deadlines services over Kafka (so --kafka-brokers is required).
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/server/server_main.h"
#include "remiss/followup/module.h"

int main(int argc, char** argv) {
  return remiss::core::ServerMain(
      argc, argv, "remiss-followup",
      "The followup service: KS's status board across all boards, compilation, outcome, "
      "follow-up.\nFollows the referrals, responses and deadlines topics; needs --kafka-brokers.",
      [](const remiss::core::ServerFlags& flags,
         const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        if (flags.kafka_brokers.empty()) {
          return absl::InvalidArgumentError(
              "--kafka-brokers: required; alone, the followup service hears the other services "
              "over Kafka (or run remissd, which has them all)");
        }
        auto feed = remiss::core::MakeKafkaFeed({.brokers = flags.kafka_brokers,
                                                 .group_id = "remiss-followup",
                                                 .sources = {"referrals", "responses", "deadlines"},
                                                 .instance_id = flags.instance_id});
        if (!feed.ok()) return feed.status();
        std::vector<std::unique_ptr<remiss::core::Feed>> feeds;
        feeds.push_back(std::move(*feed));
        auto m = remiss::followup::FollowupModule::Open(settings,
                                                        std::move(feeds));
        if (!m.ok()) return m.status();
        remiss::core::Modules modules;
        modules.push_back(std::move(*m));
        return modules;
      });
}
