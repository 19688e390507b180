// remissd: every remiss service in one process, the embedded default. Services built so
// far: referrals.
#include "remiss/core/server_main.h"
#include "remiss/referrals/module.h"

int main(int argc, char** argv) {
  return remiss::core::ServerMain(
      argc, argv, "remissd",
      "All remiss services in one process (the embedded default): referrals.\n"
      "Data stays in --data-dir across restarts; with --kafka-brokers every event is also\n"
      "published to remiss.<service>.events.v1.",
      [](const remiss::core::ServerFlags& flags,
         const remiss::core::Clock* clock) -> absl::StatusOr<remiss::core::Modules> {
        remiss::core::Modules modules;
        auto referrals =
            remiss::referrals::ReferralsModule::Open(flags.data_dir, clock, flags.kafka_brokers);
        if (!referrals.ok()) return referrals.status();
        modules.push_back(std::move(*referrals));
        return modules;
      });
}
