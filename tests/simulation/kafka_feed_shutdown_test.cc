// Found by the simulation (seed 1, kafka wiring): a service stopped while its KafkaFeed had
// not yet been given partitions by its group (a restart while the group coordinator is
// unavailable) died with SIGABRT in librdkafka 2.0.2 (rd_kafka_sticky_assignor_state_destroy:
// assertion `assignor_state' failed, librdkafka issue 4312) instead of shutting down. The
// feed must stop cleanly however early it is stopped.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "absl/time/clock.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/kafka/kafka_feed.h"
#include "tests/simulation/mock_kafka.h"

namespace remiss::sim {
namespace {

TEST(KafkaFeedShutdown, StoppedBeforeTheGroupAssignedAnythingTheFeedEndsCleanly) {
  auto kafka = MockKafka::Start(1);
  ASSERT_TRUE(kafka.ok()) << kafka.status();
  ASSERT_TRUE((*kafka)->CreateTopics({"referrals"}).ok());
  // Stopped at every moment of joining the group: before it, during the join, before the
  // first assignment; then with the coordinator refusing the join.
  for (int round = 0; round < 12; ++round) {
    if (round == 9) {
      (*kafka)->FailRequests(kJoinGroup, 1000, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
    }
    auto feed = core::MakeKafkaFeed({.brokers = (*kafka)->bootstraps(),
                                     .group_id = "remiss-responses",
                                     .sources = {"referrals"},
                                     .instance_id = "responses-0"});
    ASSERT_TRUE(feed.ok()) << feed.status();
    int delivered = 0;
    ASSERT_TRUE((*feed)
                    ->Start([](const std::string&, int32_t) { return std::optional<core::FeedCursor>(); },
                            [&](const std::vector<core::FeedEvent>& batch) {
                              delivered += static_cast<int>(batch.size());
                              return absl::OkStatus();
                            })
                    .ok());
    // The first round waits for its assignment: later ones rejoin as the same static member.
    if (round == 0) {
      for (int i = 0; i < 100 && (*feed)->Watermark() == absl::InfinitePast(); ++i) {
        absl::SleepFor(absl::Milliseconds(50));
      }
      absl::SleepFor(absl::Seconds(3));
    } else {
      absl::SleepFor(absl::Milliseconds(round < 9 ? (round - 1) * (round - 1) * 5 : 300));
    }
    (*feed)->Stop();  // without the fix the process aborts here (or in the destructor)
    feed->reset();
    EXPECT_EQ(delivered, 0);
  }
}

}  // namespace
}  // namespace remiss::sim
