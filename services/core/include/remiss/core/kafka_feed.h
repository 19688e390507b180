// A Feed that reads sources' topics from Kafka (separate processes). On partition
// assignment it seeks to the consumer's stored offset + 1; Kafka's committed offset is
// only for monitoring. Its Watermark() follows the sources' relays' watermarks
// (remiss.<source>.watermarks.v1) once the consumer has handled every offset they name.
// A partition that holds less than the consumer's cursor (a message arrives at or below the
// cursor's offset: the topic lost its tail or was recreated) parks as ParkedEvent::ahead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "remiss/core/feed.h"

namespace remiss::core {

struct KafkaFeedOptions {
  std::string brokers;
  std::string group_id;              // e.g. "remiss-responses"
  std::vector<std::string> sources;  // e.g. {"referrals"}: topic remiss.referrals.events.v1
  size_t max_batch = 500;
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<Feed>> MakeKafkaFeed(KafkaFeedOptions options);

}  // namespace remiss::core
