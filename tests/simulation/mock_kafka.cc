#include "tests/simulation/mock_kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace remiss::sim {
namespace {

std::string EventsTopic(const std::string& service) {
  return absl::StrCat("remiss.", service, ".events.v1");
}
std::string WatermarksTopic(const std::string& service) {
  return absl::StrCat("remiss.", service, ".watermarks.v1");
}

const core::TopicDefinition* Defined(const std::string& name) {
  for (const core::TopicDefinition& t : core::DevelopmentTopics().topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

// The highest request type FailRequests may have been given (ClearErrors clears them all).
constexpr int16_t kLastApiKey = 70;

}  // namespace

MockKafka::MockKafka(rd_kafka_t* rk, rd_kafka_mock_cluster_t* cluster, int brokers)
    : rk_(rk),
      cluster_(cluster),
      brokers_(brokers),
      bootstraps_(rd_kafka_mock_cluster_bootstraps(cluster)) {}

MockKafka::~MockKafka() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(rk_);
}

absl::StatusOr<std::unique_ptr<MockKafka>> MockKafka::Start(int brokers) {
  if (brokers < 1) return absl::InvalidArgumentError("a mock cluster needs a broker");
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  // The handle only keeps the cluster; it connects to nothing (and need not say so).
  for (const auto& [key, value] : {std::pair{"log.connection.close", "false"},
                                   std::pair{"log_level", "4"}}) {
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InternalError(absl::StrCat(key, ": ", errstr));
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("mock cluster handle: ", errstr));
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    rd_kafka_destroy(rk);
    return absl::InternalError("rd_kafka_mock_cluster_new failed");
  }
  // The mock answers Metadata up to a version below 4 by default, whose requests cannot say
  // allow.auto.create.topics=false: any client's look at a missing topic made it (with 4
  // partitions). From version 4 on it keeps to the request as a real broker does, and a
  // missing topic stays missing (UNKNOWN_TOPIC_OR_PART).
  if (rd_kafka_resp_err_t err = rd_kafka_mock_set_apiversion(cluster, kMetadata, 0, 4);
      err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return absl::InternalError(
        absl::StrCat("mock cluster: Metadata up to version 4: ", rd_kafka_err2str(err)));
  }
  return std::unique_ptr<MockKafka>(new MockKafka(rk, cluster, brokers));
}

absl::Status MockKafka::CreateTopics(const std::vector<std::string>& services) {
  const int replication = std::min(3, brokers_);
  for (const std::string& service : services) {
    for (const std::string& name : {EventsTopic(service), WatermarksTopic(service)}) {
      const core::TopicDefinition* def = Defined(name);
      if (def == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("topic ", name, " is not defined in infra/kafka/topics.conf"));
      }
      rd_kafka_resp_err_t err =
          rd_kafka_mock_topic_create(cluster_, name.c_str(), def->partitions, replication);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::InternalError(
            absl::StrCat("creating ", name, " on the mock cluster: ", rd_kafka_err2str(err)));
      }
    }
  }
  return absl::OkStatus();
}

core::TopicsConfig MockKafka::Topics() const {
  core::TopicsConfig config;
  config.file = "the simulation's mock cluster (tests/simulation/mock_kafka.h)";
  config.create_missing = false;
  for (const core::TopicDefinition& t : core::DevelopmentTopics().topics) {
    config.topics.push_back(core::TopicDefinition{
        .name = t.name, .partitions = t.partitions, .replication_factor = -1, .config = {}});
  }
  return config;
}

void MockKafka::FailRequests(int16_t api_key, int count, rd_kafka_resp_err_t err) {
  if (count <= 0) return;
  std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count), err);
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
}

void MockKafka::DelayNextResponse(int16_t api_key, absl::Duration delay) {
  for (int32_t id = 1; id <= brokers_; ++id) {
    rd_kafka_mock_broker_push_request_error_rtts(cluster_, id, api_key, 1,
                                                 RD_KAFKA_RESP_ERR_NO_ERROR,
                                                 static_cast<int>(absl::ToInt64Milliseconds(delay)));
  }
}

void MockKafka::ClearErrors() {
  for (int16_t key = 0; key <= kLastApiKey; ++key) {
    rd_kafka_mock_clear_request_errors(cluster_, key);
  }
}

absl::Status MockKafka::MoveLeader(const std::string& topic, int32_t partition,
                                   int32_t broker_id) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("moving the leader of ", topic, "[", partition,
                                                   "] to broker ", broker_id, ": ",
                                                   rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

absl::Status MockKafka::BrokerDown(int32_t id) {
  rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_down(cluster_, id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat("broker ", id, " down: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

absl::Status MockKafka::BrokerUp(int32_t id) {
  rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_up(cluster_, id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("broker ", id, " up: ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Message>> MockKafka::ReadTopic(const std::string& topic,
                                                          absl::Duration timeout) const {
  // tests/integration's reader: metadata, each partition's watermarks, assign from the low
  // ones, read up to the high ones.
  return remiss::testing::ReadTopic(bootstraps_, topic, /*min_count=*/0, timeout);
}

}  // namespace remiss::sim
