// A Feed that reads sources' topics from Kafka (separate processes). On partition
// assignment (cooperative-sticky) it reads from the consumer's stored offset: the message
// there must be one the consumer applied, else the topic was made again and republished and
// the partition is read again from its beginning (repeats are dropped by position); Kafka's
// committed offset is only for monitoring. A transient handler error (IsTransient) pauses
// the partitions it concerns and delivers their events again with backoff while the others
// go on; the process never ends for one. Its Watermark() follows the sources' relays'
// watermarks (remiss.<source>.watermarks.v1) once the consumer has handled every offset they
// name.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "remiss/core/feeds/feed.h"

namespace remiss::core {

struct KafkaFeedOptions {
  std::string brokers;
  std::string group_id;              // e.g. "remiss-responses"
  std::vector<std::string> sources;  // e.g. {"referrals"}: topic remiss.referrals.events.v1
  // This instance's stable name in the group (Kafka static membership, group.instance.id),
  // e.g. the pod name: restarted within the session timeout under the same name, it
  // gets its partitions back without a rebalance. Two running instances must never share
  // one (the older is fenced and its feed stops). Empty: dynamic membership.
  std::string instance_id;
  size_t max_batch = 500;
  // How long the group coordinator waits for a silent member (a dead process) before it
  // gives its partitions to others, and how long a rebalance waits for members to rejoin.
  absl::Duration session_timeout = absl::Seconds(45);
};

[[nodiscard]] absl::StatusOr<std::unique_ptr<Feed>> MakeKafkaFeed(KafkaFeedOptions options);

}  // namespace remiss::core
