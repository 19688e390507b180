// The Kafka feed's own face (kafka_feed_impl.h): starting and stopping it, the feed's thread
// (Loop) taking, delivering, parking and resuming in turn, what it knows of the partitions'
// ends and of the offsets the handler took (the watermarks). Closing: kafka_feed_close.cc.
#include "remiss/core/kafka/kafka_feed.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "kafka_feed_impl.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/telemetry/log.h"

namespace remiss::core {
namespace internal {
namespace {

}  // namespace

KafkaFeed::KafkaFeed(KafkaFeedOptions options)
    : options_(std::move(options)),
      watermarks_(options_.brokers, options_.group_id, options_.sources) {
  if (options_.max_batch == 0) options_.max_batch = 1;
  for (const std::string& source : options_.sources) sources_[TopicFor(source)] = source;
}

KafkaFeed::~KafkaFeed() { Stop(); }

absl::Status KafkaFeed::Start(CursorLookup cursors, Handler handler) {
  absl::MutexLock run_lock(&run_mu_);
  if (thread_.joinable()) return absl::FailedPreconditionError("the feed is already running");
  if (!cursors || !handler) return absl::InvalidArgumentError("kafka feed: no cursors or handler");
  absl::StatusOr<rd_kafka_t*> rk = NewConsumer();
  if (!rk.ok()) return rk.status();
  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(static_cast<int>(sources_.size()));
  for (const auto& [topic, source] : sources_) {
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(*rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(*rk);
    return absl::InternalError(absl::StrCat("kafka feed: subscribe: ", rd_kafka_err2str(err)));
  }
  if (absl::Status wm = watermarks_.Open(); !wm.ok()) {
    rd_kafka_destroy(*rk);
    return wm;
  }
  {
    absl::MutexLock lock(&mu_);
    status_ = absl::OkStatus();
  }
  rk_ = *rk;
  handled_.clear();
  pending_poison_.clear();
  held_.clear();
  checks_.clear();
  joined_ = false;
  assigned_once_ = false;
  cursors_ = std::move(cursors);
  stop_ = false;
  thread_ = std::thread([this, handler = std::move(handler)] { Loop(handler); });
  return absl::OkStatus();
}

void KafkaFeed::Stop() {
  absl::MutexLock run_lock(&run_mu_);
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status KafkaFeed::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::string KafkaFeed::kind() const { return "kafka"; }

std::optional<int64_t> KafkaFeed::LastOffset(const std::string& source, int32_t partition) const {
  absl::MutexLock lock(&mu_);
  auto it = ends_.find({source, partition});
  if (it == ends_.end()) return std::nullopt;
  return it->second;
}

// The earliest of the sources' watermarks; each is the newest one its relay published that
// the handler has taken everything below (and stays, once reached, also after a stop).
absl::Time KafkaFeed::Watermark() const { return watermarks_.Earliest(); }

void KafkaFeed::Loop(const Handler& handler) {
  absl::Status failure;
  while (!stop_ && failure.ok()) {
    std::vector<FeedEvent> batch;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
    while (m != nullptr) {
      failure = Take(*m, batch);
      rd_kafka_message_destroy(m);
      if (!failure.ok() || batch.size() >= options_.max_batch) break;
      m = rd_kafka_consumer_poll(rk_, 0);
    }
    Deliver(handler, std::move(batch));
    for (ParkedEvent& p : pending_poison_) {
      // Behind held events it waits with them: read again once they are taken.
      if (!IsHeld({p.source, p.partition})) Park(std::move(p));
    }
    pending_poison_.clear();
    RetryHeld(handler);
    ResumeRequested();
    if (watermarks_.Read()) watermarks_dirty_ = true;
    if (watermarks_dirty_) {
      watermarks_dirty_ = false;
      watermarks_.Update(handled_);
    }
    NoteEnds();
    NoteJoined();
  }
  if (!failure.ok()) {
    Log(absl::StrCat("stopped: ", failure.ToString()));
    absl::MutexLock lock(&mu_);
    status_ = failure;
  }
  Close();
}

// About once a second: each assigned partition's end as the consumer last heard it from a
// fetch (no request of its own), for LastOffset.
void KafkaFeed::NoteEnds() {
  if (absl::Now() - ends_noted_ < absl::Seconds(1)) return;
  ends_noted_ = absl::Now();
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  for (const auto& [where, handled] : handled_) {
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(rk_, TopicFor(where.first).c_str(), where.second, &low,
                                       &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      ends[where] = high - 1;
    }
  }
  absl::MutexLock lock(&mu_);
  ends_ = std::move(ends);
}

// Every message of the batch was taken by the handler (repeats included: it skips them).
void KafkaFeed::MarkHandled(const std::vector<FeedEvent>& batch) {
  for (const FeedEvent& e : batch) {
    auto it = handled_.find({e.source, e.partition});
    if (it == handled_.end()) continue;  // revoked meanwhile
    it->second = std::max(it->second, e.offset);
  }
  watermarks_dirty_ = true;
}

void KafkaFeed::Log(const std::string& message) const {
  LogJson(options_.group_id, "kafka_feed", {{"message", message}});
}
void KafkaFeed::LogOnce(const std::string& message) {
  if (message == last_log_) return;
  last_log_ = message;
  Log(message);
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<Feed>> MakeKafkaFeed(KafkaFeedOptions options) {
  if (options.brokers.empty()) return absl::InvalidArgumentError("kafka feed: no brokers");
  if (options.group_id.empty()) return absl::InvalidArgumentError("kafka feed: no group id");
  if (options.sources.empty()) return absl::InvalidArgumentError("kafka feed: no sources");
  return std::unique_ptr<Feed>(std::make_unique<internal::KafkaFeed>(std::move(options)));
}

}  // namespace remiss::core
