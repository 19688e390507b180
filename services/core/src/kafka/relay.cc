// The relay's own face (relay_impl.h): Relay::Start, starting and stopping a KafkaRelay, its
// thread (Run) reading the log and handing each event to the producer, saving the cursor,
// and what it reports (Health, problems, the log).
#include "remiss/core/kafka/relay.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "relay_impl.h"
#include "remiss/core/base/fault_points.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/thread_name.h"
#include "remiss/core/kafka/restore.h"
#include "remiss/core/telemetry/log.h"

namespace remiss::core {
namespace internal {
namespace {

constexpr const char* kCursorKey = kRelayCursorKey;
// Events read from the log at a time (bounded by the room left under max_in_flight, and by
// RelayOptions::max_read_bytes).
constexpr size_t kReadBatch = 5000;
constexpr absl::Duration kSaveEvery = absl::Seconds(1);

// Where a source's relay publishes its watermarks (SourceWatermark, key = the source).
std::string WatermarkTopicFor(const std::string& source) {
  return absl::StrCat("remiss.", source, ".watermarks.v1");
}

}  // namespace

KafkaRelay::KafkaRelay(EventStore* store, RelayOptions options)
    : store_(store),
      options_(std::move(options)),
      topics_(options_.topics ? *options_.topics : DevelopmentTopics()),
      topic_(TopicFor(store->source())),
      watermark_topic_(WatermarkTopicFor(store->source())) {}

KafkaRelay::~KafkaRelay() { Stop(); }

absl::Status KafkaRelay::Init() {
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

void KafkaRelay::Stop() {
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

absl::Status KafkaRelay::Health() const {
  absl::MutexLock lock(&problem_mu_);
  if (problem_position_ == 0 || cursor_ >= problem_position_) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "relay: stuck at position ", problem_position_, " of ", topic_, ": ", problem_,
      "; it and every later event wait (retrying)"));
}

void KafkaRelay::SaveCursor(bool force) {
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
void KafkaRelay::Pause(absl::Duration d) {
  absl::Time until = absl::Now() + d;
  while (!stop_ && absl::Now() < until) rd_kafka_poll(rk_, 100);
}

void KafkaRelay::Run() {
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

void KafkaRelay::NoteProblem(uint64_t position, rd_kafka_resp_err_t err) {
  NoteProblem(position, absl::StrCat(rd_kafka_err2name(err), " (", rd_kafka_err2str(err), ")"));
}

void KafkaRelay::ClearProblem() {
  absl::MutexLock lock(&problem_mu_);
  problem_position_ = 0;
  problem_.clear();
}

void KafkaRelay::NoteProblem(uint64_t position, std::string why) {
  absl::MutexLock lock(&problem_mu_);
  problem_position_ = position;
  problem_ = std::move(why);
}

void KafkaRelay::Log(const std::string& message) const {
  LogMessage(store_->source(), "relay", message);
}

// Logs a message unless it repeats the previous one.
void KafkaRelay::LogOnce(const std::string& message) {
  absl::MutexLock lock(&log_mu_);
  if (message == last_log_) return;
  last_log_ = message;
  Log(message);
}

}  // namespace internal

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
  auto relay = std::make_unique<internal::KafkaRelay>(store, std::move(options));
  if (absl::Status s = relay->Init(); !s.ok()) return s;
  return relay;
}

}  // namespace remiss::core
