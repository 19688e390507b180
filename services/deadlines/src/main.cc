// remiss-deadlines: the deadlines service alone, following the responses service over
// Kafka (so --kafka-brokers is required).
#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/server/server_main.h"
#include "remiss/deadlines/module.h"

int main(int argc, char** argv) {
  return remiss::core::ServerMain(
      argc, argv, "remiss-deadlines",
      "The deadlines service: effective deadlines, extensions, reminders, breaches, boards at risk.\n"
      "Follows remiss.responses.events.v1; needs --kafka-brokers.",
      [](const remiss::core::ServerFlags& flags,
         const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        if (flags.kafka_brokers.empty()) {
          return absl::InvalidArgumentError(
              "--kafka-brokers: required; alone, the deadlines service hears the responses "
              "service over Kafka (or run remissd, which has both)");
        }
        auto feed = remiss::core::MakeKafkaFeed({.brokers = flags.kafka_brokers,
                                                 .group_id = "remiss-deadlines",
                                                 .sources = {"responses"},
                                                 .instance_id = flags.instance_id});
        if (!feed.ok()) return feed.status();
        auto m = remiss::deadlines::DeadlinesModule::Open(settings,
                                                          std::move(*feed));
        if (!m.ok()) return m.status();
        remiss::core::Modules modules;
        modules.push_back(std::move(*m));
        return modules;
      });
}
