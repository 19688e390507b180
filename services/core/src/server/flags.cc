#include "remiss/core/server/flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/server/flag_reader.h"

namespace remiss::core {

absl::StatusOr<ServerFlags> ParseServerFlags(int argc, char** argv) {
  ServerFlags flags;
  absl::Status read = ReadFlags(
      argc, argv,
      [](absl::string_view name) { return name == "restore-from-kafka" || name == "metrics-allow-remote"; },
      [&flags](const CommandLineFlag& flag) -> absl::Status {
        const std::string& name = flag.name;
        const std::string& value = flag.value;
        if (name == "restore-from-kafka") return ReadSwitch(flag, &flags.restore_from_kafka);
        if (name == "metrics-allow-remote") return ReadSwitch(flag, &flags.metrics_remote);
        if (name == "listen") {
          flags.listen = value;
        } else if (name == "data-dir") {
          flags.data_dir = value;
        } else if (name == "kafka-brokers") {
          flags.kafka_brokers = value;
        } else if (name == "manual-clock") {
          absl::Time t;
          std::string err;
          if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "--manual-clock: must be an RFC 3339 time such as 2021-02-01T09:00:00+01:00 (", err, ")"));
          }
          flags.manual_clock = t;
        } else if (name == "command-retention-days") {
          if (!absl::SimpleAtoi(value, &flags.command_retention_days) ||
              flags.command_retention_days < 30 || flags.command_retention_days > 36500) {
            return absl::InvalidArgumentError(
                "--command-retention-days: must be a number of days from 30 to 36500");
          }
        } else if (name == "metrics-listen") {
          flags.metrics_listen = value;
        } else if (name == "probe-listen") {
          flags.probe_listen = value;
        } else if (name == "otlp-endpoint") {
          flags.otlp_endpoint = value;
        } else if (name == "kafka-properties") {
          flags.kafka_properties = value;
        } else if (name == "instance-id") {
          if (value.empty() || value.size() > 249) {
            return absl::InvalidArgumentError("--instance-id: must be a name of 1 to 249 characters");
          }
          flags.instance_id = value;
        } else if (name == "kafka-topics-config") {
          flags.kafka_topics_config = value;
        } else if (name == "tls-cert") {
          flags.tls.cert_file = value;
        } else if (name == "tls-key") {
          flags.tls.key_file = value;
        } else if (name == "tls-ca") {
          flags.tls.ca_file = value;
        } else if (name == "tls-crl-dir") {
          flags.tls.crl_dir = value;
        } else if (name == "trust-domain") {
          flags.tls.trust_domain = value;
        } else if (name == "max-message-bytes") {
          if (!absl::SimpleAtoi(value, &flags.max_message_bytes) || flags.max_message_bytes < 1024) {
            return absl::InvalidArgumentError("--max-message-bytes: must be a number of at least 1024");
          }
        } else {
          return UnknownFlag(flag);
        }
        return absl::OkStatus();
      },
      &flags.help);
  if (!read.ok()) return read;
  if (flags.restore_from_kafka && flags.kafka_brokers.empty()) {
    return absl::InvalidArgumentError("--restore-from-kafka: needs --kafka-brokers (the topics to restore from)");
  }
  if (!flags.kafka_topics_config.empty() && flags.kafka_brokers.empty()) {
    return absl::InvalidArgumentError(
        "--kafka-topics-config: needs --kafka-brokers (the cluster whose topics it describes)");
  }
  if (flags.listen.empty()) return absl::InvalidArgumentError("--listen: must be host:port");
  if (flags.data_dir.empty()) return absl::InvalidArgumentError("--data-dir: must be a directory");
  return flags;
}

std::string ServerFlagsHelp() {
  return "  --listen HOST:PORT        where to serve gRPC (default 127.0.0.1:50051; port 0 picks one)\n"
         "  --data-dir DIR            where the RocksDB stores live (default ./remiss-data)\n"
         "  --kafka-brokers LIST      publish every event to Kafka, e.g. 127.0.0.1:9092\n"
         "                            (default: none, the embedded mode)\n"
         "  --kafka-properties FILE   librdkafka security settings for every Kafka client\n"
         "                            (security.protocol, ssl.*, sasl.*: TLS, SASL/SCRAM)\n"
         "  --instance-id NAME        this instance's stable name in its Kafka consumer groups\n"
         "                            (static membership), e.g. the pod name: restarted within\n"
         "                            45 s under the same name, it gets its partitions back at\n"
         "                            once instead of after a rebalance. Never give two running\n"
         "                            instances one name (the older one is fenced and stops\n"
         "                            consuming). Default: none (dynamic membership), so that\n"
         "                            several instances on one host need no care\n"
         "  --kafka-topics-config FILE  the topic settings this deployment requires (production:\n"
         "                            infra/kafka/topics.production.conf). Relays check their\n"
         "                            topics against it, replication factor included, and never\n"
         "                            create one: the operator does. Default: the development\n"
         "                            infra/kafka/topics.conf, creating missing topics\n"
         "  --restore-from-kafka      a store that is empty (its disk was lost) is first restored\n"
         "                            from its own events topic: log, feed cursors, projections\n"
         "                            (stores that hold events are left as they are)\n"
         "  --metrics-listen HOST:PORT  serve Prometheus metrics on http://HOST:PORT/metrics\n"
         "                            (default: none; see infra/observability). Loopback only,\n"
         "  --metrics-allow-remote      unless this is given too (the metrics say what the services\n"
         "                            do: rates, lag, refusals; have a network policy)\n"
         "  --probe-listen HOST:PORT  serve grpc.health.v1 Check alone, plaintext, for Kubernetes'\n"
         "                            native gRPC probes (which speak no TLS): \"\" is readiness\n"
         "                            (SERVING while every module serves), \"liveness\" fails only\n"
         "                            for a wedged process (default: none)\n"
         "  --otlp-endpoint HOST:PORT  export traces over OTLP/gRPC to HOST:PORT, e.g. a Jaeger v2\n"
         "                            collector (default: none; see tools/observability.sh)\n"
         "  --max-message-bytes N     the largest request accepted (default 4194304)\n"
         "  --command-retention-days N  how long a command_id is remembered, so that a retry\n"
         "                            gets the first result (default 30, at least 30)\n"
         "  --tls-cert FILE, --tls-key FILE, --tls-ca FILE\n"
         "                            serve mutual TLS: this server's certificate chain and key,\n"
         "                            and the CA that issues callers' certificates (PEM; reloaded\n"
         "                            when they change). Required on any address but loopback\n"
         "  --tls-crl-dir DIR         refuse revoked client certificates: the CAs' revocation\n"
         "                            lists as <hash>.r0, .r1, ... (tools/pki.sh crl, revoke); a\n"
         "                            list added later counts from the next connection\n"
         "  --trust-domain NAME       the SPIFFE trust domain of callers' certificates\n"
         "                            (default remiss.local; see tools/pki.sh)\n"
         "  --manual-clock TIME       run on a manual clock from TIME (RFC 3339), moved only through\n"
         "                            AdminService/SetClock; for demonstrations and tests\n";
}

}  // namespace remiss::core
