// The relay against its limit, a raw librdkafka producer, on the same broker:
//   relay  core::Relay publishes a referrals log of N events (built once in --store and kept;
//          its relay cursor is set back to 0 before each run, so the whole log goes out
//          again) to remiss.referrals.events.v1.
//   raw    one idempotent librdkafka producer (acks=all, linger.ms=5, the relay's settings)
//          produces the same N messages (the stored envelope bytes as value, the same key and
//          the same CloudEvents headers) to a topic of as many partitions, as fast as it can.
// Each rate counts from the first delivery confirmed to the last (what the broker takes, not
// how long either takes to start). Prints one `result` line; asserts nothing.
// Run: remiss-bench-relay --mode relay|raw --brokers HOST:PORT --store DIR [--events N]
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/restore.h"
#include "remiss/core/kafka/relay.h"
#include "rocksdb/db.h"
#include "org_events.h"

namespace {

using remiss::core::EventStore;

constexpr uint64_t kOrgs = 10000;

struct RawState {
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> failed{0};
  absl::Time first = absl::InfiniteFuture();
};

void OnRawDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* s = static_cast<RawState*>(opaque);
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++s->failed;
    return;
  }
  if (s->delivered++ == 0) s->first = absl::Now();
}

int RunRaw(const std::string& brokers, const std::string& store_dir, uint64_t events) {
  const std::string topic = "remiss-bench-raw";
  remiss::core::TopicDefinition def{.name = topic, .partitions = 6};
  if (absl::Status s = remiss::core::EnsureTopics(brokers, {def}); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  // The stored events, read as the relay would, without parsing: the values as they are.
  rocksdb::DB* db = nullptr;
  std::vector<std::string> names;
  rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), store_dir, &names);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), store_dir, cfs, &handles, &db).ok()) {
    std::fprintf(stderr, "cannot open the store read-only\n");
    return 1;
  }
  rocksdb::ColumnFamilyHandle* events_cf = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "events") events_cf = handles[i];
  }
  RawState state;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", brokers}, {"enable.idempotence", "true"}, {"acks", "all"},
           {"linger.ms", "5"}, {"partitioner", "murmur2_random"}, {"message.timeout.ms", "0"},
           {"enable.gapless.guarantee", "true"}, {"message.max.bytes", "4194304"}}) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s: %s\n", k.c_str(), errstr);
      return 1;
    }
  }
  rd_kafka_conf_set_opaque(conf, &state);
  rd_kafka_conf_set_dr_msg_cb(conf, &OnRawDelivery);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    std::fprintf(stderr, "%s\n", errstr);
    return 1;
  }
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), events_cf));
  uint64_t produced = 0;
  const std::string ce_source = "remiss/referrals";
  for (it->SeekToFirst(); it->Valid() && produced < events; it->Next()) {
    const uint64_t i = produced++;
    const std::string key = absl::StrCat("org-", i % kOrgs);
    const std::string position = absl::StrCat(i + 1);
    const std::string id = absl::StrCat("referrals-", i + 1);
    const std::string type = i < kOrgs ? "remiss.v1.OrganizationRegistered" : "remiss.v1.OrganizationUpdated";
    const std::string stream = absl::StrCat("organization-", key);
    while (true) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(9);
      auto add = [headers](const char* name, const std::string& value) {
        rd_kafka_header_add(headers, name, -1, value.data(), value.size());
      };
      add("ce_specversion", "1.0");
      add("ce_id", id);
      add("ce_source", ce_source);
      add("ce_type", type);
      add("ce_time", "2026-11-30T19:36:40.123456Z");
      add("ce_subject", stream);
      add("content-type", "application/protobuf");
      add("remiss_position", position);
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(it->value().data()), it->value().size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      rd_kafka_headers_destroy(headers);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
        return 1;
      }
      rd_kafka_poll(rk, 10);
    }
    if (produced % 1000 == 0) rd_kafka_poll(rk, 0);  // delivery reports, without a call per message
  }
  while (state.delivered + state.failed < produced) rd_kafka_poll(rk, 10);
  const absl::Time last = absl::Now();
  const double seconds = absl::ToDoubleSeconds(last - state.first);
  std::printf("result mode=raw events=%llu per_s=%.0f failed=%llu\n",
              static_cast<unsigned long long>(produced), (state.delivered - 1) / seconds,
              static_cast<unsigned long long>(state.failed.load()));
  rd_kafka_destroy(rk);
  it.reset();
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  delete db;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode, brokers, store_dir;
  uint64_t events = 2'000'000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mode" && i + 1 < argc) mode = argv[++i];
    else if (a == "--brokers" && i + 1 < argc) brokers = argv[++i];
    else if (a == "--store" && i + 1 < argc) store_dir = argv[++i];
    else if (a == "--events" && i + 1 < argc) events = std::strtoull(argv[++i], nullptr, 10);
    else mode = "?";
  }
  if ((mode != "relay" && mode != "raw") || brokers.empty() || store_dir.empty()) {
    std::fprintf(stderr, "usage: %s --mode relay|raw --brokers HOST:PORT --store DIR [--events N]\n", argv[0]);
    return 2;
  }
  remiss::core::SystemClock clock;
  {
    // The log, built once (unsynced: a benchmark's data) and kept for every run.
    auto store = *EventStore::Open({.path = store_dir, .source = "referrals", .clock = &clock, .sync = false});
    if (store->LastPosition() < events) {
      const absl::Time t0 = absl::Now();
      for (uint64_t i = store->LastPosition(); i < events; i += 1000) {
        auto r = store->Execute({}, [&](remiss::core::Tx& tx) -> absl::Status {
          for (uint64_t k = i; k < std::min(events, i + 1000); ++k) {
            auto e = OrgEvent(k, kOrgs);
            const std::string stream = absl::StrCat("organization-", e.partition_key());
            if (absl::Status s = tx.Append(stream, std::nullopt, {std::move(e)}); !s.ok()) return s;
          }
          return absl::OkStatus();
        });
        if (!r.ok()) {
          std::fprintf(stderr, "building the log: %s\n", r.status().ToString().c_str());
          return 1;
        }
      }
      std::fprintf(stderr, "log: %llu events built in %.1f s\n", static_cast<unsigned long long>(events),
                   absl::ToDoubleSeconds(absl::Now() - t0));
    }
    if (store->LastPosition() != events) {
      std::fprintf(stderr, "--store holds %llu events, not %llu: use another directory\n",
                   static_cast<unsigned long long>(store->LastPosition()),
                   static_cast<unsigned long long>(events));
      return 1;
    }
    if (mode == "relay") {
      if (absl::Status s = store->PutMeta(remiss::core::kRelayCursorKey, remiss::core::EncodeU64(0)); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
      auto relay = remiss::core::Relay::Start(store.get(), {.brokers = brokers});
      if (!relay.ok()) {
        std::fprintf(stderr, "%s\n", relay.status().ToString().c_str());
        return 1;
      }
      absl::Time first = absl::InfiniteFuture();
      uint64_t at_first = 0;
      const absl::Time give_up = absl::Now() + absl::Minutes(10);
      while ((*relay)->Cursor() < events && absl::Now() < give_up) {
        const uint64_t c = (*relay)->Cursor();
        if (c > 0 && first == absl::InfiniteFuture()) {
          first = absl::Now();
          at_first = c;
        }
        absl::SleepFor(absl::Microseconds(500));
      }
      const absl::Time last = absl::Now();
      const uint64_t cursor = (*relay)->Cursor();
      (*relay)->Stop();
      std::printf("result mode=relay events=%llu per_s=%.0f cursor=%llu\n",
                  static_cast<unsigned long long>(events),
                  (cursor - at_first) / absl::ToDoubleSeconds(last - first),
                  static_cast<unsigned long long>(cursor));
      return cursor == events ? 0 : 1;
    }
  }
  return RunRaw(brokers, store_dir, events);
}
