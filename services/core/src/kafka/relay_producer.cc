// The relay's producer (relay_impl.h): its settings, the delivery reports that move the
// cursor over a contiguous prefix, producing one event with its CloudEvents headers, and
// sending again from the cursor after a failure, a fatal error or a Republish. Also reading
// a stored event's envelope fields off its bytes, without parsing the payload.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "relay_impl.h"
#include "remiss/core/base/byte_budget.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "remiss/core/telemetry/tracing.h"

namespace remiss::core {
namespace internal {
namespace {

void* PositionOpaque(uint64_t position) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(position));
}
uint64_t OpaquePosition(void* opaque) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(opaque));
}

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

}  // namespace

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

absl::StatusOr<rd_kafka_t*> KafkaRelay::NewProducer() {
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
void KafkaRelay::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<KafkaRelay*>(opaque);
  if (msg->_private == kWatermarkOpaque) {
    self->WatermarkDelivered(msg->err);
  } else {
    self->Delivered(OpaquePosition(msg->_private), msg->err, msg->partition, msg->offset);
  }
}

void KafkaRelay::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
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

void KafkaRelay::Delivered(uint64_t position, rd_kafka_resp_err_t err, int32_t partition,
                           int64_t offset) {
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

// An operator's Republish: everything again from position 1, once what is in flight is in.
void KafkaRelay::StartOver() {
  while (in_flight_ > 0 && !stop_) rd_kafka_poll(rk_, 100);
  cursor_ = 0;
  acked_.clear();
  SaveCursor(/*force=*/true);
  ClearProblem();
  Rewind();
  Log("publishing the whole log again from position 1");
}

// Sends again everything after the cursor.
void KafkaRelay::Rewind() {
  next_ = cursor_ + 1;
  acked_.clear();
  failed_ = false;
}

// A fatal producer error: drop the producer and start a new one from the cursor.
void KafkaRelay::Renew() {
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

// recorded_at as ce_time (RFC 3339, UTC); consecutive events of a group share it.
const std::string& KafkaRelay::CeTime(const StoredEvent& event) {
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
bool KafkaRelay::Produce(const StoredEvent& event) {
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

}  // namespace internal
}  // namespace remiss::core
