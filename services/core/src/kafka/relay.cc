#include "remiss/core/kafka/relay.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <deque>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/base/thread_name.h"
#include "remiss/core/telemetry/tracing.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "remiss/core/base/byte_budget.h"
#include "remiss/core/base/fault_points.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/feeds/settled_marks.h"
#include "remiss/core/kafka/restore.h"
#include "remiss/core/kafka/topic_reader.h"

namespace remiss::core {
namespace {

constexpr const char* kCursorKey = kRelayCursorKey;
// Events read from the log at a time (bounded by the room left under max_in_flight, and by
// RelayOptions::max_read_bytes).
constexpr size_t kReadBatch = 5000;
// How long Stop() waits for outstanding delivery reports before giving up on them (they are
// sent again by the next relay, from the saved cursor).
constexpr absl::Duration kStopFlush = absl::Seconds(5);
constexpr absl::Duration kSaveEvery = absl::Seconds(1);
constexpr absl::Duration kRetryBackoff = absl::Seconds(1);
constexpr absl::Duration kTopicAttempt = absl::Seconds(5);
// How often a relay looks again at a topic that does not keep history.
constexpr absl::Duration kTopicRecheck = absl::Seconds(10);
// Watermarks go out about this often (never more often), while the relay is caught up.
constexpr absl::Duration kWatermarkEvery = absl::Seconds(1);
// How long one look at the events topic's end offsets may block the relay thread.
constexpr absl::Duration kEndOffsetsTimeout = absl::Seconds(2);

// The delivery opaque of a watermark message; an event's is its position, and no position
// gets anywhere near this.
void* const kWatermarkOpaque = reinterpret_cast<void*>(UINTPTR_MAX);

// Where a source's relay publishes its watermarks (SourceWatermark, key = the source).
std::string WatermarkTopicFor(const std::string& source) {
  return absl::StrCat("remiss.", source, ".watermarks.v1");
}

void* PositionOpaque(uint64_t position) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(position));
}
uint64_t OpaquePosition(void* opaque) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(opaque));
}

// A stored event as the relay sends it: its bytes as stored (the Kafka value, never parsed
// and serialized again) and the envelope fields the key and headers need, read off the
// bytes without parsing the payload. The views point into `bytes`.
struct StoredEvent {
  uint64_t position = 0;
  std::string bytes;
  absl::string_view event_id, stream_id, type, traceparent, partition_key;
  bool has_recorded_at = false;
  int64_t recorded_seconds = 0;
  int32_t recorded_nanos = 0;
};

bool ReadVarint(absl::string_view& in, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in.empty()) return false;
    const uint8_t b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// Walks the top-level fields of an EventEnvelope's wire form (envelope.proto's numbers),
