// Leaving the group: the consumer closes (bounded: the broker may be down), then is freed.
//
// librdkafka before 2.3.0 (Debian 12 has 2.0.2) aborts the process in rd_kafka_destroy when
// the cooperative-sticky assignor was chosen at a JoinGroup but no SyncGroup has come back
// since the handle was made: the assignor's state is still null and its destructor asserts
// (librdkafka issue 4312). A feed stopped in that window (a service restarted while its group
// rebalances, as the simulation does) would take its whole process down. So a consumer that
// joined but was never assigned waits, bounded, for its first assignment before it closes;
// one that still has none after closing is not freed (its memory and threads are given up,
// with a log line) rather than abort.
#include <librdkafka/rdkafka.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kafka_feed_impl.h"

namespace remiss::core {
namespace internal {
namespace {

// How long Stop() gives the consumer to leave its group before dropping it.
constexpr absl::Duration kCloseTimeout = absl::Seconds(10);
// How long a consumer that joined its group waits for its first assignment at Stop().
constexpr absl::Duration kFirstAssignmentTimeout = absl::Seconds(10);

// librdkafka issue 4312, fixed in 2.3.0.
bool FreeingUnassignedMayAbort() { return rd_kafka_version() < 0x020300ff; }

}  // namespace

// Whether the group coordinator ever gave this consumer a member id (a JoinGroup came back).
void KafkaFeed::NoteJoined() {
  if (joined_) return;
  char* id = rd_kafka_memberid(rk_);
  if (id == nullptr) return;
  joined_ = id[0] != '\0';
  rd_kafka_mem_free(rk_, id);
}

void KafkaFeed::WaitForFirstAssignment() {
  const absl::Time deadline = absl::Now() + kFirstAssignmentTimeout;
  while (!assigned_once_ && absl::Now() < deadline) {
    // Serves the rebalance callback. A message is not delivered and its offset not stored:
    // whoever holds its partition next reads it again.
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100)) rd_kafka_message_destroy(m);
  }
}

void KafkaFeed::Close() {
  NoteJoined();
  const bool at_risk = FreeingUnassignedMayAbort() && joined_;
  if (at_risk && !assigned_once_) WaitForFirstAssignment();
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
  rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, queue);
  if (error != nullptr) {
    rd_kafka_error_destroy(error);
  } else {
    const absl::Time deadline = absl::Now() + kCloseTimeout;
    while (!rd_kafka_consumer_closed(rk_) && absl::Now() < deadline) {
      rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 100);
      if (event == nullptr) continue;
      if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
        Rebalance(rk_, rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event));
      }
      rd_kafka_event_destroy(event);
    }
  }
  rd_kafka_queue_destroy(queue);
  if (at_risk && !assigned_once_) {
    Log(absl::StrCat("closed before its first assignment came back: the consumer is not freed, "
                     "since librdkafka ", rd_kafka_version_str(),
                     " would abort the process (librdkafka issue 4312, fixed in 2.3.0)"));
  } else if (rd_kafka_consumer_closed(rk_)) {
    rd_kafka_destroy(rk_);
  } else {
    rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
  rk_ = nullptr;
  watermarks_.Close();
}

}  // namespace internal
}  // namespace remiss::core
