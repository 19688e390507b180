// The relay publishes a store's log to Kafka: it tails the events column family (the
// outbox), produces each event to remiss.<source>.events.v1 with the idempotent producer
// (acks=all), key = the envelope's partition_key, headers by the CloudEvents Kafka binding
// (binary mode: ce_specversion, ce_id, ce_source, ce_type, ce_time, ce_subject, content-type,
// ce_traceparent) plus remiss_position (proto/asyncapi.yaml). It persists its cursor only up to the highest contiguous position
// whose delivery report said persisted, and sends again anything after it, so a crash or a
// broker outage loses nothing (consumers drop repeats by position). About once a second it
// also publishes a watermark to the compacted topic remiss.<source>.watermarks.v1: "every
// event recorded before settled_until is in the events topic at or below these offsets",
// which lets consumers know how far their feed is complete (KafkaFeed::Watermark). The
// instant is the store's Settled() mark that the cursor has reached: it advances under steady
// load and never passes the feeds the store restates (transitive). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/kafka/kafka.h"

namespace remiss::core {

struct RelayOptions {
  std::string brokers;                       // "127.0.0.1:9092"
  size_t max_in_flight = 200000;             // produced but not yet confirmed, at most
  std::map<std::string, std::string> extra;  // more librdkafka settings
  // The topic settings the deployment requires (--kafka-topics-config): the source's topics
  // are checked against them, replication factor included, and never created; a missing
  // one is reported and the relay publishes nothing until an operator makes it. Unset:
  // DevelopmentTopics(), which creates missing topics.
  std::optional<TopicsConfig> topics;
  // At most this many bytes of events are read from the log at a time (always at least one
  // event), whatever the room under max_in_flight.
  size_t max_read_bytes = size_t{8} << 20;
  // Tests: told of each read from the log (how many events, how many bytes), on the relay's
  // thread.
  std::function<void(size_t events, size_t bytes)> on_read;
};

class Relay {
 public:
  // Starts relaying from the stored cursor. First, on its thread: in development creates the
  // topics (idempotently, from infra/kafka/topics.conf); checks the source's topics against
  // their definitions; then that the events topic still holds the store's history: not
  // another store's (incarnation), not positions past or other than the store's log (a
  // fork), not fewer than the cursor (a lost topic). Until all of that holds it publishes
  // nothing and Health says why. The store is not owned and must outlive the relay.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Relay>> Start(EventStore* store,
                                                                   RelayOptions options);
  virtual ~Relay() = default;
  // Stops producing; waits a short while for outstanding deliveries and saves the cursor.
  virtual void Stop() = 0;
  // The highest position Kafka confirmed, with all before it.
  [[nodiscard]] virtual uint64_t Cursor() const = 0;
  // UNAVAILABLE naming the position and the reason while the relay cannot publish the event
  // after its cursor (say the broker refuses it); OK once that event went through.
  [[nodiscard]] virtual absl::Status Health() const = 0;
  // Sends the whole log again from position 1 (an operator's answer to a lost topic).
  virtual void Republish() = 0;
};

}  // namespace remiss::core
