// The Kafka feed's parking (kafka_feed_impl.h): a partition paused at a poison event or at a
// topic that holds less than the consumer took (AheadOfTopic), what is parked, and resuming
// a partition from the consumer's cursor when an operator asks (after a retry or a skip).
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "kafka_feed_impl.h"
#include "remiss/core/base/keys.h"

namespace remiss::core {
namespace internal {

std::vector<ParkedEvent> KafkaFeed::Parked() const {
  absl::MutexLock lock(&mu_);
  std::vector<ParkedEvent> out;
  for (const auto& [key, p] : parked_) out.push_back(p);
  return out;
}

absl::Status KafkaFeed::Resume(const std::string& source, int32_t partition) {
  absl::MutexLock lock(&mu_);
  if (parked_.count({source, partition}) == 0) {
    return absl::NotFoundError(absl::StrCat("source: ", source, " partition ", partition,
                                            " has no parked event"));
  }
  resume_.insert({source, partition});
  return absl::OkStatus();
}

bool KafkaFeed::IsParked(const std::string& source, int32_t partition) const {
  absl::MutexLock lock(&mu_);
  return parked_.count({source, partition}) > 0;
}

ParkedEvent KafkaFeed::ParkedFrom(const FeedEvent& e, const absl::Status& why) {
  return ParkedEvent{e.source,           e.partition,           e.envelope.position(),
                     e.offset,           e.envelope.event_id(), e.envelope.type(),
                     e.envelope.partition_key(), why.ToString(), e.envelope.source(),
                     e.envelope.incarnation()};
}

// Pauses the event's partition and says so loudly; the rest goes on.
void KafkaFeed::Park(ParkedEvent p) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, TopicFor(p.source).c_str(), p.partition);
  rd_kafka_pause_partitions(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  Log(absl::StrCat("PARKED ", p.source, "[", p.partition, "] at offset ", p.offset,
                   " (position ", p.position, ", ", p.event_type, "): ", p.reason,
                   "; the other partitions go on"));
  absl::MutexLock lock(&mu_);
  parked_[{p.source, p.partition}] = std::move(p);
}

// A message at or below the consumer's cursor offset, read first after the stored offset
// turned out past the topic's end (`past_stored_offset`, CheckCursor) or at or below what
// the consumer handled since: the partition holds less than the consumer took (the topic
// lost its tail or was recreated) and the consumer was reset to its beginning. Taking what
// it holds for repeats by position would drop the source's new events silently (C4): the
// partition parks. A message of another incarnation than the cursor's is left to the
// consumer, which parks it as such.
std::optional<ParkedEvent> KafkaFeed::AheadOfTopic(const rd_kafka_message_t& m,
                                                    const FeedEvent& event,
                                                    bool past_stored_offset) {
  if (!past_stored_offset) {
    auto handled = handled_.find({event.source, event.partition});
    if (handled == handled_.end() || m.offset > handled->second) return std::nullopt;
  }
  std::optional<FeedCursor> cursor = cursors_(event.source, event.partition);
  if (!cursor || m.offset > cursor->offset) return std::nullopt;
  remiss::v1::EventEnvelope envelope;
  const bool parsed = m.payload != nullptr &&
                      envelope.ParseFromArray(m.payload, static_cast<int>(m.len));
  if (parsed && !envelope.incarnation().empty() && !cursor->incarnation.empty() &&
      envelope.incarnation() != cursor->incarnation) {
    return std::nullopt;
  }
  ParkedEvent p;
  p.source = event.source;
  p.partition = event.partition;
  p.position = cursor->position;
  p.offset = m.offset;
  p.envelope_source = parsed ? envelope.source() : "";
  p.incarnation = cursor->incarnation;
  p.ahead = true;
  p.reason = absl::StrCat(
      "source: this consumer applied ", event.source, " partition ", event.partition,
      " up to offset ", cursor->offset, " (position ", cursor->position, ") but topic ",
      TopicFor(event.source), " holds less: reading after offset ", cursor->offset,
      " restarted at offset ", m.offset, ". The topic lost its tail or was recreated, and the ",
      event.source, " store may have been restored to an earlier point; its next events would "
      "be dropped as repeats, so the partition waits. Retry once the topic holds offset ",
      cursor->offset, " again with the same events (its relay republishes), or start this "
      "service afresh to follow the source as it is now");
  return p;
}

// Resumes what an operator asked for: from the consumer's cursor (past a skipped event).
void KafkaFeed::ResumeRequested() {
  std::set<std::pair<std::string, int32_t>> resume;
  {
    absl::MutexLock lock(&mu_);
    resume.swap(resume_);
  }
  for (const auto& [source, partition] : resume) {
    std::optional<FeedCursor> cursor = cursors_(source, partition);
    checks_.erase({source, partition});
    if (cursor && cursor->offset >= 0) checks_[{source, partition}] = CursorCheck{*cursor};
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, TopicFor(source).c_str(), partition)->offset =
        StartAt(cursor);
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, list, 5000)) {
      Log(absl::StrCat("resume ", source, "[", partition, "]: ", rd_kafka_error_string(e)));
      rd_kafka_error_destroy(e);
    }
    rd_kafka_resume_partitions(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    // The consumer's store has taken everything up to its cursor, a skipped message
    // included: the source's watermarks past it can be reached.
    if (auto it = handled_.find({source, partition}); it != handled_.end() && cursor) {
      it->second = std::max(it->second, cursor->offset);
      watermarks_dirty_ = true;
    }
    Log(absl::StrCat("resumed ", source, "[", partition, "]"));
    absl::MutexLock lock(&mu_);
    parked_.erase({source, partition});
  }
}

}  // namespace internal
}  // namespace remiss::core
