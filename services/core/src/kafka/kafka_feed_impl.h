// The inside of the Kafka feed (kafka_feed.h), private to the kafka layer: one class,
// KafkaFeed, whose parts live in one file each:
//   kafka_feed.cc           the Feed itself: start and stop, the feed's thread (Loop), the
//                           partitions' ends and the handled offsets for the watermarks, close
//   kafka_feed_assign.cc    the consumer: its settings, assignment and rebalance, and the check
//                           of a partition's stored offset on assignment (CheckCursor, SeekBack)
//   kafka_feed_delivery.cc  taking messages and delivering batches; holding the partitions of
//                           a transient error and retrying them with backoff
//   kafka_feed_parking.cc   parking a partition (poison, or a topic behind the consumer), and
//                           resuming it when an operator asks
//
// Threads: Start and Stop (serialized by run_mu_) start and join the feed's thread, on which
// everything else of the consumer runs; the other public methods read or ask through mu_
// (Watermark through the watermark reader's own lock).
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "kafka_watermarks.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/feeds/feed_failures.h"
#include "remiss/core/kafka/kafka_feed.h"

namespace remiss::core {
namespace internal {

class KafkaFeed final : public Feed {
 public:
  explicit KafkaFeed(KafkaFeedOptions options);
  ~KafkaFeed() override;

  absl::Status Start(CursorLookup cursors, Handler handler) override;
  void Stop() override;
  absl::Status status() const override;
  std::string kind() const override;
  std::optional<int64_t> LastOffset(const std::string& source, int32_t partition) const override;
  std::vector<ParkedEvent> Parked() const override;                          // parking
  absl::Status Resume(const std::string& source, int32_t partition) override;  // parking
  absl::Time Watermark() const override;

 private:
  using PartitionKey = std::pair<std::string, int32_t>;  // (source, partition)
  static PartitionKey Key(const FeedEvent& e) { return {e.source, e.partition}; }

  // A partition read from the consumer's stored offset, until its first message is checked
  // (CheckCursor); `rewinding` once it is being read again from its beginning.
  struct CursorCheck {
    FeedCursor cursor;
    bool rewinding = false;
    absl::Time seek_again = absl::InfinitePast();
  };

  // What a transient error left undelivered, in the order read, and that error.
  struct Unfinished {
    std::vector<FeedEvent> events;
    absl::Status why;
  };

  // Events a transient error left, and their partitions, paused until they are taken.
  struct Held {
    std::vector<FeedEvent> events;
    std::map<PartitionKey, int64_t> next;  // per partition: the offset after its held events
    Backoff backoff;
    absl::Time retry_at;
  };

  // ---- the feed's thread, watermarks, close (kafka_feed.cc) ---------------------------------
  void Loop(const Handler& handler);
  void NoteEnds();
  void MarkHandled(const std::vector<FeedEvent>& batch);
  void Log(const std::string& message) const;
  void LogOnce(const std::string& message);

  // ---- leaving the group (kafka_feed_close.cc) ---------------------------------------------
  void NoteJoined();
  void WaitForFirstAssignment();
  void Close();

  // ---- the consumer, assignment, the stored offset's check (kafka_feed_assign.cc) -----------
  absl::StatusOr<rd_kafka_t*> NewConsumer();
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions);
  static int64_t StartAt(const std::optional<FeedCursor>& cursor);
  void Forget(const PartitionKey& key);
  // What CheckCursor makes of a message: deliver it, drop it (applied already, or read
  // before a seek back shows), or its partition was read from past the stored offset's end.
  enum class AtCursor { kDeliver, kDrop, kPastEnd };
  AtCursor CheckCursor(const rd_kafka_message_t& m, const FeedEvent& event);
  void SeekBack(const PartitionKey& key, CursorCheck& check);

  // ---- taking, delivery, holding (kafka_feed_delivery.cc) -----------------------------------
  absl::Status Take(const rd_kafka_message_t& m, std::vector<FeedEvent>& batch);
  void StoreOffsets(const std::vector<FeedEvent>& batch);
  void Deliver(const Handler& handler, std::vector<FeedEvent> batch);
  Unfinished DeliverSome(const Handler& handler, std::vector<FeedEvent> batch);
  bool IsHeld(const PartitionKey& key) const;
  void Hold(Unfinished left);
  void RetryHeld(const Handler& handler);
  void SetPaused(const std::map<PartitionKey, int64_t>& partitions, bool paused);
  void SeekTo(const std::map<PartitionKey, int64_t>& offsets);

  // ---- parking and resuming (kafka_feed_parking.cc) -----------------------------------------
  bool IsParked(const std::string& source, int32_t partition) const;
  static ParkedEvent ParkedFrom(const FeedEvent& e, const absl::Status& why);
  void Park(ParkedEvent p);
  std::optional<ParkedEvent> AheadOfTopic(const rd_kafka_message_t& m, const FeedEvent& event,
                                          bool past_stored_offset);
  void ResumeRequested();

  KafkaFeedOptions options_;
  std::map<std::string, std::string> sources_;            // topic -> source

  absl::Mutex run_mu_;  // serializes Start and Stop
  std::thread thread_;
  std::atomic<bool> stop_{false};
  // Used by the feed's thread only while it runs.
  rd_kafka_t* rk_ = nullptr;
  CursorLookup cursors_;
  std::string last_log_;
  WatermarkReader watermarks_;  // the sources' watermark topics
  // Per assigned (source, partition): the highest offset the handler took (-1: none).
  WatermarkReader::Handled handled_;
  std::vector<ParkedEvent> pending_poison_;     // found while taking messages: to park
  std::vector<Held> held_;                      // transient errors: paused, retried
  std::map<PartitionKey, CursorCheck> checks_;  // stored offsets not yet checked
  bool watermarks_dirty_ = false;
  // Whether this consumer was ever given a member id (it joined its group), and whether a
  // rebalance has reached it since (its first SyncGroup came back): see Close.
  bool joined_ = false;
  bool assigned_once_ = false;
  absl::Time ends_noted_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int32_t>, ParkedEvent> parked_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<std::string, int32_t>> resume_ ABSL_GUARDED_BY(mu_);  // asked by Resume
  std::map<std::pair<std::string, int32_t>, int64_t> ends_ ABSL_GUARDED_BY(mu_);  // NoteEnds
};

}  // namespace internal
}  // namespace remiss::core
