#include "kafka_broker.h"

#include <librdkafka/rdkafka.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

#ifndef REMISS_SOURCE_DIR
#error "REMISS_SOURCE_DIR must be defined (the repository root)"
#endif

namespace remiss::testing {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ScriptPath() { return std::string(REMISS_SOURCE_DIR) + "/tools/kafka/kafka.sh"; }

absl::Status SetAll(rd_kafka_conf_t* conf,
                    const std::vector<std::pair<std::string, std::string>>& settings) {
  char errstr[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": ", errstr));
    }
  }
  return absl::OkStatus();
}

// One pass over the topic, up to the high watermarks as they are now.
absl::StatusOr<std::vector<ConsumedMessage>> ReadOnce(const std::string& brokers,
                                                      const std::string& topic,
                                                      absl::Time deadline) {
  static std::atomic<int> readers{0};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  absl::Status s = SetAll(
      conf, {{"bootstrap.servers", brokers},
             {"group.id", absl::StrCat("remiss-test-reader-", getpid(), "-", readers++)},
             {"enable.auto.commit", "false"},
             {"enable.partition.eof", "false"},
             {"log.connection.close", "false"}});
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(errstr);
  }
  auto done = [&](absl::StatusOr<std::vector<ConsumedMessage>> r) {
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return r;
  };
  auto ms_left = [&] {
    return static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now())));
  };

  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, ms_left());
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return done(absl::UnavailableError(absl::StrCat("metadata: ", rd_kafka_err2str(err))));
  }
  if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string why = md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "no topic";
    rd_kafka_metadata_destroy(md);
    return done(absl::NotFoundError(absl::StrCat("topic ", topic, ": ", why)));
  }
  std::vector<int32_t> partitions;
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    partitions.push_back(md->topics[0].partitions[i].id);
  }
  rd_kafka_metadata_destroy(md);

  std::map<int32_t, int64_t> end;  // partition -> high watermark, for the non-empty ones
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  for (int32_t p : partitions) {
    int64_t low = 0, high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, ms_left());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(assignment);
      return done(absl::UnavailableError(absl::StrCat("watermarks: ", rd_kafka_err2str(err))));
    }
    if (high > low) {
      end[p] = high;
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = low;
    }
  }
  err = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return done(absl::InternalError(absl::StrCat("assign: ", rd_kafka_err2str(err))));
  }

  std::vector<ConsumedMessage> out;
  std::map<int32_t, int64_t> next;  // partition -> next offset expected
  auto finished = [&] {
    for (const auto& [p, high] : end) {
      auto it = next.find(p);
      if (it == next.end() || it->second < high) return false;
    }
    return true;
  };
  while (!finished()) {
    if (absl::Now() > deadline) {
      return done(absl::DeadlineExceededError(
          absl::StrCat("read only ", out.size(), " messages of ", topic, " in time")));
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_message_destroy(m);
      continue;
    }
    ConsumedMessage c;
    c.topic = rd_kafka_topic_name(m->rkt);
    c.partition = m->partition;
    c.offset = m->offset;
    if (m->key != nullptr) c.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) c.value.assign(static_cast<const char*>(m->payload), m->len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name;
      const void* value;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                         RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        c.headers[name] = value ? std::string(static_cast<const char*>(value), size) : "";
      }
    }
    next[m->partition] = std::max(next[m->partition], m->offset + 1);
    rd_kafka_message_destroy(m);
    if (c.offset < end[c.partition]) out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const ConsumedMessage& a, const ConsumedMessage& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return done(std::move(out));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaBroker>> KafkaBroker::Start() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/remiss-kafka-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  std::unique_ptr<KafkaBroker> broker(new KafkaBroker(pattern));
  absl::Status s = broker->Restart();
  if (!s.ok()) return s;
  return broker;
}

KafkaBroker* KafkaBroker::Shared(std::string* error) {
  static std::unique_ptr<KafkaBroker> shared;
  static absl::Status status;
  static std::once_flag once;
  std::call_once(once, [] {
    auto started = Start();
    if (started.ok()) {
      shared = std::move(*started);
    } else {
      status = started.status();
    }
  });
  if (!shared && error != nullptr) *error = status.ToString();
  return shared.get();
}

KafkaBroker::~KafkaBroker() {
  if (running_) (void)Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

absl::Status KafkaBroker::RunScript(const std::string& verb, std::string* out) {
  // The broker goes away with this process even if the test crashes (kafka.sh's watchdog).
  std::string command = absl::StrCat("REMISS_KAFKA_OWNER_PID=", getpid(), " ", Quote(ScriptPath()),
                                     " ", verb, " ", Quote(dir_));
  std::fflush(nullptr);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot run ", command));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
  int rc = pclose(pipe);
  if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
    return absl::InternalError(absl::StrCat(command, " failed (status ", rc,
                                            "); see its messages above and ", dir_, "/logs"));
  }
  if (out != nullptr) *out = std::string(absl::StripAsciiWhitespace(text));
  return absl::OkStatus();
}

