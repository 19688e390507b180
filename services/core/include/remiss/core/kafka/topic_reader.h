// Reads a Kafka topic's partitions up to where they end now, with no consumer group: what a
// restore from Kafka and the relay's checks of a topic against its store need (the checks
// are pure functions of what was read, below).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::core {

// One partition's offsets as the brokers had them when the read began.
struct PartitionRange {
  int32_t partition = 0;
  int64_t low = 0;   // the first offset still held
  int64_t high = 0;  // one past the last
};

// Fills each range's low and high offsets (ListOffsets, within `timeout` even when a
// partition's leader is unreachable): UNAVAILABLE naming the partition otherwise.
[[nodiscard]] absl::Status QueryPartitionEnds(rd_kafka_t* rk, const std::string& topic,
                                              std::vector<PartitionRange>& ranges,
                                              absl::Duration timeout);

struct TopicMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  absl::string_view value;
};

// Learns each partition's range, asks `start_at` where to begin in it (an offset in
// [low, high]; high: read nothing there), then delivers every message from there up to the
// partition's `high`, in offset order per partition, to `fn` (an error from fn ends the read
// and comes back). UNAVAILABLE when the brokers do not answer or the read makes no progress
// for `stall`; NOT_FOUND when the topic does not exist. TLS and SASL settings come from
// ApplyKafkaClientProperties.
[[nodiscard]] absl::Status ReadTopicToEnd(
    const std::string& brokers, const std::string& topic,
    const std::function<int64_t(const PartitionRange&)>& start_at,
    const std::function<absl::Status(const TopicMessage&)>& fn,
    absl::Duration stall = absl::Seconds(30));

// How many events a source's topic holds, and the last event of each partition that has any.
struct TopicTail {
  int64_t events = 0;
  std::vector<remiss::v1::EventEnvelope> last;  // one per non-empty partition
};
[[nodiscard]] absl::StatusOr<TopicTail> ReadTopicTail(const std::string& brokers,
                                                      const std::string& topic,
                                                      absl::Duration stall = absl::Seconds(10));

// A topic's events that belong to another store than `incarnation` (a fresh store must not be
// published onto another's history): FAILED_PRECONDITION naming both incarnations and what
// to do; OK when the topic is empty or holds this incarnation's events (or events from before
// incarnations were kept).
[[nodiscard]] absl::Status CheckTopicIncarnation(const TopicTail& tail, const std::string& topic,
                                                 const std::string& source,
                                                 const std::string& incarnation,
                                                 uint64_t store_position);

// The highest position the partitions' last events carry (0 for an empty topic). A relay
// sends again in position order from its saved cursor, so this is never below what it saved
// unless the topic lost history; counting messages instead would count resent duplicates.
[[nodiscard]] uint64_t HighestPosition(const TopicTail& tail);

// Whether a topic still holds what a relay had published up to `cursor`: FAILED_PRECONDITION
// when it holds fewer events, or its events reach a lower position (resent duplicates of the
// first positions are no history), saying what an operator does. OK for cursor 0.
[[nodiscard]] absl::Status CheckTopicHoldsTheCursor(const TopicTail& tail,
                                                    const std::string& source, uint64_t cursor);

// The store's event at a position; nullopt past the end of its log.
using StoreEventAt =
    std::function<absl::StatusOr<std::optional<remiss::v1::EventEnvelope>>(uint64_t position)>;

// Whether a topic holding this store's incarnation (or none) is still the store's history:
// the last event of each partition must be the store's event at that position, the same
// content (event ids are "<source>-<position>", the same on both sides of a fork). A
// position past the end of the store's log (a store restored from a backup, or one that
// lost its log's tail), or another event at it, means the two have forked:
// FAILED_PRECONDITION naming the position, both sides and what an operator decides. Events
// of other incarnations are CheckTopicIncarnation's. An error from `event_at` comes back as
// it is.
[[nodiscard]] absl::Status CheckTopicWithinLog(const TopicTail& tail, const std::string& topic,
                                               const std::string& source,
                                               const std::string& incarnation,
                                               uint64_t last_position,
                                               const StoreEventAt& event_at);

}  // namespace remiss::core
