// Kafka client security settings from a librdkafka properties file (--kafka-properties FILE):
// "key=value" lines, '#' comments. Only security.protocol, ssl.* and sasl.* keys are taken
// (TLS, SASL/SCRAM); everything else a remiss client sets itself, for its guarantees. Set once
// at start, before any client exists; then read-only (thread-safe) and applied to every
// producer, consumer and admin client of the process.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace remiss::core {

using KafkaProperties = std::map<std::string, std::string>;

// INVALID_ARGUMENT naming the file and line for an unreadable file, a line without '=', or
// a key that is not a security setting.
[[nodiscard]] absl::StatusOr<KafkaProperties> ReadKafkaProperties(const std::string& path);

// The properties every Kafka client of this process gets on top of its own settings.
void SetKafkaClientProperties(KafkaProperties properties);

// Sets them on `conf`, and librdkafka's log to the servers' JSON log; INVALID_ARGUMENT
// naming the key when librdkafka refuses one.
[[nodiscard]] absl::Status ApplyKafkaClientProperties(rd_kafka_conf_t* conf);

// A new client configuration: `settings` (the client's own), then the process's properties.
// INVALID_ARGUMENT naming `what` and the key when librdkafka refuses one (nothing leaks).
[[nodiscard]] absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(
    const std::vector<std::pair<std::string, std::string>>& settings, const std::string& what);

}  // namespace remiss::core