absl::Status KafkaBroker::Stop() {
  absl::Status s = RunScript("stop", nullptr);
  if (s.ok()) running_ = false;
  return s;
}

absl::Status KafkaBroker::Restart() {
  std::string out;
  const absl::Time start = absl::Now();
  absl::Status s = RunScript("start", &out);
  if (!s.ok()) return s;
  if (out.rfind("127.0.0.1:", 0) != 0) {
    return absl::InternalError(absl::StrCat("kafka.sh start printed '", out, "'"));
  }
  if (!bootstrap_.empty() && bootstrap_ != out) {
    return absl::InternalError(absl::StrCat("restarted on ", out, " instead of ", bootstrap_));
  }
  bootstrap_ = out;
  running_ = true;
  std::fprintf(stderr, "kafka broker %s up in %s (%s)\n", bootstrap_.c_str(),
               absl::FormatDuration(absl::Now() - start).c_str(), dir_.c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ConsumedMessage>> ReadTopic(const std::string& brokers,
                                                       const std::string& topic,
                                                       size_t min_count, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status last = absl::OkStatus();
  size_t seen = 0;
  while (true) {
    auto read = ReadOnce(brokers, topic, deadline);
    if (read.ok()) {
      if (read->size() >= min_count) return read;
      seen = read->size();
    } else {
      last = read.status();
    }
    if (absl::Now() + absl::Milliseconds(200) > deadline) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return absl::DeadlineExceededError(absl::StrCat("expected at least ", min_count, " messages on ",
                                                  topic, ", saw ", seen,
                                                  last.ok() ? "" : absl::StrCat("; ", last.ToString())));
}

absl::Status ProduceRaw(const std::string& brokers, const std::string& topic,
                        const std::vector<std::pair<std::string, std::string>>& key_values) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  absl::Status s = SetAll(conf, {{"bootstrap.servers", brokers}, {"acks", "all"}});
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  static std::atomic<int> failures{0};
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) ++failures;
  });
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(errstr);
  }
  failures = 0;
  for (const auto& [key, value] : key_values) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_destroy(rk);
      return absl::InternalError(absl::StrCat("produce: ", rd_kafka_err2str(err)));
    }
  }
  rd_kafka_resp_err_t err = rd_kafka_flush(rk, 10000);
  rd_kafka_destroy(rk);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || failures > 0) {
    return absl::InternalError(absl::StrCat("raw produce to ", topic, " failed"));
  }
  return absl::OkStatus();
}

namespace {

// A client for one admin request (the caller destroys it).
absl::StatusOr<rd_kafka_t*> AdminClient(const std::string& brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (absl::Status s = SetAll(conf, {{"bootstrap.servers", brokers}}); !s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(errstr);
  }
  return rk;
}

}  // namespace

absl::Status AlterTopicConfig(const std::string& brokers, const std::string& topic,
                              const std::map<std::string, std::string>& config) {
  absl::StatusOr<rd_kafka_t*> client = AdminClient(brokers);
  if (!client.ok()) return client.status();
  rd_kafka_t* rk = *client;
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [key, value] : config) {
    rd_kafka_ConfigResource_set_config(resource, key.c_str(), value.c_str());
  }
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AlterConfigs(rk, &resource, 1, nullptr, queue);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  absl::Status status = absl::OkStatus();
  if (event == nullptr) {
    status = absl::DeadlineExceededError("AlterConfigs: no answer");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::InternalError(absl::StrCat("AlterConfigs: ", rd_kafka_event_error_string(event)));
  } else {
    size_t n = 0;
    const rd_kafka_ConfigResource_t** results =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &n);
    for (size_t k = 0; k < n; ++k) {
      if (rd_kafka_ConfigResource_error(results[k]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = absl::InternalError(absl::StrCat("AlterConfigs: ",
                                                  rd_kafka_ConfigResource_error_string(results[k])));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return status;
}

absl::Status DeleteTopic(const std::string& brokers, const std::string& topic) {
  absl::StatusOr<rd_kafka_t*> client = AdminClient(brokers);
  if (!client.ok()) return client.status();
  rd_kafka_t* rk = *client;
  rd_kafka_DeleteTopic_t* del = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &del, 1, nullptr, queue);
  rd_kafka_DeleteTopic_destroy(del);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  absl::Status status = absl::OkStatus();
  if (event == nullptr) {
    status = absl::DeadlineExceededError("DeleteTopics: no answer");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::InternalError(absl::StrCat("DeleteTopics: ", rd_kafka_event_error_string(event)));
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return status;
}

}  // namespace remiss::testing
