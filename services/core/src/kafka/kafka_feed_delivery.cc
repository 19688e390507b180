// The Kafka feed's delivery (kafka_feed_impl.h): consumed messages turned into events
// (Take), batches handed to the handler (Deliver), and the partitions of a transient error
// held, paused and retried with backoff (Hold, RetryHeld) while the others go on.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "kafka_feed_impl.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/feeds/feed_failures.h"

namespace remiss::core {
namespace internal {

// Turns one consumed message into a FeedEvent; an error for a message that is not a valid
// envelope of the topic's source (poison: never skipped) or for a fatal consumer error.
absl::Status KafkaFeed::Take(const rd_kafka_message_t& m, std::vector<FeedEvent>& batch) {
  if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return absl::OkStatus();
    if (m.err == RD_KAFKA_RESP_ERR__FATAL) {
      char why[512];
      rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk_, why, sizeof why);
      return absl::InternalError(
          absl::StrCat("kafka feed: fatal consumer error: ", rd_kafka_err2name(cause), ": ", why));
    }
    // Broker down, topic not there yet, ...: librdkafka keeps trying.
    LogOnce(absl::StrCat(rd_kafka_err2name(m.err), ": ", rd_kafka_message_errstr(&m)));
    return absl::OkStatus();
  }
  const char* topic = rd_kafka_topic_name(m.rkt);
  auto source = sources_.find(topic);
  const std::string where = absl::StrCat(topic, "[", m.partition, "]@", m.offset);
  if (source == sources_.end()) {
    return absl::InternalError(absl::StrCat("kafka feed: message from unexpected topic ", where));
  }
  FeedEvent event;
  event.source = source->second;
  event.partition = m.partition;
  event.offset = m.offset;
  if (IsParked(event.source, event.partition)) return absl::OkStatus();  // fetched before the pause
  // Fetched before the pause; read again from the held events' end once they are taken.
  if (IsHeld(Key(event))) return absl::OkStatus();
  const AtCursor at = CheckCursor(m, event);
  if (at == AtCursor::kDrop) return absl::OkStatus();
  for (const ParkedEvent& earlier : pending_poison_) {
    // After a poison message its partition waits; these are read again on resume.
    if (earlier.source == event.source && earlier.partition == event.partition) {
      return absl::OkStatus();
    }
  }
  if (std::optional<ParkedEvent> ahead = AheadOfTopic(m, event, at == AtCursor::kPastEnd)) {
    pending_poison_.push_back(std::move(*ahead));
    return absl::OkStatus();
  }
  absl::Status poison;
  if (m.payload == nullptr && m.len > 0) {
    poison = absl::DataLossError(absl::StrCat("kafka feed: poison event at ", where, ": no value"));
  } else if (!event.envelope.ParseFromArray(m.payload, static_cast<int>(m.len))) {
    event.envelope.Clear();  // nothing of it is an envelope's: parked at position 0
    poison = absl::DataLossError(
        absl::StrCat("kafka feed: poison event at ", where, ": not an EventEnvelope"));
  } else if (event.envelope.source() != event.source || event.envelope.position() == 0) {
    poison = absl::DataLossError(absl::StrCat(
        "kafka feed: poison event at ", where, ": envelope of source '",
        event.envelope.source(), "' at position ", event.envelope.position()));
  }
  if (!poison.ok()) {
    // What came before it in this batch goes first; then it parks its partition.
    pending_poison_.push_back(ParkedFrom(event, poison));
    return absl::OkStatus();
  }
  rd_kafka_headers_t* headers = nullptr;
  const void* tp = nullptr;
  size_t tp_size = 0;
  if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last(headers, "ce_traceparent", &tp, &tp_size) ==
          RD_KAFKA_RESP_ERR_NO_ERROR &&
      tp != nullptr) {
    event.traceparent.assign(static_cast<const char*>(tp), tp_size);
  }
  batch.push_back(std::move(event));
  return absl::OkStatus();
}

// Lets Kafka's committed offsets follow what the handler took (monitoring only).
void KafkaFeed::StoreOffsets(const std::vector<FeedEvent>& batch) {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const FeedEvent& e : batch) {
    int64_t& n = next[{TopicFor(e.source), e.partition}];
    n = std::max(n, e.offset + 1);
  }
  rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
  for (const auto& [tp, offset] : next) {
    rd_kafka_topic_partition_list_add(offsets, tp.first.c_str(), tp.second)->offset = offset;
  }
  rd_kafka_offsets_store(rk_, offsets);  // fails for a partition revoked meanwhile: fine
  rd_kafka_topic_partition_list_destroy(offsets);
}

// Hands `batch` to the handler. A poison event parks its partition (what came before it is
// delivered, and the rest of other partitions too); a transient error holds the partitions
// it concerns (Hold: paused, retried with backoff by RetryHeld) and the rest goes on.
void KafkaFeed::Deliver(const Handler& handler, std::vector<FeedEvent> batch) {
  Unfinished left = DeliverSome(handler, std::move(batch));
  if (!left.events.empty()) Hold(std::move(left));
}

