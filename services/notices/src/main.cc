// remiss-notices: the notices service alone, following the referrals, responses and
// deadlines services over Kafka (so --kafka-brokers is required), mailing the boards.
#include <iostream>

#include "remiss/core/kafka/kafka_feed.h"
#include "remiss/core/server/server_main.h"
#include "remiss/notices/flags.h"
#include "remiss/notices/module.h"

int main(int argc, char** argv) {
  remiss::notices::NoticesFlags notices;
  std::string error;
  if (!remiss::notices::TakeNoticesFlags(argc, argv, notices, error)) {
    std::cerr << "remiss-notices: " << error << "\n";
    return 2;
  }
  return remiss::core::ServerMain(
      argc, argv, "remiss-notices",
      std::string("The notices service: the round, reminders, overdue notices, receipts and change\n"
                  "notices mailed to the boards' registry mailboxes. Follows the referrals, responses\n"
                  "and deadlines topics; needs --kafka-brokers and --smtp-url (or --smtp-capture).\n\n") +
          remiss::notices::NoticesFlagsHelp(),
      [&notices](const remiss::core::ServerFlags& flags,
                 const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        if (flags.kafka_brokers.empty()) {
          return absl::InvalidArgumentError(
              "--kafka-brokers: required; alone, the notices service hears the other services over Kafka "
              "(or run remissd with --smtp-url)");
        }
        if (!notices.enabled()) {
          return absl::InvalidArgumentError("--smtp-url: required (or --smtp-capture DIR for development)");
        }
        auto config = remiss::notices::ConfigFromFlags(notices);
        if (!config.ok()) return config.status();
        // One feed per source: a notice that waits for referrals (its round or recipient not
        // there yet) holds back only its own source.
        std::vector<std::unique_ptr<remiss::core::Feed>> feeds;
        for (const char* source : {"referrals", "responses", "deadlines"}) {
          auto feed = remiss::core::MakeKafkaFeed({.brokers = flags.kafka_brokers,
                                                   .group_id = std::string("remiss-notices-") + source,
                                                   .sources = {source},
                                                   .instance_id = flags.instance_id.empty()
                                                                      ? ""
                                                                      : flags.instance_id + "-" + source});
          if (!feed.ok()) return feed.status();
          feeds.push_back(std::move(*feed));
        }
        auto m = remiss::notices::NoticesModule::Open(settings, std::move(*config), std::move(feeds));
        if (!m.ok()) return m.status();
        remiss::core::Modules modules;
        modules.push_back(std::move(*m));
        return modules;
      });
}
