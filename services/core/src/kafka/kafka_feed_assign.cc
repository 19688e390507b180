// The Kafka feed's consumer (kafka_feed_impl.h): its settings, the assignment and
// revocation of partitions in a rebalance, and the check of a partition's stored offset when
// it is assigned (CheckCursor), which reads a recreated topic again from its beginning.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kafka_feed_impl.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/kafka_properties.h"

namespace remiss::core {
namespace internal {

absl::StatusOr<rd_kafka_t*> KafkaFeed::NewConsumer() {
  if (options_.brokers.empty()) return absl::InvalidArgumentError("kafka feed: no brokers");
  if (options_.group_id.empty()) return absl::InvalidArgumentError("kafka feed: no group id");
  if (sources_.empty()) return absl::InvalidArgumentError("kafka feed: no sources");
  absl::StatusOr<rd_kafka_conf_t*> made = NewKafkaConf(
      {{"bootstrap.servers", options_.brokers},
       {"group.id", options_.group_id},
       {"client.id", options_.group_id},
       // Where to start comes from the consumer's own store (the rebalance callback seeks);
       // Kafka's committed offsets only show progress to monitoring.
       {"enable.auto.commit", "true"},
       {"enable.auto.offset.store", "false"},
       {"auto.offset.reset", "earliest"},
       {"enable.partition.eof", "false"},
       {"allow.auto.create.topics", "false"},
       // Notice a topic created after subscribing without waiting minutes.
       {"topic.metadata.refresh.interval.ms", "5000"},
       {"log.connection.close", "false"},
       // A rebalance moves only the partitions that change owner (the rebalance callback
       // assigns incrementally); a member silent this long is given up by the coordinator.
       {"partition.assignment.strategy", "cooperative-sticky"},
       {"session.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(options_.session_timeout))}},
      "kafka feed");
  if (!made.ok()) return made.status();
  rd_kafka_conf_t* conf = *made;
  if (!options_.instance_id.empty()) {
    // Static membership: a restart under the same name within the session timeout gets its
    // partitions back at once, without a rebalance.
    char errstr[512];
    if (rd_kafka_conf_set(conf, "group.instance.id", options_.instance_id.c_str(), errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(
          absl::StrCat("kafka feed: instance id '", options_.instance_id, "': ", errstr));
    }
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, &KafkaFeed::OnRebalance);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka feed: consumer: ", errstr));
  }
  rd_kafka_poll_set_consumer(rk);
  return rk;
}

void KafkaFeed::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<KafkaFeed*>(opaque)->Rebalance(rk, err, partitions);
}

// On assignment every partition starts at the consumer's stored offset, whose message is
// checked before anything after it is delivered (CheckCursor), or at the beginning; runs on
// the feed's thread, inside a poll. With cooperative-sticky assignment the lists name only
// the partitions that change hands.
void KafkaFeed::Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  assigned_once_ = true;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < partitions->cnt; ++i) {
      rd_kafka_topic_partition_t& p = partitions->elems[i];
      auto source = sources_.find(p.topic);
      std::optional<FeedCursor> cursor;
      if (source != sources_.end() && cursors_) cursor = cursors_(source->second, p.partition);
      p.offset = StartAt(cursor);
      if (source == sources_.end()) continue;
      const PartitionKey key{source->second, p.partition};
      Forget(key);
      if (cursor && cursor->offset >= 0) checks_[key] = CursorCheck{*cursor};
      // Nothing counts as handled until the stored offset is known to be this topic's.
      handled_[key] = -1;
    }
    watermarks_dirty_ = true;
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, partitions)) {
        Log(absl::StrCat("assign: ", rd_kafka_error_string(e)));
        rd_kafka_error_destroy(e);
      }
    } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions); e) {
      Log(absl::StrCat("assign: ", rd_kafka_err2str(e)));
    }
    // A partition this consumer paused while it last held it (a transient error) fetches
    // again: what was held was dropped with the revocation. A parked one stays paused.
    std::map<PartitionKey, int64_t> fetch;
    for (int i = 0; i < partitions->cnt; ++i) {
      auto source = sources_.find(partitions->elems[i].topic);
      if (source == sources_.end()) continue;
      if (!IsParked(source->second, partitions->elems[i].partition)) {
        fetch[{source->second, partitions->elems[i].partition}] = 0;
      }
    }
    SetPaused(fetch, /*paused=*/false);
  } else {
    // What this consumer no longer reads covers no watermark, and is no longer retried here.
    for (int i = 0; i < partitions->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = partitions->elems[i];
      auto source = sources_.find(p.topic);
      if (source == sources_.end()) continue;
      handled_.erase({source->second, p.partition});
      Forget({source->second, p.partition});
    }
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, partitions)) {
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(rk, nullptr);
      handled_.clear();
      checks_.clear();
      held_.clear();
    }
  }
}