// skipping the payload; false when the bytes are not a well-formed message.
bool ScanEnvelope(StoredEvent& e) {
  absl::string_view in = e.bytes;
  while (!in.empty()) {
    uint64_t tag = 0;
    if (!ReadVarint(in, &tag)) return false;
    const uint32_t field = static_cast<uint32_t>(tag >> 3);
    switch (tag & 7) {
      case 0: {
        uint64_t v = 0;
        if (!ReadVarint(in, &v)) return false;
        break;
      }
      case 1:
        if (in.size() < 8) return false;
        in.remove_prefix(8);
        break;
      case 5:
        if (in.size() < 4) return false;
        in.remove_prefix(4);
        break;
      case 2: {
        uint64_t n = 0;
        if (!ReadVarint(in, &n) || n > in.size()) return false;
        const absl::string_view value = in.substr(0, n);
        in.remove_prefix(n);
        switch (field) {
          case 1: e.event_id = value; break;
          case 4: e.stream_id = value; break;
          case 6: e.type = value; break;
          case 13: e.traceparent = value; break;
          case 14: e.partition_key = value; break;
          case 8: {  // recorded_at: google.protobuf.Timestamp {seconds = 1; nanos = 2}
            e.has_recorded_at = true;
            absl::string_view ts = value;
            while (!ts.empty()) {
              uint64_t t = 0, v = 0;
              if (!ReadVarint(ts, &t) || (t & 7) != 0 || !ReadVarint(ts, &v)) return false;
              if ((t >> 3) == 1) e.recorded_seconds = static_cast<int64_t>(v);
              if ((t >> 3) == 2) e.recorded_nanos = static_cast<int32_t>(v);
            }
            break;
          }
          default: break;
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down, so nanos is never negative
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

class KafkaRelay final : public Relay {
 public:
  KafkaRelay(EventStore* store, RelayOptions options)
      : store_(store),
        options_(std::move(options)),
        topics_(options_.topics ? *options_.topics : DevelopmentTopics()),
        topic_(TopicFor(store->source())),
        watermark_topic_(WatermarkTopicFor(store->source())) {}

  ~KafkaRelay() override { Stop(); }

  absl::Status Init() {
    if (auto saved = store_->GetMeta(kCursorKey); saved.has_value()) {
      cursor_ = DecodeU64(*saved);
    }
    saved_ = cursor_.load();
    next_ = cursor_ + 1;
    publish_watermarks_ = Defined(watermark_topic_) != nullptr;
    if (!publish_watermarks_) {
      Log(absl::StrCat("no watermarks: topic ", watermark_topic_, " is not defined in ",
                       topics_.file));
    }
    if (options_.max_in_flight == 0) options_.max_in_flight = 1;
    absl::StatusOr<rd_kafka_t*> rk = NewProducer();
    if (!rk.ok()) return rk.status();
    rk_ = *rk;
    thread_ = std::thread([this] {
      NameThisThread("relay");
      Run();
    });
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
      }
      // A watermark still out is dropped: the next relay publishes another.
      if (in_flight_ > 0 || watermark_in_flight_) {
        rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(rk_, 0);
      }
      SaveCursor(/*force=*/true);
      rd_kafka_destroy(rk_);
      rk_ = nullptr;
    }
  }

  uint64_t Cursor() const override { return cursor_; }

  void Republish() override { republish_ = true; }

  absl::Status Health() const override {
    absl::MutexLock lock(&problem_mu_);
    if (problem_position_ == 0 || cursor_ >= problem_position_) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "relay: stuck at position ", problem_position_, " of ", topic_, ": ", problem_,
        "; it and every later event wait (retrying)"));
  }

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
        // Room for every message the relay may have in flight (and a watermark), so that it
        // is the relay's limit that holds, not the queue's.
        {"queue.buffering.max.messages", absl::StrCat(std::max<size_t>(options_.max_in_flight + 16, 100000))},
        // Above the largest event the store records (byte_budget.h); the topic allows as much.
        {"message.max.bytes", absl::StrCat(kProducerMaxMessageBytes)},
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
    if (absl::Status s = ApplyKafkaClientProperties(conf); !s.ok()) {  // TLS, SASL
      rd_kafka_conf_destroy(conf);
      return s;
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
    auto* self = static_cast<KafkaRelay*>(opaque);
    if (msg->_private == kWatermarkOpaque) {
      self->WatermarkDelivered(msg->err);
    } else {
      self->Delivered(OpaquePosition(msg->_private), msg->err, msg->partition, msg->offset);
    }
  }
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaRelay*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char why[512];
      rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, why, sizeof why);
      self->Log(absl::StrCat("fatal producer error: ", rd_kafka_err2name(cause), ": ", why));
      self->NoteProblem(self->cursor_ + 1, absl::StrCat(rd_kafka_err2name(cause), ": ", why));
      self->fatal_ = true;
      return;
    }
    // Transport errors while the broker is down are expected; librdkafka retries.
    self->LogOnce(absl::StrCat("kafka: ", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
                               ": ", reason));
  }

  void Delivered(uint64_t position, rd_kafka_resp_err_t err, int32_t partition, int64_t offset) {
    if (in_flight_ > 0) --in_flight_;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
        err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT && position == cursor_ + 1) {
      // The head of the line failed: publishing is stalled until it goes through.
      NoteProblem(position, err);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (!failed_ && !stop_) {
        LogOnce(absl::StrCat("delivery of position ", position, " failed: ",
                             rd_kafka_err2name(err), "; sending again from position ",
                             cursor_ + 1));
      }
      failed_ = true;
      return;
    }
    // Before the cursor moves: a watermark taken once the cursor covers this event must
    // cover its offset.
    if (offset >= 0) {
      auto [it, added] = confirmed_.emplace(partition, offset);
      if (!added) it->second = std::max(it->second, offset);
    }
    // The cursor moves over a contiguous prefix of confirmed positions only.
    uint64_t cursor = cursor_;
    if (position <= cursor) return;  // a repeat after a rewind
    const uint64_t index = position - cursor - 1;
    if (acked_.size() <= index) acked_.resize(index + 1, false);
    acked_[index] = true;
    while (!acked_.empty() && acked_.front()) {
      acked_.pop_front();
      ++cursor;
    }
    cursor_ = cursor;
  }

  // A watermark's delivery report. A failed one is published again at a later turn.
  void WatermarkDelivered(rd_kafka_resp_err_t err) {
    watermark_in_flight_ = false;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      published_until_ = std::max(published_until_, sending_until_);
    } else if (!stop_) {
      LogOnce(absl::StrCat("publishing a watermark failed: ", rd_kafka_err2name(err)));
    }
  }

  // Learns each partition's end offset as Kafka has it now: whatever earlier relays delivered
  // is below it, so the watermarks cover those events too, also in partitions this relay never
  // writes to. One attempt (it blocks the relay thread a little); false when it failed.
  bool LearnEndOffsets() {
    const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(kEndOffsetsTimeout));
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic_.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LogOnce(absl::StrCat("watermarks: metadata of ", topic_, ": ", rd_kafka_err2name(err)));
      return false;
    }
    std::vector<int32_t> partitions;
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
        partitions.push_back(md->topics[0].partitions[i].id);
      }
    }
    rd_kafka_metadata_destroy(md);
    if (partitions.empty()) {
      LogOnce(absl::StrCat("watermarks: no partitions of ", topic_, " known yet"));
      return false;
    }
    std::map<int32_t, int64_t> last;
    for (int32_t p : partitions) {
      int64_t low = 0;
      int64_t high = 0;
      err = rd_kafka_query_watermark_offsets(rk_, topic_.c_str(), p, &low, &high, timeout_ms);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        LogOnce(absl::StrCat("watermarks: end offset of ", topic_, "[", p, "]: ",
                             rd_kafka_err2name(err)));
        return false;
      }
      if (high > low) last[p] = high - 1;
    }
    for (const auto& [p, offset] : last) {
      auto [it, added] = confirmed_.emplace(p, offset);
      if (!added) it->second = std::max(it->second, offset);
    }
    end_offsets_known_ = true;
    return true;
  }

  // Publishes {settled, offsets} about once a second: the newest of the store's settled marks
  // (Settled: its own instant held back to the feeds it restates) whose position the cursor
  // has reached. Every event recorded before `settled` is then in the topic at or below the
  // confirmed offsets. Marks are taken at every turn, so under steady load the watermark
  // trails the log by about the relay's lag, not forever.
  void MaybePublishWatermark() {
    marks_.Offer(store_->Settled());
    if (!publish_watermarks_ || watermark_in_flight_) return;
    if (absl::Now() - last_watermark_ < kWatermarkEvery) return;
    const absl::Time settled = marks_.Reached(cursor_);
    if (settled <= published_until_) return;
    last_watermark_ = absl::Now();
    if (!end_offsets_known_ && !LearnEndOffsets()) return;

    remiss::v1::SourceWatermark watermark;
    SetTimestamp(settled, watermark.mutable_settled_until());
    for (const auto& [partition, offset] : confirmed_) {
      remiss::v1::PartitionOffset* po = watermark.add_offsets();
      po->set_partition(partition);
      po->set_offset(offset);
    }
    const std::string value = watermark.SerializeAsString();
    const std::string& key = store_->source();
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(watermark_topic_.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(kWatermarkOpaque),
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      watermark_in_flight_ = true;
      sending_until_ = settled;
      return;
    }
    LogOnce(absl::StrCat("publishing a watermark failed: ", rd_kafka_err2name(err), ": ",
                         rd_kafka_err2str(err)));
    if (err == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
  }

  void SaveCursor(bool force) {
    uint64_t cursor = cursor_;
    if (cursor == saved_) return;
    if (!force && absl::Now() - last_save_ < kSaveEvery) return;
    last_save_ = absl::Now();
    // Fault tests only (fault_points.h): die with Kafka's acknowledgements in but the cursor
    // not saved; the next relay sends those events again.
    REMISS_FAULT_POINT("relay.after_ack");
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

  // An operator's Republish: everything again from position 1, once what is in flight is in.
  void StartOver() {
    while (in_flight_ > 0 && !stop_) rd_kafka_poll(rk_, 100);
    cursor_ = 0;
    acked_.clear();
    SaveCursor(/*force=*/true);
    ClearProblem();
    Rewind();
    Log("publishing the whole log again from position 1");
  }

  // Sends again everything after the cursor.
  void Rewind() {
    next_ = cursor_ + 1;
    acked_.clear();
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
    watermark_in_flight_ = false;
    fatal_ = false;
    // Whatever made it fatal may well happen again at once: not a new producer a millisecond.
    for (absl::Time until = absl::Now() + kRetryBackoff; !stop_ && absl::Now() < until;) {
      absl::SleepFor(absl::Milliseconds(50));
    }
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

  // The definition of `name` in the topics in use; nullptr when it has none.
  const TopicDefinition* Defined(const std::string& name) const {
    auto def = std::find_if(topics_.topics.begin(), topics_.topics.end(),
                            [&](const TopicDefinition& t) { return t.name == name; });
    return def == topics_.topics.end() ? nullptr : &*def;
  }

  // Development only: a production deployment's topics are made by its operator.
  void EnsureTopicsExist() {
    if (!topics_.create_missing) return;
    while (!stop_) {
      absl::Status s = EnsureTopics(options_.brokers, topics_.topics, kTopicAttempt);
      if (s.ok()) return;
      LogOnce(absl::StrCat("creating topics: ", s.ToString(), " (retrying)"));
      Pause(kRetryBackoff);
    }
  }

  // recorded_at as ce_time (RFC 3339, UTC); consecutive events of a group share it.
  const std::string& CeTime(const StoredEvent& event) {
    if (event.recorded_seconds != time_seconds_ || event.recorded_nanos != time_nanos_ ||
        time_text_.empty()) {
      time_seconds_ = event.recorded_seconds;
      time_nanos_ = event.recorded_nanos;
      time_text_ = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ",
                                    absl::FromUnixSeconds(event.recorded_seconds) +
                                        absl::Nanoseconds(event.recorded_nanos),
                                    absl::UTCTimeZone());
    }
    return time_text_;
  }

  // Produces one event; false when it could not be queued now (the caller tries again).
  bool Produce(const StoredEvent& event) {
    // The value is the envelope's bytes as stored.
    const absl::string_view value = event.bytes;
    const absl::string_view key = event.partition_key;
    // Headers by the CloudEvents Kafka binding, binary mode (proto/asyncapi.yaml): the value
    // is the envelope's bytes, every attribute a ce_<name> header; plus remiss_position.
    char position[24];
    const size_t position_size =
        static_cast<size_t>(std::snprintf(position, sizeof position, "%llu",
                                          static_cast<unsigned long long>(event.position)));
    const std::string ce_type = absl::StrCat("remiss.v1.", event.type);
    const absl::string_view ce_time =
        event.has_recorded_at ? absl::string_view(CeTime(event)) : absl::string_view();
    // A producer span, child of the event's context; its own context goes in ce_traceparent.
    tracing::Span span;
    if (tracing::Enabled()) {
      span = tracing::Span(store_->source(), absl::StrCat("publish ", event.type),
                           tracing::Kind::kProducer, std::string(event.traceparent));
      span.SetAttribute("messaging.system", "kafka");
      span.SetAttribute("messaging.destination.name", topic_);
      span.SetAttribute("remiss.event_id", std::string(event.event_id));
      span.SetAttribute("remiss.position", static_cast<int64_t>(event.position));
    }
    // (A copy: Span::traceparent() makes a new string.)
    const std::string traceparent =
        span.recording() ? span.traceparent() : std::string(event.traceparent);
    while (!stop_) {
      rd_kafka_headers_t* headers = rd_kafka_headers_new(9);
      auto add = [headers](const char* name, absl::string_view value) {
        rd_kafka_header_add(headers, name, -1, value.data(), value.size());
      };
      add("ce_specversion", "1.0");
      add("ce_id", event.event_id);
      add("ce_source", ce_source_);
      add("ce_type", ce_type);
      if (event.has_recorded_at) add("ce_time", ce_time);
      add("ce_subject", event.stream_id);
      add("content-type", "application/protobuf");
      if (!traceparent.empty()) add("ce_traceparent", traceparent);
      add("remiss_position", absl::string_view(position, position_size));
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(topic_.c_str()),
          RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
          RD_KAFKA_V_TIMESTAMP(event.has_recorded_at
                                   ? event.recorded_seconds * 1000 + event.recorded_nanos / 1000000
                                   : 0),
          RD_KAFKA_V_OPAQUE(PositionOpaque(event.position)), RD_KAFKA_V_END);
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
      // relay sends again from the cursor. Health says so meanwhile.
      NoteProblem(event.position, err);
      span.SetError(rd_kafka_err2name(err));
      LogOnce(absl::StrCat("producing position ", event.position, " failed: ",
                           rd_kafka_err2name(err), ": ", rd_kafka_err2str(err)));
      if (err == RD_KAFKA_RESP_ERR__FATAL) fatal_ = true;
      failed_ = true;
      return false;
    }
    return false;
  }

  // Publishes nothing to a topic that would not keep the history (a finite retention, a
  // compacted events topic, another partition count, fewer replicas than required...), nor
  // while one of the source's topics is missing where topics are not created (production):
  // health says which topic and setting, and the relay looks again every little while, for
  // an operator may fix the topic.
  void VerifyTopicKeepsHistory() {
    std::vector<TopicDefinition> mine;
    for (const std::string& name : {topic_, watermark_topic_}) {
      if (const TopicDefinition* def = Defined(name)) mine.push_back(*def);
    }
    while (!stop_) {
      absl::Status s = VerifyTopics(options_.brokers, mine, kTopicAttempt, topics_.file);
      if (s.ok()) {
        ClearProblem();
        return;
      }
      std::string why(s.message());
      if (absl::IsNotFound(s)) {
        why = topics_.create_missing
                  ? absl::StrCat(why, " (retrying)")
                  : absl::StrCat(why, ": with ", topics_.file,
                                 " topics are created by the operator, with its settings "
                                 "(kafka-topics.sh --create, or a Strimzi KafkaTopic), never by "
                                 "a service; this relay publishes nothing until it exists");
      }
      LogOnce(why);
      const bool refused = absl::IsFailedPrecondition(s) || (absl::IsNotFound(s) && !topics_.create_missing);
      if (refused) NoteProblem(cursor_ + 1, why);
      if (absl::IsNotFound(s) && topics_.create_missing) EnsureTopicsExist();
      Pause(refused ? kTopicRecheck : kRetryBackoff);
    }
  }

  // The events topic must still be this store's history before anything goes on it:
  //  - not another store's (this one was started afresh, or another data directory was put
  //    in its place): two histories numbered from 1 each would be mixed;
  //  - not ahead of the store (same incarnation; the store restored from a backup or its
  //    log's tail lost): its positions past the store's log, or other events at them, are
  //    a fork, and publishing would put other content at positions the topic holds;
  //  - not behind the cursor (deleted and made again, a new cluster): publishing on from the
  //    cursor would hide the loss from every consumer that starts from the beginning. An
  //    operator's Republish answers this one.
  // Until all three hold it publishes nothing; health says why and what to do, and the relay
  // looks again every little while.
  void VerifyTopicHoldsTheStoresHistory() {
    while (!stop_) {
      absl::StatusOr<TopicTail> tail = ReadTopicTail(options_.brokers, topic_);
      if (!tail.ok()) {
        LogOnce(absl::StrCat("reading the end of ", topic_, ": ", tail.status().ToString(),
                             " (retrying)"));
        Pause(kRetryBackoff);
        continue;
      }
      absl::Status s = core::CheckTopicIncarnation(*tail, topic_, store_->source(),
                                                   store_->incarnation(), store_->LastPosition());
      if (s.ok()) {
        s = CheckTopicWithinLog(*tail, topic_, store_->source(), store_->incarnation(),
                                store_->LastPosition(), [this](uint64_t position) {
                                  return EventAt(position);
                                });
      }
      if (s.ok() && !republish_) s = CheckTopicHoldsTheCursor(*tail, store_->source(), cursor_);
      if (s.ok()) {
        ClearProblem();
        return;
      }
      LogOnce(std::string(s.message()));
      if (!absl::IsFailedPrecondition(s)) {  // the store could not be read: again soon
        Pause(kRetryBackoff);
        continue;
      }
      NoteProblem(cursor_ + 1, std::string(s.message()));
      Pause(kTopicRecheck);
    }
  }

  // The store's event at `position`; nullopt past the end of its log.
  absl::StatusOr<std::optional<remiss::v1::EventEnvelope>> EventAt(uint64_t position) const {
    absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> read = store_->ReadLog(position, 1);
    if (!read.ok()) return read.status();
    if (read->empty() || read->front().position() != position) return std::nullopt;
    return std::move(read->front());
  }

  void Run() {
    EnsureTopicsExist();
    VerifyTopicKeepsHistory();
    VerifyTopicHoldsTheStoresHistory();
    if (publish_watermarks_ && !stop_) (void)LearnEndOffsets();  // else at the next watermark
    while (!stop_) {
      rd_kafka_poll(rk_, 0);
      if (republish_.exchange(false)) StartOver();
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
      MaybePublishWatermark();
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
      absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> read =
          store_->ReadLogBytes(next_, room, options_.max_read_bytes);
      if (!read.ok()) {
        LogOnce(absl::StrCat("reading the log: ", read.status().ToString()));
        Pause(kRetryBackoff);
        continue;
      }
      if (options_.on_read) {
        size_t bytes = 0;
        for (const auto& [position, value] : *read) bytes += value.size();
        options_.on_read(read->size(), bytes);
      }
      std::vector<StoredEvent> events(read->size());  // never reallocated: views stay valid
      bool damaged = false;
      for (size_t i = 0; i < read->size(); ++i) {
        events[i].position = (*read)[i].first;
        events[i].bytes = std::move((*read)[i].second);
        if (!ScanEnvelope(events[i])) {
          LogOnce(absl::StrCat("reading the log: event at position ", events[i].position,
                               " does not parse"));
          damaged = true;
          events.resize(i);
          break;
        }
      }
      for (const StoredEvent& event : events) {
        if (stop_ || failed_ || fatal_) break;
        if (!Produce(event)) break;
        next_ = event.position + 1;
      }
      // A damaged event is never skipped: what came before it went out; it waits.
      if (damaged && !stop_) Pause(kRetryBackoff);
    }
  }

  void NoteProblem(uint64_t position, rd_kafka_resp_err_t err) {
    NoteProblem(position, absl::StrCat(rd_kafka_err2name(err), " (", rd_kafka_err2str(err), ")"));
  }
  void ClearProblem() {
    absl::MutexLock lock(&problem_mu_);
    problem_position_ = 0;
    problem_.clear();
  }
  void NoteProblem(uint64_t position, std::string why) {
    absl::MutexLock lock(&problem_mu_);
    problem_position_ = position;
    problem_ = std::move(why);
  }

  void Log(const std::string& message) const {
    LogMessage(store_->source(), "relay", message);
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
  const TopicsConfig topics_;  // the topics in use: options_.topics or development's
  const std::string topic_;
  const std::string watermark_topic_;
  const std::string ce_source_ = absl::StrCat("remiss/", store_->source());
  bool publish_watermarks_ = true;  // false when topics.conf does not define watermark_topic_

  std::atomic<uint64_t> cursor_{0};  // highest contiguous confirmed position
  std::atomic<bool> stop_{false};
  std::atomic<bool> republish_{false};  // an operator asked for the whole log again

  // The relay thread's state (Stop() takes it over after joining that thread).
  rd_kafka_t* rk_ = nullptr;
  uint64_t next_ = 1;                // the next position to produce
  size_t in_flight_ = 0;             // produced, report not yet served
  // Confirmations beyond cursor_ + 1: acked_[i] is position cursor_ + 1 + i.
  std::deque<bool> acked_;
  bool failed_ = false;              // a delivery failed since the last rewind
  bool fatal_ = false;               // the producer hit a fatal error
  uint64_t saved_ = 0;               // the cursor last saved
  absl::Time last_save_ = absl::InfinitePast();
  // Per partition of the events topic, the highest offset Kafka confirmed (this relay's
  // delivery reports, and the end offsets found at start for what came before).
  std::map<int32_t, int64_t> confirmed_;
  bool end_offsets_known_ = false;
  bool watermark_in_flight_ = false;
  SettledMarks marks_;  // the store's settled marks not yet covered by the cursor
  absl::Time sending_until_ = absl::InfinitePast();    // the watermark in flight
  absl::Time published_until_ = absl::InfinitePast();  // the last one Kafka confirmed
  absl::Time last_watermark_ = absl::InfinitePast();   // when the last one was attempted
  int64_t time_seconds_ = 0;  // CeTime's last instant and its text
  int32_t time_nanos_ = 0;
  std::string time_text_;
  std::thread thread_;

  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
  // The position the relay could not publish, and why (Health); cleared once the cursor
  // passes it.
  mutable absl::Mutex problem_mu_;
  uint64_t problem_position_ ABSL_GUARDED_BY(problem_mu_) = 0;
  std::string problem_ ABSL_GUARDED_BY(problem_mu_);
  absl::Mutex log_mu_;
  std::string last_log_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Relay>> Relay::Start(EventStore* store, RelayOptions options) {
  if (store == nullptr) return absl::InvalidArgumentError("relay: no store");
  if (options.brokers.empty()) return absl::InvalidArgumentError("relay: no brokers");
  const std::string topic = TopicFor(store->source());
  const TopicsConfig& topics = options.topics ? *options.topics : DevelopmentTopics();
  if (std::none_of(topics.topics.begin(), topics.topics.end(),
                   [&](const TopicDefinition& t) { return t.name == topic; })) {
    return absl::FailedPreconditionError(
        absl::StrCat("relay: topic ", topic, " is not defined in ", topics.file));
  }
  auto relay = std::make_unique<KafkaRelay>(store, std::move(options));
  if (absl::Status s = relay->Init(); !s.ok()) return s;
  return relay;
}

}  // namespace remiss::core
