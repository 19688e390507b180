#include "remiss/core/kafka/kafka_properties.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/telemetry/log.h"

namespace remiss::core {
namespace {

absl::Mutex mu;
KafkaProperties* properties ABSL_GUARDED_BY(mu) = nullptr;

bool IsSecuritySetting(absl::string_view key) {
  return key == "security.protocol" || absl::StartsWith(key, "ssl.") ||
         absl::StartsWith(key, "sasl.");
}

// librdkafka's own log lines, as the servers' log (log.h) rather than its plain stderr.
void KafkaLog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  LogJson("kafka", "librdkafka",
          {{"client", rd_kafka_name(rk)}, {"level", std::to_string(level)},
           {"facility", facility}, {"message", message}});
}

}  // namespace

absl::StatusOr<KafkaProperties> ReadKafkaProperties(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--kafka-properties: cannot read ", path));
  KafkaProperties out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l.front() == '#') continue;
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kafka-properties: ", path, ":", n, ": not key=value"));
    }
    std::string key(absl::StripAsciiWhitespace(l.substr(0, eq)));
    if (!IsSecuritySetting(key)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--kafka-properties: ", path, ":", n, ": ", key,
          " is not a security setting (only security.protocol, ssl.* and sasl.* are taken)"));
    }
    out[key] = std::string(absl::StripAsciiWhitespace(l.substr(eq + 1)));
  }
  return out;
}

void SetKafkaClientProperties(KafkaProperties p) {
  absl::MutexLock lock(&mu);
  delete properties;
  properties = new KafkaProperties(std::move(p));
}

absl::Status ApplyKafkaClientProperties(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &KafkaLog);
  absl::MutexLock lock(&mu);
  if (properties == nullptr) return absl::OkStatus();
  char errstr[512];
  for (const auto& [key, value] : *properties) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("--kafka-properties: ", key, ": ", errstr));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<rd_kafka_conf_t*> NewKafkaConf(
    const std::vector<std::pair<std::string, std::string>>& settings, const std::string& what) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat(what, ": setting ", key, ": ", errstr));
    }
  }
  if (absl::Status s = ApplyKafkaClientProperties(conf); !s.ok()) {  // TLS, SASL
    rd_kafka_conf_destroy(conf);
    return s;
  }
  return conf;
}

}  // namespace remiss::core
