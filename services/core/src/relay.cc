#include "remiss/core/relay.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "remiss/core/kafka.h"
#include "remiss/core/keys.h"

namespace remiss::core {
namespace {

constexpr char kCursorKey[] = "relay/cursor";
constexpr size_t kReadBatch = 500;
// How long Stop() waits for outstanding delivery reports before giving up on them (they are
// sent again by the next relay, from the saved cursor).
constexpr absl::Duration kStopFlush = absl::Seconds(5);
constexpr absl::Duration kSaveEvery = absl::Seconds(1);
constexpr absl::Duration kRetryBackoff = absl::Seconds(1);
constexpr absl::Duration kTopicAttempt = absl::Seconds(5);

void* PositionOpaque(uint64_t position) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(position));
}
uint64_t OpaquePosition(void* opaque) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(opaque));
}

int64_t TimestampMillis(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

class KafkaRelay final : public Relay {
 public:
  KafkaRelay(EventStore* store, RelayOptions options)
      : store_(store), options_(std::move(options)), topic_(TopicFor(store->source())) {}

  ~KafkaRelay() override { Stop(); }

  absl::Status Init() {
    if (auto saved = store_->GetMeta(kCursorKey); saved.has_value()) {
      cursor_ = DecodeU64(*saved);
    }
    saved_ = cursor_.load();
    next_ = cursor_ + 1;
    if (options_.max_in_flight == 0) options_.max_in_flight = 1;
    absl::StatusOr<rd_kafka_t*> rk = NewProducer();
    if (!rk.ok()) return rk.status();
    rk_ = *rk;
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() override {
    absl::MutexLock lock(&stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (rk_ != nullptr) {
      // Outstanding deliveries get a short while; whatever is left is sent again later.
      absl::Time deadline = absl::Now() + kStopFlush;
      while (in_flight_ > 0 && absl::Now() < deadline) rd_kafka_poll(rk_, 100);
      if (in_flight_ > 0) {
        Log(absl::StrCat(in_flight_, " deliveries unconfirmed at stop; they are sent again from "
                         "position ", cursor_ + 1, " next time"));
        rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(rk_, 0);
      }
      SaveCursor(/*force=*/true);
      rd_kafka_destroy(rk_);
      rk_ = nullptr;
    }
  }

  uint64_t Cursor() const override { return cursor_; }

 private:
  absl::StatusOr<rd_kafka_t*> NewProducer() {
    char errstr[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::map<std::string, std::string> settings = {
        {"bootstrap.servers", options_.brokers},
        {"client.id", absl::StrCat("remiss-relay-", store_->source())},
        {"enable.idempotence", "true"},
        {"acks", "all"},
        // Never time a message out: a timed-out message leaves a gap in its partition while
        // later ones get through (librdkafka INTRODUCTION, "Message timeout considerations"),
        // and a consumer would then drop the re-sent one as a repeat. Messages wait out a
        // broker outage instead.
        {"message.timeout.ms", "0"},
        // Any other failure that could leave a gap stops the producer (fatal): the relay then
        // makes a new one and sends again from the cursor.
        {"enable.gapless.guarantee", "true"},
        // The Java client's partitioner, so keys land where Java producers would put them.
        {"partitioner", "murmur2_random"},
        {"linger.ms", "5"},
        {"log.connection.close", "false"},
    };
    for (const auto& [key, value] : options_.extra) settings[key] = value;
    for (const auto& [key, value] : settings) {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return absl::InvalidArgumentError(absl::StrCat("relay: kafka setting ", key, ": ", errstr));
      }
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaRelay::OnDelivery);
    rd_kafka_conf_set_error_cb(conf, &KafkaRelay::OnError);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("relay: kafka producer: ", errstr));
    }
    return rk;
  }

  // Delivery reports and errors arrive on whichever thread calls rd_kafka_poll: the relay
  // thread while it runs, then Stop() after joining it. Never both at once.
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
    static_cast<KafkaRelay*>(opaque)->Delivered(OpaquePosition(msg->_private), msg->err);
  }
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaRelay*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char why[512];
      rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, why, sizeof why);
      self->Log(absl::StrCat("fatal producer error: ", rd_kafka_err2name(cause), ": ", why));
      self->fatal_ = true;
      return;
    }
    // Transport errors while the broker is down are expected; librdkafka retries.
    self->LogOnce(absl::StrCat("kafka: ", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
                               ": ", reason));
  }

  void Delivered(uint64_t position, rd_kafka_resp_err_t err) {
    if (in_flight_ > 0) --in_flight_;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (!failed_ && !stop_) {
        LogOnce(absl::StrCat("delivery of position ", position, " failed: ",
                             rd_kafka_err2name(err), "; sending again from position ",
                             cursor_ + 1));
      }
      failed_ = true;
      return;
    }
    uint64_t cursor = cursor_;
    if (position <= cursor) return;  // a repeat after a rewind
    if (position == cursor + 1) {
      ++cursor;
      while (!ahead_.empty() && *ahead_.begin() <= cursor + 1) {
        cursor = std::max(cursor, *ahead_.begin());
        ahead_.erase(ahead_.begin());
      }
      cursor_ = cursor;
    } else {
      ahead_.insert(position);
    }
  }

  void SaveCursor(bool force) {
    uint64_t cursor = cursor_;
    if (cursor == saved_) return;
    if (!force && absl::Now() - last_save_ < kSaveEvery) return;
    last_save_ = absl::Now();
    absl::Status s = store_->PutMeta(kCursorKey, EncodeU64(cursor));
    if (s.ok()) {
      saved_ = cursor;
    } else {
      Log(absl::StrCat("saving the cursor failed: ", s.ToString()));
    }
  }

  // Sleeps up to `d`, serving delivery reports; returns early on stop.
  void Pause(absl::Duration d) {
    absl::Time until = absl::Now() + d;
    while (!stop_ && absl::Now() < until) rd_kafka_poll(rk_, 100);
  }

  // Sends again everything after the cursor.
  void Rewind() {
    next_ = cursor_ + 1;
    ahead_.clear();
    failed_ = false;
  }

  // A fatal producer error: drop the producer and start a new one from the cursor.
  void Renew() {
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    absl::Time deadline = absl::Now() + kStopFlush;
    while (in_flight_ > 0 && absl::Now() < deadline) rd_kafka_poll(rk_, 100);
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
    in_flight_ = 0;
    fatal_ = false;
    while (!stop_) {
      absl::StatusOr<rd_kafka_t*> rk = NewProducer();
      if (rk.ok()) {
        rk_ = *rk;
        break;
      }
      Log(rk.status().ToString());
      absl::SleepFor(kRetryBackoff);
    }
    Rewind();
  }

  void EnsureTopicsExist() {
    while (!stop_) {
      absl::Status s = EnsureTopics(options_.brokers, BuiltinTopics(), kTopicAttempt);
      if (s.ok()) return;
      LogOnce(absl::StrCat("creating topics: ", s.ToString(), " (retrying)"));
      Pause(kRetryBackoff);
    }
  }

  // Produces one event; false when it could not be queued now (the caller tries again).
  bool Produce(const remiss::v1::EventEnvelope& event) {
    const std::string value = event.SerializeAsString();
    const std::string& key = event.partition_key();
    const std::string position = absl::StrCat(event.position());
    while (!stop_) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(4);
      rd_kafka_header_add(headers, "event_type", -1, event.type().data(), event.type().size());
      rd_kafka_header_add(headers, "event_id", -1, event.event_id().data(),
                          event.event_id().size());
      rd_kafka_header_add(headers, "source_position", -1, position.data(), position.size());
      rd_kafka_header_add(headers, "traceparent", -1, event.traceparent().data(),
                          event.traceparent().size());
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic_.c_str()),
          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
          RD_KAFKA_V_TIMESTAMP(event.has_recorded_at() ? TimestampMillis(event.recorded_at()) : 0),
          RD_KAFKA_V_OPAQUE(PositionOpaque(event.position())), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++in_flight_;
        return true;
      }
      rd_kafka_headers_destroy(headers);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_, 100);
        continue;
      }
      // Not queued at all (too large, a fatal state, ...): never skipped; after a pause the
      // relay sends again from the cursor.
      LogOnce(absl::StrCat("producing position ", event.position(), " failed: ",
                           rd_kafka_err2name(err), ": ", rd_kafka_err2str(err)));
      if (err == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
      failed_ = true;
      return false;
    }
    return false;
  }

  void Run() {
    EnsureTopicsExist();
    while (!stop_) {
      rd_kafka_poll(rk_, 0);
      SaveCursor(/*force=*/false);
      if (fatal_) {
        Renew();
        continue;
      }
      if (failed_) {
        // Wait until every report of the failed round is in, then start over after the cursor.
        if (in_flight_ > 0) {
          rd_kafka_poll(rk_, 100);
          continue;
        }
        Rewind();
        Pause(kRetryBackoff);
        continue;
      }
      if (in_flight_ >= options_.max_in_flight) {
        rd_kafka_poll(rk_, 100);
        continue;
      }
      // Waiting on the log delays the reports; keep the wait short while some are due.
      if (!store_->WaitForPosition(next_ - 1, in_flight_ > 0 ? absl::Milliseconds(10)
                                                              : absl::Milliseconds(100))) {
        continue;
      }
      size_t room = std::min(kReadBatch, options_.max_in_flight - in_flight_);
      absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> events = store_->ReadLog(next_, room);
      if (!events.ok()) {
        LogOnce(absl::StrCat("reading the log: ", events.status().ToString()));
        Pause(kRetryBackoff);
        continue;
      }
      for (const remiss::v1::EventEnvelope& event : *events) {
        if (stop_ || failed_ || fatal_) break;
        if (!Produce(event)) break;
        next_ = event.position() + 1;
      }
    }
  }

  void Log(const std::string& message) const {
    std::fprintf(stderr, "relay[%s]: %s\n", store_->source().c_str(), message.c_str());
  }
  // Logs a message unless it repeats the previous one.
  void LogOnce(const std::string& message) {
    absl::MutexLock lock(&log_mu_);
    if (message == last_log_) return;
    last_log_ = message;
    Log(message);
  }

  EventStore* const store_;
  RelayOptions options_;
  const std::string topic_;

  std::atomic<uint64_t> cursor_{0};  // highest contiguous confirmed position
  std::atomic<bool> stop_{false};

  // The relay thread's state (Stop() takes it over after joining that thread).
  rd_kafka_t* rk_ = nullptr;
  uint64_t next_ = 1;                // the next position to produce
  size_t in_flight_ = 0;             // produced, report not yet served
  std::set<uint64_t> ahead_;         // confirmed positions beyond cursor_ + 1
  bool failed_ = false;              // a delivery failed since the last rewind
  bool fatal_ = false;               // the producer hit a fatal error
  uint64_t saved_ = 0;               // the cursor last saved
  absl::Time last_save_ = absl::InfinitePast();
  std::thread thread_;

  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  absl::Mutex log_mu_;
  std::string last_log_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Relay>> Relay::Start(EventStore* store, RelayOptions options) {
  if (store == nullptr) return absl::InvalidArgumentError("relay: no store");
  if (options.brokers.empty()) return absl::InvalidArgumentError("relay: no brokers");
  const std::string topic = TopicFor(store->source());
  const auto& topics = BuiltinTopics();
  if (std::none_of(topics.begin(), topics.end(),
                   [&](const TopicDefinition& t) { return t.name == topic; })) {
    return absl::FailedPreconditionError(
        absl::StrCat("relay: topic ", topic, " is not defined in infra/kafka/topics.conf"));
  }
  auto relay = std::make_unique<KafkaRelay>(store, std::move(options));
  if (absl::Status s = relay->Init(); !s.ok()) return s;
  return relay;
}

}  // namespace remiss::core
