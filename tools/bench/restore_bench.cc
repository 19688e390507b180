// Restore time (what an operator waits after losing a disk) against its limit, a raw
// librdkafka consumer reading the same topic, on the same broker:
//   restore  the referrals service's start-up with --restore-from-kafka on an empty data
//            directory, in-process: ReferralsModule::Open (the store opened, PrepareStore ->
//            RestoreFromKafka: the topic read to its end, the events imported, FinishImport's
//            projections, command records and sync; then the relay started on the topic), timed
//            from the call until the module is ready to serve. The service binary does the
//            same before it listens.
//   raw      one librdkafka consumer (default settings, partitions assigned, no group joined)
//            reading every partition of the same topic from its start to its end, touching
//            each message's bytes and parsing nothing: timed from the consumer's creation to
//            the last message.
// The topic is remiss.referrals.events.v1 as the relay benchmark publishes it (run.sh (g)
// publishes a log of N events once on a broker of its own). Prints one `result` line:
// events, per_s, seconds and the process's CPU seconds meanwhile; asserts nothing.
// Run: remiss-bench-restore --mode restore|raw --brokers HOST:PORT --events N [--dir DIR]
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/base/keys.h"
#include "remiss/referrals/module.h"

namespace {

// CPU seconds (user + system) the process has used so far, all threads.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

void Print(const char* mode, uint64_t events, double seconds, double cpu) {
  std::printf("result mode=%s events=%llu seconds=%.2f per_s=%.0f cpu_s=%.2f\n", mode,
              static_cast<unsigned long long>(events), seconds, events / seconds, cpu);
  std::fflush(stdout);
}

int RunRestore(const std::string& brokers, const std::string& dir, uint64_t events) {
  std::filesystem::remove_all(dir);
  remiss::core::SystemClock clock;
  remiss::core::ModuleSettings settings{.data_dir = dir, .clock = &clock, .kafka_brokers = brokers,
                                        .restore_from_kafka = true};
  const double cpu0 = CpuSeconds();
  const absl::Time t0 = absl::Now();
  auto module = remiss::referrals::ReferralsModule::Open(settings);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  const double cpu = CpuSeconds() - cpu0;
  if (!module.ok()) {
    std::fprintf(stderr, "restore: %s\n", module.status().ToString().c_str());
    return 1;
  }
  const uint64_t restored = (*module)->store().LastPosition();
  module->reset();
  std::filesystem::remove_all(dir);
  if (restored != events) {
    std::fprintf(stderr, "restore: the store holds %llu events, the topic %llu\n",
                 static_cast<unsigned long long>(restored), static_cast<unsigned long long>(events));
    return 1;
  }
  Print("restore", restored, seconds, cpu);
  return 0;
}

int RunRaw(const std::string& brokers, const std::string& topic, uint64_t events) {
  const double cpu0 = CpuSeconds();
  const absl::Time t0 = absl::Now();
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", brokers},
           {"group.id", absl::StrCat("remiss-bench-raw-", ::getpid())},
           {"enable.auto.commit", "false"},
           {"enable.partition.eof", "false"}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s: %s\n", k.c_str(), errstr);
      return 1;
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    std::fprintf(stderr, "%s\n", errstr);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "metadata of %s: %s\n", topic.c_str(),
                 rd_kafka_err2str(err != RD_KAFKA_RESP_ERR_NO_ERROR ? err : md->topics[0].err));
    return 1;
  }
  // Per partition: where it ends now.
  std::map<int32_t, int64_t> ends;
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    const int32_t p = md->topics[0].partitions[i].id;
    int64_t low = 0, high = 0;
    err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "offsets of %s[%d]: %s\n", topic.c_str(), p, rd_kafka_err2str(err));
      return 1;
    }
    if (high <= low) continue;
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    ends[p] = high;
  }
  rd_kafka_metadata_destroy(md);
  err = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "assign: %s\n", rd_kafka_err2str(err));
    return 1;
  }
  uint64_t read = 0, bytes = 0;
  absl::Time progress = absl::Now();
  while (!ends.empty()) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 100);
    if (msg == nullptr) {
      if (absl::Now() - progress > absl::Seconds(60)) {
        std::fprintf(stderr, "raw: no progress for 60 s after %llu messages\n",
                     static_cast<unsigned long long>(read));
        return 1;
      }
      continue;
    }
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      progress = absl::Now();
      ++read;
      for (size_t i = 0; i < msg->len; i += 64) bytes += static_cast<const unsigned char*>(msg->payload)[i];
      auto end = ends.find(msg->partition);
      if (end != ends.end() && msg->offset + 1 >= end->second) ends.erase(end);
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "raw: %s\n", rd_kafka_message_errstr(msg));
      rd_kafka_message_destroy(msg);
      return 1;
    }
    rd_kafka_message_destroy(msg);
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  const double cpu = CpuSeconds() - cpu0;
  rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  if (read != events) {
    std::fprintf(stderr, "raw: the topic holds %llu messages, not %llu (checksum %llu)\n",
                 static_cast<unsigned long long>(read), static_cast<unsigned long long>(events),
                 static_cast<unsigned long long>(bytes));
    return 1;
  }
  Print("raw", read, seconds, cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode, brokers, dir;
  uint64_t events = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mode" && i + 1 < argc) mode = argv[++i];
    else if (a == "--brokers" && i + 1 < argc) brokers = argv[++i];
    else if (a == "--dir" && i + 1 < argc) dir = argv[++i];
    else if (a == "--events" && i + 1 < argc) events = std::strtoull(argv[++i], nullptr, 10);
    else mode = "?";
  }
  if ((mode != "restore" && mode != "raw") || brokers.empty() || events == 0) {
    std::fprintf(stderr, "usage: %s --mode restore|raw --brokers HOST:PORT --events N [--dir DIR]\n", argv[0]);
    return 2;
  }
  if (mode == "raw") return RunRaw(brokers, remiss::core::TopicFor("referrals"), events);
  if (dir.empty()) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("remiss-bench-restore-", ::getpid())).string();
  }
  return RunRestore(brokers, dir, events);
}