KafkaFeed::Unfinished KafkaFeed::DeliverSome(const Handler& handler, std::vector<FeedEvent> batch) {
  Unfinished left;
  // Moves every event of `key`'s partition (or all: nullopt) from the batch to `left`.
  auto wait = [&](std::optional<PartitionKey> key) {
    auto rest = std::stable_partition(batch.begin(), batch.end(), [&](const FeedEvent& e) {
      return key && Key(e) != *key;
    });
    left.events.insert(left.events.end(), std::make_move_iterator(rest),
                       std::make_move_iterator(batch.end()));
    batch.erase(rest, batch.end());
  };
  while (!batch.empty() && !stop_) {
    absl::Status s = handler(batch);
    if (s.ok()) {
      StoreOffsets(batch);
      MarkHandled(batch);
      break;
    }
    const std::optional<size_t> at = FailedEventIndex(s);
    if (IsTransient(s)) {
      // One event's trouble holds its partition; the store's (no event named), all of them.
      wait(at && *at < batch.size() ? std::optional<PartitionKey>(Key(batch[*at]))
                                    : std::nullopt);
      left.why = s;
      continue;
    }
    const size_t index = std::min(at.value_or(0), batch.size() - 1);
    if (index > 0) {
      std::vector<FeedEvent> before(std::make_move_iterator(batch.begin()),
                                    std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(index)));
      batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(index));
      Unfinished held = DeliverSome(handler, std::move(before));
      if (!held.events.empty()) {
        // What follows a held event in its partition waits behind it.
        std::set<PartitionKey> keys;
        for (const FeedEvent& e : held.events) keys.insert(Key(e));
        left.events.insert(left.events.end(), std::make_move_iterator(held.events.begin()),
                           std::make_move_iterator(held.events.end()));
        left.why = held.why;
        for (const PartitionKey& key : keys) wait(key);
      }
      continue;
    }
    const FeedEvent poison = batch.front();
    Park(ParkedFrom(poison, s));
    std::erase_if(batch, [&](const FeedEvent& e) { return Key(e) == Key(poison); });
  }
  return left;
}

bool KafkaFeed::IsHeld(const PartitionKey& key) const {
  for (const Held& h : held_) {
    if (h.next.count(key) > 0) return true;
  }
  return false;
}

// Pauses the partitions of `left` (what was fetched after them is dropped by Take and read
// again later) and keeps their events for RetryHeld.
void KafkaFeed::Hold(Unfinished left) {
  Held held;
  for (const FeedEvent& e : left.events) {
    int64_t& next = held.next[Key(e)];
    next = std::max(next, e.offset + 1);
  }
  held.events = std::move(left.events);
  const absl::Duration wait = held.backoff.Next();
  held.retry_at = absl::Now() + wait;
  SetPaused(held.next, /*paused=*/true);
  std::string partitions;
  for (const auto& [key, next] : held.next) {
    absl::StrAppend(&partitions, partitions.empty() ? "" : ", ", key.first, "[", key.second, "]");
  }
  LogOnce(absl::StrCat("handler: ", left.why.ToString(), "; pausing ", partitions,
                       " and retrying in ", absl::FormatDuration(wait), " (then with backoff)"));
  held_.push_back(std::move(held));
}

// Delivers again the held events whose time has come; a partition all of whose events were
// taken (or parked) is read on from after them.
void KafkaFeed::RetryHeld(const Handler& handler) {
  for (size_t i = 0; i < held_.size() && !stop_; ++i) {
    if (absl::Now() < held_[i].retry_at) continue;
    Unfinished left = DeliverSome(handler, std::move(held_[i].events));
    Held& held = held_[i];  // DeliverSome does not change held_
    std::map<PartitionKey, int64_t> done;
    for (auto it = held.next.begin(); it != held.next.end();) {
      const bool waiting = std::any_of(left.events.begin(), left.events.end(),
                                       [&](const FeedEvent& e) { return Key(e) == it->first; });
      if (waiting) {
        ++it;
      } else {
        if (!IsParked(it->first.first, it->first.second)) done.insert(*it);
        it = held.next.erase(it);
      }
    }
    if (!done.empty()) {
      SeekTo(done);
      SetPaused(done, /*paused=*/false);
      Log(absl::StrCat("handler: took the held events of ", done.size(),
                       " partition(s); reading on"));
    }
    held.events = std::move(left.events);
    if (held.next.empty()) {
      held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i--));
      continue;
    }
    const absl::Duration wait = held.backoff.Next();
    held.retry_at = absl::Now() + wait;
    LogOnce(absl::StrCat("handler: ", left.why.ToString(), " (retrying in ",
                         absl::FormatDuration(wait), ")"));
  }
}

void KafkaFeed::SetPaused(const std::map<PartitionKey, int64_t>& partitions, bool paused) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (const auto& [key, offset] : partitions) {
    rd_kafka_topic_partition_list_add(list, TopicFor(key.first).c_str(), key.second);
  }
  if (paused) {
    rd_kafka_pause_partitions(rk_, list);
  } else {
    rd_kafka_resume_partitions(rk_, list);
  }
  rd_kafka_topic_partition_list_destroy(list);
}

void KafkaFeed::SeekTo(const std::map<PartitionKey, int64_t>& offsets) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [key, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list, TopicFor(key.first).c_str(), key.second)->offset =
        offset;
  }
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, list, 5000)) {
    Log(absl::StrCat("seek: ", rd_kafka_error_string(e)));
    rd_kafka_error_destroy(e);
  }
  rd_kafka_topic_partition_list_destroy(list);
}

}  // namespace internal
}  // namespace remiss::core
