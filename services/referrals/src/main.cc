// remiss-referrals: the referrals service alone, for running the services as separate
// processes over Kafka.
#include "remiss/core/server/server_main.h"
#include "remiss/referrals/module.h"

int main(int argc, char** argv) {
  return remiss::core::ServerMain(
      argc, argv, "remiss-referrals",
      "The referrals service: organizations and referral rounds (remisser).",
      [](const remiss::core::ServerFlags&,
         const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        auto m = remiss::referrals::ReferralsModule::Open(settings);
        if (!m.ok()) return m.status();
        remiss::core::Modules modules;
        modules.push_back(std::move(*m));
        return modules;
      });
}
