// Command-line flags shared by every server binary (remissd and each service's own).
// Accepts "--name=value" and "--name value"; '-' and '_' are the same in names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

#include "absl/status/statusor.h"
#include "remiss/core/server/auth_gate.h"
#include "remiss/core/base/byte_budget.h"

namespace remiss::core {

struct ServerFlags {
  std::string listen = "127.0.0.1:50051";  // host:port; port 0 picks a free one
  std::string data_dir = "./remiss-data";  // each service keeps its RocksDB below it
  std::string kafka_brokers;               // empty: no Kafka (the embedded default)
  std::string metrics_listen;               // host:port for /metrics; empty: none
  std::string probe_listen;                 // host:port for the kubelet's gRPC probes (plaintext,
                                            // health only: probe_server.h); empty: none
  bool metrics_remote = false;              // --metrics-allow-remote: /metrics off loopback too
  std::string otlp_endpoint;               // host:port of an OTLP/gRPC trace receiver; empty: none
  std::string kafka_properties;            // a librdkafka properties file: TLS/SASL settings
  // The instance's stable name in its Kafka consumer groups (static membership); empty:
  // dynamic membership (KafkaFeedOptions::instance_id).
  std::string instance_id;
  // The topic settings the deployment requires (topics.conf format); empty: development's
  // compiled-in topics.conf, whose missing topics relays create.
  std::string kafka_topics_config;
  int max_message_bytes = kDefaultMaxRequestBytes;  // the largest request a server accepts
  // Run on a manual clock starting here (RFC 3339, e.g. 2021-02-01T09:00:00+01:00), moved
  // forward only through the admin service's SetClock; unset: the system clock.
  std::optional<absl::Time> manual_clock;
  int command_retention_days = 30;
  TlsSettings tls;  // --tls-cert/--tls-key/--tls-ca/--trust-domain; none: plaintext, loopback only  // how long command records are kept (at least 30)
  // An empty store is restored from its Kafka topic before the service starts (restore.h).
  bool restore_from_kafka = false;
  bool help = false;
};

// Parses argv. Unknown flags and missing values are errors that name the flag.
[[nodiscard]] absl::StatusOr<ServerFlags> ParseServerFlags(int argc, char** argv);
// The text --help prints, after a first line naming the program.
[[nodiscard]] std::string ServerFlagsHelp();

}  // namespace remiss::core
