#include "remiss/core/kafka/kafka.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

namespace remiss::core {
namespace {

// Kafka's rule for topic names: [a-zA-Z0-9._-]{1,249}, not "." or "..".
bool ValidTopicName(absl::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
           c == '-';
  });
}

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

absl::Status KafkaError(rd_kafka_resp_err_t err, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", rd_kafka_err2name(err), ": ", rd_kafka_err2str(err));
  switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return absl::DeadlineExceededError(msg);
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
      return absl::UnavailableError(msg);
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<KafkaPtr> NewAdminClient(const std::string& brokers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, const char*> settings[] = {
      {"bootstrap.servers", brokers.c_str()},
      {"client.id", "remiss-admin"},
      // Looking a topic up must never make it (with the broker's defaults) on a cluster that
      // auto-creates topics: a missing topic is reported, and created only as defined.
      {"allow.auto.create.topics", "false"},
      {"log.connection.close", "false"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka setting ", key, ": ", errstr));
    }
  }
  if (absl::Status s = ApplyKafkaClientProperties(conf); !s.ok()) {  // TLS, SASL
    rd_kafka_conf_destroy(conf);
    return s;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("kafka admin client: ", errstr));
  }
  return KafkaPtr(rk);
}

// How many brokers the cluster has (for the replication fallback).
absl::StatusOr<int> BrokerCount(rd_kafka_t* rk, absl::Duration timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(
      rk, /*all_topics=*/0, nullptr, &md,
      static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "kafka metadata");
  int count = md->broker_cnt;
  rd_kafka_metadata_destroy(md);
  return count;
}

// Runs CreateTopics once for `topics` (replication as given) and returns the per-topic
// results: NO_ERROR, TOPIC_ALREADY_EXISTS or an error.
absl::StatusOr<std::vector<std::pair<std::string, std::pair<rd_kafka_resp_err_t, std::string>>>>
CreateTopicsOnce(rd_kafka_t* rk, const std::vector<TopicDefinition>& topics,
                 absl::Time deadline) {
  char errstr[512];
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  auto free_topics = [&] {
    rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size());
  };
  for (const TopicDefinition& t : topics) {
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(t.name.c_str(), t.partitions,
                                                    t.replication_factor, errstr, sizeof errstr);
    if (nt == nullptr) {
      free_topics();
      return absl::InvalidArgumentError(absl::StrCat("topic ", t.name, ": ", errstr));
    }
    new_topics.push_back(nt);
    for (const auto& [key, value] : t.config) {
      rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str());
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        free_topics();
        return KafkaError(err, absl::StrCat("topic ", t.name, " setting ", key));
      }
    }
  }

  absl::Duration left = std::max(deadline - absl::Now(), absl::Milliseconds(100));
  int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(left));
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, errstr,
                                                sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, errstr,
                                                  sizeof errstr) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    free_topics();
    return absl::InvalidArgumentError(absl::StrCat("kafka admin options: ", errstr));
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), options.get(), queue.get());
  free_topics();

  // The request times out by itself; wait a little longer than that for its result.
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), timeout_ms + 1000));
  if (event == nullptr) {
    return absl::DeadlineExceededError("kafka CreateTopics: no result in time");
  }
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(rd_kafka_event_error(event.get()),
                      absl::StrCat("kafka CreateTopics (", rd_kafka_event_error_string(event.get()),
                                   ")"));
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  if (result == nullptr) return absl::InternalError("kafka CreateTopics: unexpected event");
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  std::vector<std::pair<std::string, std::pair<rd_kafka_resp_err_t, std::string>>> out;
  for (size_t i = 0; i < count; ++i) {
    const char* msg = rd_kafka_topic_result_error_string(results[i]);
    out.push_back({rd_kafka_topic_result_name(results[i]),
                   {rd_kafka_topic_result_error(results[i]), msg ? msg : ""}});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<TopicDefinition>> ParseTopicDefinitions(const std::string& text) {
  std::vector<TopicDefinition> topics;
  std::set<std::string> names;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto where = [&](absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat("topics.conf line ", line_no, ": ", what));
    };
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    TopicDefinition topic;
    topic.name = std::string(words[0]);
    if (!ValidTopicName(topic.name)) {
      return where(absl::StrCat("invalid topic name '", topic.name, "'"));
    }
    if (!names.insert(topic.name).second) {
      return where(absl::StrCat("topic '", topic.name, "' defined twice"));
    }
    std::set<std::string> seen;
    for (size_t i = 1; i < words.size(); ++i) {
      size_t eq = words[i].find('=');
      if (eq == absl::string_view::npos || eq == 0 || eq + 1 == words[i].size()) {
        return where(absl::StrCat("expected key=value, got '", words[i], "'"));
      }
      std::string key(words[i].substr(0, eq));
      std::string value(words[i].substr(eq + 1));
      if (!seen.insert(key).second) return where(absl::StrCat("'", key, "' given twice"));
      if (key == "partitions") {
        if (!absl::SimpleAtoi(value, &topic.partitions) || topic.partitions < 1) {
          return where(absl::StrCat("partitions must be a positive number, got '", value, "'"));
        }
      } else if (key == "replication") {
        if (!absl::SimpleAtoi(value, &topic.replication_factor) ||
            (topic.replication_factor < 1 && topic.replication_factor != -1)) {
          return where(absl::StrCat("replication must be -1 or a positive number, got '", value,
                                    "'"));
        }
      } else {
        topic.config.emplace(std::move(key), std::move(value));
      }
    }
    topics.push_back(std::move(topic));
  }
  return topics;
}

