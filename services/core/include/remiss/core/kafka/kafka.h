// Kafka plumbing shared by the relay and KafkaFeed: the topic definitions kept in
// infra/kafka/topics.conf (compiled in) or in a deployment's own file
// (--kafka-topics-config), creating them on a broker, and checking the ones that exist.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// The topic settings a deployment runs with, and where they come from. Development uses
// infra/kafka/topics.conf and creates the topics it misses; a production deployment names
// its own file (--kafka-topics-config, e.g. infra/kafka/topics.production.conf) and its
// topics are made by the operator (kafka-topics.sh, Strimzi): a missing one is an error,
// never created with whatever settings a service has. Plain data.
struct TopicsConfig {
  std::string file;                     // named in every message about a topic's settings
  std::vector<TopicDefinition> topics;
  bool create_missing = false;          // true only for development's topics.conf
};
// infra/kafka/topics.conf (BuiltinTopics), creating missing topics.
[[nodiscard]] const TopicsConfig& DevelopmentTopics();
// A deployment's topics file (the topics.conf format), whose topics are never created.
// INVALID_ARGUMENT naming the file when it cannot be read or parsed, or defines no topic.
[[nodiscard]] absl::StatusOr<TopicsConfig> ReadTopicsConfig(const std::string& file);

// Creates every topic that does not exist yet; an existing topic is fine.
[[nodiscard]] absl::Status EnsureTopics(const std::string& brokers,
                                        const std::vector<TopicDefinition>& topics,
                                        absl::Duration timeout = absl::Seconds(30));

// What a topic is on the broker: its partition count, replication factor and settings.
struct TopicState {
  int partitions = 0;
  int replication_factor = 0;  // the fewest replicas any of its partitions has
  std::map<std::string, std::string> config;
};

// Whether an existing topic keeps the history its definition promises: the same partition
// count (keys stay in their partitions), at least the replication factor defined (when the
// definition names one, not -1), retention.ms / retention.bytes and cleanup.policy as defined
// (a finite retention or compaction deletes events for good), min.insync.replicas and
// max.message.bytes at least as defined. FAILED_PRECONDITION naming the first setting that
// differs, with both values and `defined_in` (the definitions' file). Pure; thread-safe.
[[nodiscard]] absl::Status CheckTopicKeepsHistory(
    const TopicDefinition& want, const TopicState& have,
    absl::string_view defined_in = "infra/kafka/topics.conf");

// Reads each topic's state from the brokers and checks it (CheckTopicKeepsHistory); a topic's
// settings (DescribeConfigs) only when its definition names some, for only those are checked.
// NOT_FOUND naming a topic that does not exist (never created by asking: the client does
// not ask brokers to auto-create); UNAVAILABLE when the brokers cannot tell in time.
[[nodiscard]] absl::Status VerifyTopics(const std::string& brokers,
                                        const std::vector<TopicDefinition>& topics,
                                        absl::Duration timeout = absl::Seconds(30),
                                        absl::string_view defined_in = "infra/kafka/topics.conf");

}  // namespace remiss::core
