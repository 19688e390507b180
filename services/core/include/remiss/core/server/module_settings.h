// What every service module is opened with: where its store lives, its clock, whether it
// publishes to Kafka, and how long it keeps command records. One struct, so that a new
// setting reaches every service without changing each module's signature. Plain data.
#pragma once

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/store/event_store.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace remiss::core {

class RestoreGate;

struct ModuleSettings {
  std::string data_dir;           // the service keeps its RocksDB in data_dir/<service>
  const Clock* clock = nullptr;   // not owned; outlives the module
  std::string kafka_brokers;      // empty: no relay (the embedded default)
  // The topic settings the deployment requires (--kafka-topics-config): relays check their
  // topics against them and never create one. Unset: development's topics.conf.
  std::optional<TopicsConfig> kafka_topics;
  // How long a command_id's record is kept (a retry within it is recognised), >= 30 days.
  absl::Duration command_retention = absl::Hours(24 * 30);
  // An empty store is restored from its events topic before anything else (PrepareStore).
  bool restore_from_kafka = false;
  // Without it, an empty store whose topic holds events waits here for an operator's
  // restore (AdminService.RestoreFromKafka); without a gate it refuses to start. Not owned.
  RestoreGate* restore_gate = nullptr;
  // An empty store does not start until the broker has said whether its topic holds an
  // earlier store's events: PrepareStore asks again and again for this long, then refuses
  // to start (a fresh store on such a topic could never publish).
  absl::Duration topic_check_budget = absl::Minutes(5);
  // The stores' RocksDB environment (not owned); null: the default. Tests put disk faults here.
  rocksdb::Env* env = nullptr;
  // A rebuild's chunk, in events (EventStoreOptions). Only the simulation makes it small, so
  // that a stop lands between chunks of a short log.
  size_t rebuild_chunk_events = EventStoreOptions{}.rebuild_chunk_events;
};

// The store options every service module opens its store with: data_dir/<source>, and the
// settings' clock, retention, disk and rebuild chunk.
inline EventStoreOptions StoreOptionsFor(const ModuleSettings& settings, const std::string& source,
                                         Projector* projector) {
  return {.path = settings.data_dir + "/" + source,
          .source = source,
          .clock = settings.clock,
          .projector = projector,
          .command_retention = settings.command_retention,
          .rebuild_chunk_events = settings.rebuild_chunk_events,
          .env = settings.env};
}

// What a service module's relay runs with: its brokers and its deployment's topics.
inline RelayOptions RelayOptionsFor(const ModuleSettings& settings) {
  RelayOptions options;
  options.brokers = settings.kafka_brokers;
  options.topics = settings.kafka_topics;
  return options;
}

}  // namespace remiss::core