absl::StatusOr<TopicsConfig> ReadTopicsConfig(const std::string& file) {
  std::ifstream in(file);
  if (!in.good()) {
    return absl::InvalidArgumentError(absl::StrCat("topics file ", file, ": cannot be read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<TopicDefinition>> topics = ParseTopicDefinitions(text.str());
  if (!topics.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("topics file ", file, ": ", topics.status().message()));
  }
  if (topics->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("topics file ", file, ": defines no topic"));
  }
  return TopicsConfig{.file = file, .topics = std::move(*topics), .create_missing = false};
}

absl::Status EnsureTopics(const std::string& brokers, const std::vector<TopicDefinition>& topics,
                          absl::Duration timeout) {
  if (topics.empty()) return absl::OkStatus();
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<KafkaPtr> rk = NewAdminClient(brokers);
  if (!rk.ok()) return rk.status();

  std::vector<TopicDefinition> pending = topics;
  bool fell_back = false;
  while (!pending.empty()) {
    auto results = CreateTopicsOnce(rk->get(), pending, deadline);
    if (!results.ok()) return results.status();
    std::vector<TopicDefinition> retry;
    for (const auto& [name, outcome] : *results) {
      const auto& [err, message] = outcome;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        continue;
      }
      auto def = std::find_if(pending.begin(), pending.end(),
                              [&name = name](const TopicDefinition& t) { return t.name == name; });
      // A broker that does not take -1 (the broker's default, KIP-464, Kafka >= 2.4): on a
      // one-broker cluster 1 is the only possible factor.
      if (!fell_back && def != pending.end() && def->replication_factor == -1 &&
          (err == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR ||
           err == RD_KAFKA_RESP_ERR_INVALID_REQUEST ||
           err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION)) {
        absl::StatusOr<int> brokers_seen = BrokerCount(rk->get(), deadline - absl::Now());
        if (brokers_seen.ok() && *brokers_seen == 1) {
          TopicDefinition one = *def;
          one.replication_factor = 1;
          retry.push_back(std::move(one));
          continue;
        }
      }
      return KafkaError(err, absl::StrCat("creating topic ", name,
                                          message.empty() ? "" : absl::StrCat(" (", message, ")")));
    }
    if (!retry.empty()) fell_back = true;
    pending = std::move(retry);
  }
  return absl::OkStatus();
}

