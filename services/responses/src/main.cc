// remiss-responses: the responses service alone, following the referrals service over
// Kafka (so --kafka-brokers is required).
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/server/server_main.h"
#include "remiss/responses/module.h"

int main(int argc, char** argv) {
  return remiss::core::ServerMain(
      argc, argv, "remiss-responses",
      "The responses service: each board's answer, from registration to submission.\n"
      "Follows remiss.referrals.events.v1; needs --kafka-brokers.",
      [](const remiss::core::ServerFlags& flags,
         const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        if (flags.kafka_brokers.empty()) {
          return absl::InvalidArgumentError(
              "--kafka-brokers: required; alone, the responses service hears the referrals "
              "service over Kafka (or run remissd, which has both)");
        }
        auto feed = remiss::core::MakeKafkaFeed({.brokers = flags.kafka_brokers,
                                                 .group_id = "remiss-responses",
                                                 .sources = {"referrals"},
                                                 .instance_id = flags.instance_id});
        if (!feed.ok()) return feed.status();
        auto m = remiss::responses::ResponsesModule::Open(settings,
                                                          std::move(*feed));
        if (!m.ok()) return m.status();
        remiss::core::Modules modules;
        modules.push_back(std::move(*m));
        return modules;
      });
}