// Where a partition is read from: the consumer's stored offset (its message is read again
// and checked, see CheckCursor), or the beginning.
int64_t KafkaFeed::StartAt(const std::optional<FeedCursor>& cursor) {
  return cursor && cursor->offset >= 0 ? cursor->offset : RD_KAFKA_OFFSET_BEGINNING;
}

// Drops what the feed's thread keeps about a partition it gives up or starts again.
void KafkaFeed::Forget(const PartitionKey& key) {
  checks_.erase(key);
  for (auto it = held_.begin(); it != held_.end();) {
    it->next.erase(key);
    std::erase_if(it->events, [&](const FeedEvent& e) { return Key(e) == key; });
    it = it->next.empty() ? held_.erase(it) : std::next(it);
  }
}

// The first message of a partition read from the consumer's stored offset: whether it is
// to be delivered. At that offset the topic must hold an event this consumer applied (its
// position at most the cursor's); then it is not delivered again. A later event there means
// the topic was deleted, made again and republished (offsets start from 0 again): reading
// on from the stored offset would skip events, so the partition is read again from its
// beginning and the consumer drops the repeats by position. An earlier offset means
// librdkafka found the stored offset past the topic's end and started at the beginning: the
// topic holds less than the consumer took, and the partition parks (AheadOfTopic).
KafkaFeed::AtCursor KafkaFeed::CheckCursor(const rd_kafka_message_t& m, const FeedEvent& event) {
  auto check = checks_.find(Key(event));
  if (check == checks_.end()) return AtCursor::kDeliver;
  const FeedCursor cursor = check->second.cursor;
  if (check->second.rewinding) {
    // Until the seek back shows: nothing from the old fetch position.
    if (m.offset > cursor.offset) {
      if (absl::Now() >= check->second.seek_again) SeekBack(check->first, check->second);
      return AtCursor::kDrop;
    }
    checks_.erase(check);
    return AtCursor::kDeliver;
  }
  const std::string where = absl::StrCat(event.source, "[", event.partition, "]@", m.offset);
  if (m.offset < cursor.offset) {
    // The stored offset is past the topic's end: the partition holds less than this consumer
    // took (a lost tail, or a topic made again shorter). What it holds would be dropped as
    // repeats, and the source's next events with them: AheadOfTopic parks the partition.
    // Nothing of it counts as handled (watermarks stay behind it).
    checks_.erase(check);
    return AtCursor::kPastEnd;
  }
  if (m.offset != cursor.offset) {
    checks_.erase(check);
    Log(absl::StrCat(where, ": read from offset ", m.offset, ", not the stored offset ",
                     cursor.offset, " (not there): delivering from here; repeats are dropped by ",
                     "position"));
    return AtCursor::kDeliver;
  }
  remiss::v1::EventEnvelope e;
  const bool envelope = m.payload != nullptr &&
                        e.ParseFromArray(m.payload, static_cast<int>(m.len)) &&
                        e.source() == event.source && e.position() != 0;
  if (envelope && !cursor.incarnation.empty() && !e.incarnation().empty() &&
      e.incarnation() != cursor.incarnation) {
    checks_.erase(check);
    return AtCursor::kDeliver;  // another store's history: the consumer parks it as such
  }
  if (!envelope || e.position() <= cursor.position) {
    // The event applied last (or an operator skipped it): it stays applied.
    checks_.erase(check);
    handled_[Key(event)] = std::max(handled_[Key(event)], cursor.offset);
    watermarks_dirty_ = true;
    return AtCursor::kDrop;
  }
  Log(absl::StrCat(where, " holds position ", e.position(), " but this consumer applied up to ",
                   "position ", cursor.position, " with that offset: the topic was made again ",
                   "and republished; reading the partition again from its beginning (repeats ",
                   "are dropped by position)"));
  check->second.rewinding = true;
  handled_[Key(event)] = -1;
  SeekBack(check->first, check->second);
  return AtCursor::kDrop;
}

// Reads a partition again from its beginning (CheckCursor); a failed seek is tried again
// when the next message from the old position comes, a second later.
void KafkaFeed::SeekBack(const PartitionKey& key, CursorCheck& check) {
  check.seek_again = absl::Now() + absl::Seconds(1);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, TopicFor(key.first).c_str(), key.second)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, list, 5000)) {
    Log(absl::StrCat("seeking ", key.first, "[", key.second, "] back to its beginning: ",
                     rd_kafka_error_string(error), " (trying again)"));
    rd_kafka_error_destroy(error);
  } else if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    Log(absl::StrCat("seeking ", key.first, "[", key.second, "] back to its beginning: ",
                     rd_kafka_err2str(list->elems[0].err), " (trying again)"));
  }
  rd_kafka_topic_partition_list_destroy(list);
}

}  // namespace internal
}  // namespace remiss::core
