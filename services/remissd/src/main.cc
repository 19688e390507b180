// remissd: every remiss service in one process, the embedded default. Services that
// follow others read their stores directly (LocalFeed). Built: referrals, responses, deadlines, followup.
#include "remiss/core/local_feed.h"
#include "remiss/core/server_main.h"
#include "remiss/deadlines/module.h"
#include "remiss/followup/module.h"
#include "remiss/referrals/module.h"
#include "remiss/responses/module.h"

int main(int argc, char** argv) {
  return remiss::core::ServerMain(
      argc, argv, "remissd",
      "All remiss services in one process (the embedded default): referrals, responses,\n"
      "deadlines, followup.\n"
      "Data stays in --data-dir across restarts; with --kafka-brokers every event is also\n"
      "published to remiss.<service>.events.v1.",
      [](const remiss::core::ServerFlags&,
         const remiss::core::ModuleSettings& settings) -> absl::StatusOr<remiss::core::Modules> {
        remiss::core::Modules modules;
        auto referrals = remiss::referrals::ReferralsModule::Open(settings);
        if (!referrals.ok()) return referrals.status();
        auto responses = remiss::responses::ResponsesModule::Open(
            settings,
            std::make_unique<remiss::core::LocalFeed>(&(*referrals)->store()));
        if (!responses.ok()) return responses.status();
        auto deadlines = remiss::deadlines::DeadlinesModule::Open(
            settings,
            std::make_unique<remiss::core::LocalFeed>(&(*responses)->store()));
        if (!deadlines.ok()) return deadlines.status();
        std::vector<std::unique_ptr<remiss::core::Feed>> observed;
        observed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*referrals)->store()));
        observed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*responses)->store()));
        observed.push_back(std::make_unique<remiss::core::LocalFeed>(&(*deadlines)->store()));
        auto followup = remiss::followup::FollowupModule::Open(settings, std::move(observed));
        if (!followup.ok()) return followup.status();
        modules.push_back(std::move(*referrals));
        modules.push_back(std::move(*responses));
        modules.push_back(std::move(*deadlines));
        modules.push_back(std::move(*followup));
        return modules;
      });
}
