// The inside of the relay (relay.h), private to the kafka layer: one class, KafkaRelay, with
// the constants and the form of a stored event its files share; its parts live in one file each:
//   relay.cc               the Relay itself: start and stop, the relay's thread (Run), saving
//                          the cursor, pausing, health, problems and logging
//   relay_producer.cc      the producer: its settings, delivery reports (which move the
//                          cursor), producing an event, sending again after a failure or a
//                          Republish; and reading a stored event's envelope fields off its bytes
//   relay_watermarks.cc    the watermarks: the events topic's end offsets, publishing, reports
//   relay_topic_checks.cc  the checks before publishing: the topics made (development), kept
//                          as defined, and holding the store's history
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "remiss/core/feeds/settled_marks.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/kafka/relay.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::core {
namespace internal {

// How long Stop() waits for outstanding delivery reports before giving up on them (they are
// sent again by the next relay, from the saved cursor).
constexpr absl::Duration kStopFlush = absl::Seconds(5);
constexpr absl::Duration kRetryBackoff = absl::Seconds(1);

// The delivery opaque of a watermark message; an event's is its position, and no position
// gets anywhere near this.
void* const kWatermarkOpaque = reinterpret_cast<void*>(UINTPTR_MAX);

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

// Reads the envelope fields of e.bytes into e (relay_producer.cc); false when the bytes are
// not a well-formed message.
bool ScanEnvelope(StoredEvent& e);

class KafkaRelay final : public Relay {
 public:
  KafkaRelay(EventStore* store, RelayOptions options);
  ~KafkaRelay() override;

  absl::Status Init();
  void Stop() override;
  uint64_t Cursor() const override { return cursor_; }
  void Republish() override { republish_ = true; }
  absl::Status Health() const override;

 private:
  // ---- the relay's thread, the cursor, problems, logging (relay.cc) -------------------------
  void SaveCursor(bool force);
  void Pause(absl::Duration d);
  void Run();
  void NoteProblem(uint64_t position, rd_kafka_resp_err_t err);
  void ClearProblem();
  void NoteProblem(uint64_t position, std::string why);
  void Log(const std::string& message) const;
  void LogOnce(const std::string& message);

  // ---- the producer, delivery reports, producing, sending again (relay_producer.cc) --------
  absl::StatusOr<rd_kafka_t*> NewProducer();
  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  void Delivered(uint64_t position, rd_kafka_resp_err_t err, int32_t partition, int64_t offset);
  void StartOver();
  void Rewind();
  void Renew();
  const std::string& CeTime(const StoredEvent& event);
  bool Produce(const StoredEvent& event);

  // ---- watermarks (relay_watermarks.cc) -----------------------------------------------------
  void WatermarkDelivered(rd_kafka_resp_err_t err);
  bool LearnEndOffsets();
  void MaybePublishWatermark();

  // ---- the topics' checks before publishing (relay_topic_checks.cc) ------------------------
  const TopicDefinition* Defined(const std::string& name) const;
  void EnsureTopicsExist();
  void VerifyTopicKeepsHistory();
  void VerifyTopicHoldsTheStoresHistory();
  absl::StatusOr<std::optional<remiss::v1::EventEnvelope>> EventAt(uint64_t position) const;

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

}  // namespace internal
}  // namespace remiss::core
