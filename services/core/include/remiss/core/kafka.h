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

}  // namespace remiss::core
