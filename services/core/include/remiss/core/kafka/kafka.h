// Kafka plumbing shared by the relay and KafkaFeed: the topic definitions kept in
// infra/kafka/topics.conf (compiled in), and creating them on a broker.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace remiss::core {

struct TopicDefinition {
  std::string name;
  int partitions = 1;
  int replication_factor = -1;  // -1: the broker's default
  std::map<std::string, std::string> config;  // retention.ms=-1, ...
};

// Parses topics.conf: one topic a line, "name partitions=N replication=R key=value ...";
// '#' starts a comment.
[[nodiscard]] absl::StatusOr<std::vector<TopicDefinition>> ParseTopicDefinitions(
    const std::string& text);
// The definitions compiled in from infra/kafka/topics.conf.
[[nodiscard]] const std::vector<TopicDefinition>& BuiltinTopics();

// Creates every topic that does not exist yet; an existing topic is fine.
[[nodiscard]] absl::Status EnsureTopics(const std::string& brokers,
                                        const std::vector<TopicDefinition>& topics,
                                        absl::Duration timeout = absl::Seconds(30));

// What a topic is on the broker: its partition count and its settings.
struct TopicState {
  int partitions = 0;
  std::map<std::string, std::string> config;
};

// Whether an existing topic keeps the history its definition promises: the same partition
// count (keys stay in their partitions), retention.ms / retention.bytes and cleanup.policy
// as defined (a finite retention or compaction deletes events for good), min.insync.replicas
// and max.message.bytes at least as defined. FAILED_PRECONDITION naming the first setting
// that differs, with both values. Pure; thread-safe.
[[nodiscard]] absl::Status CheckTopicKeepsHistory(const TopicDefinition& want, const TopicState& have);

// Reads each topic's state from the brokers and checks it (CheckTopicKeepsHistory).
// UNAVAILABLE when the brokers cannot tell in time.
[[nodiscard]] absl::Status VerifyTopics(const std::string& brokers,
                                        const std::vector<TopicDefinition>& topics,
                                        absl::Duration timeout = absl::Seconds(30));

}  // namespace remiss::core