absl::Status CheckTopicKeepsHistory(const TopicDefinition& want, const TopicState& have,
                                    absl::string_view defined_in) {
  auto refuse = [&](absl::string_view setting, absl::string_view actual, absl::string_view needed) {
    return absl::FailedPreconditionError(absl::StrCat(
        "topic ", want.name, ": ", setting, " is ", actual, " but must be ", needed, " (",
        defined_in,
        ") or the topic does not keep the service's history; change the topic's setting, or "
        "publish to another cluster"));
  };
  if (have.partitions != want.partitions) {
    return refuse("the partition count", absl::StrCat(have.partitions), absl::StrCat(want.partitions));
  }
  // -1 leaves the factor to the broker (development); a number is what the deployment needs
  // to survive losing brokers, and fewer replicas (a one-broker cluster) do not give it.
  if (want.replication_factor > 0 && have.replication_factor < want.replication_factor) {
    return refuse("the replication factor", absl::StrCat(have.replication_factor),
                  absl::StrCat("at least ", want.replication_factor));
  }
  auto number = [](const std::string& v) {
    int64_t n = 0;
    return absl::SimpleAtoi(v, &n) ? n : INT64_MIN;
  };
  for (const auto& [key, wanted] : want.config) {
    auto it = have.config.find(key);
    const std::string actual = it == have.config.end() ? "unknown" : it->second;
    if (key == "retention.ms" || key == "retention.bytes" || key == "cleanup.policy") {
      if (actual != wanted) return refuse(key, actual, wanted);
    } else if (key == "min.insync.replicas" || key == "max.message.bytes") {
      if (number(actual) < number(wanted)) return refuse(key, actual, absl::StrCat("at least ", wanted));
    }
  }
  return absl::OkStatus();
}

namespace {

// A topic's partition count and settings, as the brokers have them; its settings only when
// `with_settings` (a DescribeConfigs, which librdkafka sends to the controller).
absl::StatusOr<TopicState> DescribeTopic(rd_kafka_t* rk, const std::string& topic, absl::Time deadline,
                                         bool with_settings) {
  const int timeout_ms = static_cast<int>(
      std::max<int64_t>(100, absl::ToInt64Milliseconds(deadline - absl::Now())));
  TopicState state;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, absl::StrCat("metadata of ", topic));
  const rd_kafka_resp_err_t topic_err =
      md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    state.partitions = md->topics[0].partition_cnt;
    for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
      const int replicas = md->topics[0].partitions[p].replica_cnt;
      state.replication_factor = p == 0 ? replicas : std::min(state.replication_factor, replicas);
    }
  }
  rd_kafka_metadata_destroy(md);
  if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
  }
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(topic_err, absl::StrCat("metadata of ", topic));
  }
  if (!with_settings) return state;

  char errstr[512];
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, errstr, sizeof errstr) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("kafka admin options: ", errstr));
  }
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConfigs(rk, &resource, 1, options.get(), queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(rd_kafka_queue_poll(queue.get(), timeout_ms + 1000));
  if (event == nullptr) return absl::DeadlineExceededError("kafka DescribeConfigs: no result in time");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(rd_kafka_event_error(event.get()),
                      absl::StrCat("kafka DescribeConfigs (", rd_kafka_event_error_string(event.get()), ")"));
  }
  const rd_kafka_DescribeConfigs_result_t* result = rd_kafka_event_DescribeConfigs_result(event.get());
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources =
      result == nullptr ? nullptr : rd_kafka_DescribeConfigs_result_resources(result, &count);
  for (size_t r = 0; r < count; ++r) {
    if (rd_kafka_ConfigResource_error(resources[r]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(rd_kafka_ConfigResource_error(resources[r]), absl::StrCat("settings of ", topic));
    }
    size_t n = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[r], &n);
    for (size_t e = 0; e < n; ++e) {
      const char* value = rd_kafka_ConfigEntry_value(entries[e]);
      state.config[rd_kafka_ConfigEntry_name(entries[e])] = value == nullptr ? "" : value;
    }
  }
  return state;
}

}  // namespace

absl::Status VerifyTopics(const std::string& brokers, const std::vector<TopicDefinition>& topics,
                          absl::Duration timeout, absl::string_view defined_in) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<KafkaPtr> rk = NewAdminClient(brokers);
  if (!rk.ok()) return rk.status();
  for (const TopicDefinition& t : topics) {
    // A definition that names no setting is checked by what metadata tells (the partition
    // count, the replicas): its settings are not asked for.
    absl::StatusOr<TopicState> state =
        DescribeTopic(rk->get(), t.name, deadline, /*with_settings=*/!t.config.empty());
    if (absl::IsNotFound(state.status())) return state.status();
    if (!state.ok()) return absl::UnavailableError(state.status().message());
    if (absl::Status s = CheckTopicKeepsHistory(t, *state, defined_in); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace remiss::core
