// The simulation's Kafka: librdkafka's in-process mock cluster (rdkafka_mock.h), for the
// services' real relays, KafkaFeeds and restores to run against, with its faults as methods
// (failed requests, a partition's leader moved, a broker down) and a plain reader of a whole
// topic for the checker. No CreateTopics, DescribeConfigs or compaction on the mock: topics
// are made through its own API (CreateTopics) and the services are opened with Topics().
// Thread-safe (the mock serves its brokers from threads of its own).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "remiss/core/kafka/kafka.h"
#include "tests/integration/kafka_broker.h"

typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;

namespace remiss::sim {

// What every Kafka client of the simulation gets (core::SetKafkaClientProperties): one
// request in flight per connection. librdkafka 2.0.2's mock cluster checks an idempotent
// producer's sequence numbers only for a transactional producer, so with more in flight it
// appends a batch after an earlier one it refused, and librdkafka then counts the refused
// one as written: a gap no real broker leaves (mock_kafka_test.cc,
// ProducesRefusedWhileEventsArriveLeaveNoGapInTheTopic).
inline const std::map<std::string, std::string> kSimulationKafkaProperties = {
    {"max.in.flight.requests.per.connection", "1"}};

// One message of a topic: partition, offset, key, value, headers (and its topic).
using Message = remiss::testing::ConsumedMessage;

// Kafka's request types (ApiKey) that the faults name.
inline constexpr int16_t kProduce = 0;
inline constexpr int16_t kFetch = 1;
inline constexpr int16_t kListOffsets = 2;
inline constexpr int16_t kMetadata = 3;
inline constexpr int16_t kOffsetCommit = 8;
inline constexpr int16_t kOffsetFetch = 9;
inline constexpr int16_t kFindCoordinator = 10;
inline constexpr int16_t kJoinGroup = 11;
inline constexpr int16_t kHeartbeat = 12;
inline constexpr int16_t kSyncGroup = 14;
inline constexpr int16_t kInitProducerId = 22;

class MockKafka {
 public:
  // A cluster of `brokers` brokers (ids 1..brokers) listening on 127.0.0.1.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MockKafka>> Start(int brokers = 3);
  ~MockKafka();
  MockKafka(const MockKafka&) = delete;
  MockKafka& operator=(const MockKafka&) = delete;

  // "127.0.0.1:<port>,..." for bootstrap.servers.
  [[nodiscard]] std::string bootstraps() const { return bootstraps_; }
  [[nodiscard]] int broker_count() const { return brokers_; }

  // For each service, the topics its relay publishes to as infra/kafka/topics.conf defines
  // them (remiss.<service>.events.v1 and remiss.<service>.watermarks.v1, their partition
  // counts from DevelopmentTopics()), with the replication factor min(3, brokers).
  // INVALID_ARGUMENT for a service topics.conf does not define.
  [[nodiscard]] absl::Status CreateTopics(const std::vector<std::string>& services);

  // What the services are opened with over the mock (ModuleSettings::kafka_topics,
  // RelayOptions::topics): every events and watermarks topic of topics.conf with its
  // partition count and no settings (the mock has no DescribeConfigs: a definition without
  // settings is checked by its partition count alone, from metadata), never created.
  [[nodiscard]] core::TopicsConfig Topics() const;

  // Faults. The next `count` requests of type `api_key` (to any broker) fail with `err`.
  void FailRequests(int16_t api_key, int count, rd_kafka_resp_err_t err);
  // The next request of type `api_key` to each broker is answered (without error) `delay` late.
  void DelayNextResponse(int16_t api_key, absl::Duration delay);
  // Forgets the errors FailRequests pushed that no request has taken yet.
  void ClearErrors();
  // Makes broker `broker_id` the leader of topic[partition] (-1: no leader).
  [[nodiscard]] absl::Status MoveLeader(const std::string& topic, int32_t partition,
                                        int32_t broker_id);
  // Broker `id` closes its connections and refuses new ones; BrokerUp takes them again.
  [[nodiscard]] absl::Status BrokerDown(int32_t id);
  [[nodiscard]] absl::Status BrokerUp(int32_t id);

  // Every message of every partition of `topic`, from the beginning up to its end offsets as
  // they are when the read begins, in (partition, offset) order, read with a plain consumer
  // (assigned, no group; tests/integration's ReadTopic). DEADLINE_EXCEEDED when it cannot be
  // read within `timeout` (a broker down, a leader missing, or no such topic: the message then
  // ends with the last attempt's NOT_FOUND); it is read again until then.
  [[nodiscard]] absl::StatusOr<std::vector<Message>> ReadTopic(
      const std::string& topic, absl::Duration timeout = absl::Seconds(20)) const;

 private:
  MockKafka(rd_kafka_t* rk, rd_kafka_mock_cluster_t* cluster, int brokers);

  rd_kafka_t* rk_;  // the handle the cluster lives on
  rd_kafka_mock_cluster_t* cluster_;
  int brokers_;
  std::string bootstraps_;
};

}  // namespace remiss::sim
