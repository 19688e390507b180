#include "remiss/core/kafka_feed.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "remiss/core/kafka_properties.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "remiss/core/feed_failures.h"
#include "remiss/core/log.h"
#include "remiss/core/keys.h"

namespace remiss::core {
namespace {

// How long Stop() gives the consumer to leave its group before dropping it.
constexpr absl::Duration kCloseTimeout = absl::Seconds(10);
// Watermarks read but not yet covered by what the handler took, kept per source at most; beyond
// that every other one is dropped (the newest stays), which only makes the feed's watermark
// move in coarser steps while the consumer lags far behind.
constexpr size_t kMaxPendingWatermarks = 1024;

// Where a source's relay publishes its watermarks (SourceWatermark, key = the source).
std::string WatermarkTopicFor(const std::string& source) {
  return absl::StrCat("remiss.", source, ".watermarks.v1");
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

class KafkaFeed final : public Feed {
 public:
  explicit KafkaFeed(KafkaFeedOptions options) : options_(std::move(options)) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    for (const std::string& source : options_.sources) {
      sources_[TopicFor(source)] = source;
      watermark_sources_[WatermarkTopicFor(source)] = source;
    }
  }
  ~KafkaFeed() override { Stop(); }

  absl::Status Start(CursorLookup cursors, Handler handler) override {
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
    absl::StatusOr<rd_kafka_t*> wm = NewWatermarkConsumer();
    if (!wm.ok()) {
      rd_kafka_destroy(*rk);
      return wm.status();
    }
    {
      absl::MutexLock lock(&mu_);
      status_ = absl::OkStatus();
    }
    rk_ = *rk;
    wm_rk_ = *wm;
    handled_.clear();
    pending_.clear();
    cursors_ = std::move(cursors);
    stop_ = false;
    thread_ = std::thread([this, handler = std::move(handler)] { Loop(handler); });
    return absl::OkStatus();
  }

  void Stop() override {
    absl::MutexLock run_lock(&run_mu_);
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  absl::Status status() const override {
    absl::MutexLock lock(&mu_);
    return status_;
  }

  std::string kind() const override { return "kafka"; }

  std::optional<int64_t> LastOffset(const std::string& source, int32_t partition) const override {
    absl::MutexLock lock(&mu_);
    auto it = ends_.find({source, partition});
    if (it == ends_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<ParkedEvent> Parked() const override {
    absl::MutexLock lock(&mu_);
    std::vector<ParkedEvent> out;
    for (const auto& [key, p] : parked_) out.push_back(p);
    return out;
  }

  absl::Status Resume(const std::string& source, int32_t partition) override {
    absl::MutexLock lock(&mu_);
    if (parked_.count({source, partition}) == 0) {
      return absl::NotFoundError(absl::StrCat("source: ", source, " partition ", partition,
                                              " has no parked event"));
    }
    resume_.insert({source, partition});
    return absl::OkStatus();
  }

  // The earliest of the sources' watermarks; each is the newest one its relay published that
  // the handler has taken everything below (and stays, once reached, also after a stop).
  absl::Time Watermark() const override {
    absl::MutexLock lock(&mu_);
    absl::Time earliest = absl::InfiniteFuture();
    for (const std::string& source : options_.sources) {
      auto it = reached_.find(source);
      if (it == reached_.end()) return absl::InfinitePast();
      earliest = std::min(earliest, it->second);
    }
    return earliest;
  }

 private:
  // A source's watermark as read: everything it recorded before `until` is at or below these
  // (partition, offset)s.
  struct Pending {
    absl::Time until;
    std::vector<std::pair<int32_t, int64_t>> offsets;
  };

  absl::StatusOr<rd_kafka_t*> NewConsumer() {
    if (options_.brokers.empty()) return absl::InvalidArgumentError("kafka feed: no brokers");
    if (options_.group_id.empty()) return absl::InvalidArgumentError("kafka feed: no group id");
    if (sources_.empty()) return absl::InvalidArgumentError("kafka feed: no sources");
    absl::StatusOr<rd_kafka_conf_t*> made = NewKafkaConf(
        {{"bootstrap.servers", options_.brokers},
         {"group.id", options_.group_id},
         {"client.id", options_.group_id},
         // Where to start comes from the consumer's own store (the rebalance callback seeks);
         // Kafka's committed offsets only show progress to monitoring.
         {"enable.auto.commit", "true"},
         {"enable.auto.offset.store", "false"},
         {"auto.offset.reset", "earliest"},
         {"enable.partition.eof", "false"},
         {"allow.auto.create.topics", "false"},
         // Notice a topic created after subscribing without waiting minutes.
         {"topic.metadata.refresh.interval.ms", "5000"},
         {"log.connection.close", "false"}},
        "kafka feed");
    if (!made.ok()) return made.status();
    rd_kafka_conf_t* conf = *made;
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(conf, &KafkaFeed::OnRebalance);
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka feed: consumer: ", errstr));
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
  }

  // Reads the sources' watermark topics (one partition each, from the beginning: compacted)
  // with no group; the feed's thread polls it.
  absl::StatusOr<rd_kafka_t*> NewWatermarkConsumer() {
    absl::StatusOr<rd_kafka_conf_t*> made = NewKafkaConf(
        {{"bootstrap.servers", options_.brokers},
         // Needed by the consumer API; never joined (the partitions are assigned) nor committed.
         {"group.id", absl::StrCat(options_.group_id, ".watermarks")},
         {"client.id", absl::StrCat(options_.group_id, ".watermarks")},
         {"enable.auto.commit", "false"},
         {"enable.auto.offset.store", "false"},
         {"auto.offset.reset", "earliest"},
         {"enable.partition.eof", "false"},
         {"allow.auto.create.topics", "false"},
         {"topic.metadata.refresh.interval.ms", "5000"},
         {"log.connection.close", "false"}},
        "kafka feed");
    if (!made.ok()) return made.status();
    rd_kafka_conf_t* conf = *made;
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (rk == nullptr) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka feed: watermark consumer: ", errstr));
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* partitions =
        rd_kafka_topic_partition_list_new(static_cast<int>(watermark_sources_.size()));
    for (const auto& [topic, source] : watermark_sources_) {
      rd_kafka_topic_partition_list_add(partitions, topic.c_str(), 0)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, partitions);
    rd_kafka_topic_partition_list_destroy(partitions);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
      return absl::InternalError(
          absl::StrCat("kafka feed: assigning the watermark topics: ", rd_kafka_err2str(err)));
    }
    return rk;
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaFeed*>(opaque)->Rebalance(rk, err, partitions);
  }

  // On assignment every partition starts after the consumer's stored offset (or at the
  // beginning); runs on the feed's thread, inside a poll.
  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < partitions->cnt; ++i) {
        rd_kafka_topic_partition_t& p = partitions->elems[i];
        auto source = sources_.find(p.topic);
        std::optional<FeedCursor> cursor;
        if (source != sources_.end() && cursors_) cursor = cursors_(source->second, p.partition);
        p.offset = cursor && cursor->offset >= 0 ? cursor->offset + 1 : RD_KAFKA_OFFSET_BEGINNING;
        // The consumer's store has taken everything up to its cursor.
        if (source != sources_.end()) {
          handled_[{source->second, p.partition}] =
              cursor ? std::max<int64_t>(cursor->offset, -1) : -1;
        }
      }
      watermarks_dirty_ = true;
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, partitions)) {
          Log(absl::StrCat("assign: ", rd_kafka_error_string(e)));
          rd_kafka_error_destroy(e);
        }
      } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions); e) {
        Log(absl::StrCat("assign: ", rd_kafka_err2str(e)));
      }
    } else {
      // What this consumer no longer reads covers no watermark.
      for (int i = 0; i < partitions->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = partitions->elems[i];
        auto source = sources_.find(p.topic);
        if (source != sources_.end()) handled_.erase({source->second, p.partition});
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, partitions)) {
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk, nullptr);
      }
    }
  }

  // Turns one consumed message into a FeedEvent; an error for a message that is not a valid
  // envelope of the topic's source (poison: never skipped) or for a fatal consumer error.
  absl::Status Take(const rd_kafka_message_t& m, std::vector<FeedEvent>& batch) {
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return absl::OkStatus();
      if (m.err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk_, why, sizeof why);
        return absl::InternalError(
            absl::StrCat("kafka feed: fatal consumer error: ", rd_kafka_err2name(cause), ": ", why));
      }
      // Broker down, topic not there yet, ...: librdkafka keeps trying.
      LogOnce(absl::StrCat(rd_kafka_err2name(m.err), ": ", rd_kafka_message_errstr(&m)));
      return absl::OkStatus();
    }
    const char* topic = rd_kafka_topic_name(m.rkt);
    auto source = sources_.find(topic);
    const std::string where = absl::StrCat(topic, "[", m.partition, "]@", m.offset);
    if (source == sources_.end()) {
      return absl::InternalError(absl::StrCat("kafka feed: message from unexpected topic ", where));
    }
    FeedEvent event;
    event.source = source->second;
    event.partition = m.partition;
    event.offset = m.offset;
    if (IsParked(event.source, event.partition)) return absl::OkStatus();  // fetched before the pause
    for (const ParkedEvent& earlier : pending_poison_) {
      // After a poison message its partition waits; these are read again on resume.
      if (earlier.source == event.source && earlier.partition == event.partition) {
        return absl::OkStatus();
      }
    }
    if (std::optional<ParkedEvent> ahead = AheadOfTopic(m, event)) {
      pending_poison_.push_back(std::move(*ahead));
      return absl::OkStatus();
    }
    absl::Status poison;
    if (m.payload == nullptr && m.len > 0) {
      poison = absl::DataLossError(absl::StrCat("kafka feed: poison event at ", where, ": no value"));
    } else if (!event.envelope.ParseFromArray(m.payload, static_cast<int>(m.len))) {
      event.envelope.Clear();  // nothing of it is an envelope's: parked at position 0
      poison = absl::DataLossError(
          absl::StrCat("kafka feed: poison event at ", where, ": not an EventEnvelope"));
    } else if (event.envelope.source() != event.source || event.envelope.position() == 0) {
      poison = absl::DataLossError(absl::StrCat(
          "kafka feed: poison event at ", where, ": envelope of source '",
          event.envelope.source(), "' at position ", event.envelope.position()));
    }
    if (!poison.ok()) {
      // What came before it in this batch goes first; then it parks its partition.
      pending_poison_.push_back(ParkedFrom(event, poison));
      return absl::OkStatus();
    }
    rd_kafka_headers_t* headers = nullptr;
    const void* tp = nullptr;
    size_t tp_size = 0;
    if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(headers, "ce_traceparent", &tp, &tp_size) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        tp != nullptr) {
      event.traceparent.assign(static_cast<const char*>(tp), tp_size);
    }
    batch.push_back(std::move(event));
    return absl::OkStatus();
  }

  // A message at or below the consumer's cursor offset: the consumer seeked past it, so the
  // partition holds less than the consumer took (the topic lost its tail or was recreated)
  // and the consumer was reset to its beginning. Taking what it holds for repeats by position
  // would drop the source's new events silently (C4): the partition parks. A message of
  // another incarnation than the cursor's is left to the consumer, which parks it as such.
  std::optional<ParkedEvent> AheadOfTopic(const rd_kafka_message_t& m, const FeedEvent& event) {
    auto handled = handled_.find({event.source, event.partition});
    if (handled == handled_.end() || m.offset > handled->second) return std::nullopt;
    std::optional<FeedCursor> cursor = cursors_(event.source, event.partition);
    if (!cursor || m.offset > cursor->offset) return std::nullopt;
    remiss::v1::EventEnvelope envelope;
    const bool parsed = m.payload != nullptr &&
                        envelope.ParseFromArray(m.payload, static_cast<int>(m.len));
    if (parsed && !envelope.incarnation().empty() && !cursor->incarnation.empty() &&
        envelope.incarnation() != cursor->incarnation) {
      return std::nullopt;
    }
    ParkedEvent p;
    p.source = event.source;
    p.partition = event.partition;
    p.position = cursor->position;
    p.offset = m.offset;
    p.envelope_source = parsed ? envelope.source() : "";
    p.incarnation = cursor->incarnation;
    p.ahead = true;
    p.reason = absl::StrCat(
        "source: this consumer applied ", event.source, " partition ", event.partition,
        " up to offset ", cursor->offset, " (position ", cursor->position, ") but topic ",
        TopicFor(event.source), " holds less: reading after offset ", cursor->offset,
        " restarted at offset ", m.offset, ". The topic lost its tail or was recreated, and the ",
        event.source, " store may have been restored to an earlier point; its next events would "
        "be dropped as repeats, so the partition waits. Retry once the topic holds offset ",
        cursor->offset, " again with the same events (its relay republishes), or start this "
        "service afresh to follow the source as it is now");
    return p;
  }

  // Lets Kafka's committed offsets follow what the handler took (monitoring only).
  void StoreOffsets(const std::vector<FeedEvent>& batch) {
    std::map<std::pair<std::string, int32_t>, int64_t> next;
    for (const FeedEvent& e : batch) {
      int64_t& n = next[{TopicFor(e.source), e.partition}];
      n = std::max(n, e.offset + 1);
    }
    rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
    for (const auto& [tp, offset] : next) {
      rd_kafka_topic_partition_list_add(offsets, tp.first.c_str(), tp.second)->offset = offset;
    }
    rd_kafka_offsets_store(rk_, offsets);  // fails for a partition revoked meanwhile: fine
    rd_kafka_topic_partition_list_destroy(offsets);
  }

  void Loop(const Handler& handler) {
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
      for (ParkedEvent& p : pending_poison_) Park(std::move(p));
      pending_poison_.clear();
      ResumeRequested();
      ReadWatermarks();
      if (watermarks_dirty_) UpdateWatermarks();
      NoteEnds();
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
  void NoteEnds() {
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

  // ---- delivery, parking (the feed's thread) ------------------------------------------------

  // Hands `batch` to the handler: transient errors again after a backoff; a poison event parks
  // its partition, what came before it is delivered, and the rest of other partitions too.
  void Deliver(const Handler& handler, std::vector<FeedEvent> batch) {
    Backoff backoff;
    while (!batch.empty() && !stop_) {
      absl::Status s = handler(batch);
      if (s.ok()) {
        StoreOffsets(batch);
        MarkHandled(batch);
        return;
      }
      if (IsTransient(s)) {
        LogOnce(absl::StrCat("handler: ", s.ToString(), " (retrying)"));
        for (absl::Time until = absl::Now() + backoff.Next(); !stop_ && absl::Now() < until;) {
          rd_kafka_poll(rk_, 0);  // keeps the group membership alive
          absl::SleepFor(absl::Milliseconds(10));
        }
        continue;
      }
      const size_t index = std::min(FailedEventIndex(s).value_or(0), batch.size() - 1);
      if (index > 0) {
        std::vector<FeedEvent> before(std::make_move_iterator(batch.begin()),
                                      std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(index)));
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(index));
        Deliver(handler, std::move(before));
        continue;
      }
      const FeedEvent poison = batch.front();
      Park(ParkedFrom(poison, s));
      std::erase_if(batch, [&](const FeedEvent& e) {
        return e.source == poison.source && e.partition == poison.partition;
      });
    }
  }

  bool IsParked(const std::string& source, int32_t partition) const {
    absl::MutexLock lock(&mu_);
    return parked_.count({source, partition}) > 0;
  }

  static ParkedEvent ParkedFrom(const FeedEvent& e, const absl::Status& why) {
    return ParkedEvent{e.source,           e.partition,           e.envelope.position(),
                       e.offset,           e.envelope.event_id(), e.envelope.type(),
                       e.envelope.partition_key(), why.ToString(), e.envelope.source(),
                       e.envelope.incarnation()};
  }

  // Pauses the event's partition and says so loudly; the rest goes on.
  void Park(ParkedEvent p) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, TopicFor(p.source).c_str(), p.partition);
    rd_kafka_pause_partitions(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    Log(absl::StrCat("PARKED ", p.source, "[", p.partition, "] at offset ", p.offset,
                     " (position ", p.position, ", ", p.event_type, "): ", p.reason,
                     "; the other partitions go on"));
    absl::MutexLock lock(&mu_);
    parked_[{p.source, p.partition}] = std::move(p);
  }

  // Resumes what an operator asked for: from the consumer's cursor (past a skipped event).
  void ResumeRequested() {
    std::set<std::pair<std::string, int32_t>> resume;
    {
      absl::MutexLock lock(&mu_);
      resume.swap(resume_);
    }
    for (const auto& [source, partition] : resume) {
      std::optional<FeedCursor> cursor = cursors_(source, partition);
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(list, TopicFor(source).c_str(), partition)->offset =
          cursor && cursor->offset >= 0 ? cursor->offset + 1 : RD_KAFKA_OFFSET_BEGINNING;
      if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, list, 5000)) {
        Log(absl::StrCat("resume ", source, "[", partition, "]: ", rd_kafka_error_string(e)));
        rd_kafka_error_destroy(e);
      }
      rd_kafka_resume_partitions(rk_, list);
      rd_kafka_topic_partition_list_destroy(list);
      // The consumer's store has taken everything up to its cursor, a skipped message
      // included: the source's watermarks past it can be reached.
      if (auto it = handled_.find({source, partition}); it != handled_.end() && cursor) {
        it->second = std::max(it->second, cursor->offset);
        watermarks_dirty_ = true;
      }
      Log(absl::StrCat("resumed ", source, "[", partition, "]"));
      absl::MutexLock lock(&mu_);
      parked_.erase({source, partition});
    }
  }

  // ---- watermarks (the feed's thread) --------------------------------------------------------

  // Every message of the batch was taken by the handler (repeats included: it skips them).
  void MarkHandled(const std::vector<FeedEvent>& batch) {
    for (const FeedEvent& e : batch) {
      auto it = handled_.find({e.source, e.partition});
      if (it == handled_.end()) continue;  // revoked meanwhile
      it->second = std::max(it->second, e.offset);
    }
    watermarks_dirty_ = true;
  }

  // Takes what arrived on the watermark topics, without waiting.
  void ReadWatermarks() {
    for (int i = 0; i < 100; ++i) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(wm_rk_, 0);
      if (m == nullptr) return;
      TakeWatermark(*m);
      rd_kafka_message_destroy(m);
    }
  }

  void TakeWatermark(const rd_kafka_message_t& m) {
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // The topic not there yet, the broker down, ...: librdkafka keeps trying. Without
      // watermarks the feed's watermark only stays where it is.
      if (m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        LogOnce(absl::StrCat("watermarks: ", rd_kafka_err2name(m.err), ": ",
                             rd_kafka_message_errstr(&m)));
      }
      return;
    }
    const char* topic = rd_kafka_topic_name(m.rkt);
    auto source = watermark_sources_.find(topic);
    if (source == watermark_sources_.end()) return;
    const std::string where = absl::StrCat(topic, "[", m.partition, "]@", m.offset);
    const absl::string_view key(static_cast<const char*>(m.key), m.key != nullptr ? m.key_len : 0);
    remiss::v1::SourceWatermark watermark;
    if (key != source->second || m.payload == nullptr ||
        !watermark.ParseFromArray(m.payload, static_cast<int>(m.len)) ||
        !watermark.has_settled_until()) {
      // Not a claim this feed can use; skipping it only holds the watermark back.
      LogOnce(absl::StrCat("watermarks: ignoring ", where, ": not a SourceWatermark of '",
                           source->second, "'"));
      return;
    }
    Pending pending;
    pending.until = FromTimestamp(watermark.settled_until());
    for (const remiss::v1::PartitionOffset& po : watermark.offsets()) {
      pending.offsets.emplace_back(po.partition(), po.offset());
    }
    std::deque<Pending>& list = pending_[source->second];
    list.push_back(std::move(pending));
    if (list.size() > kMaxPendingWatermarks) {
      std::deque<Pending> thinned;
      for (size_t i = list.size() % 2 == 0 ? 1 : 0; i < list.size(); i += 2) {
        thinned.push_back(std::move(list[i]));
      }
      list = std::move(thinned);
    }
    watermarks_dirty_ = true;
  }

  // A watermark is reached when this consumer has handled every partition it names up to its
  // offset; a partition not assigned to this consumer counts as not handled.
  bool Reached(const std::string& source, const Pending& pending) const {
    for (const auto& [partition, offset] : pending.offsets) {
      auto it = handled_.find({source, partition});
      if (it == handled_.end() || it->second < offset) return false;
    }
    return true;
  }

  // Per source, the newest pending watermark reached, if any; it and older ones are done.
  void UpdateWatermarks() {
    watermarks_dirty_ = false;
    for (auto& [source, list] : pending_) {
      for (size_t i = list.size(); i-- > 0;) {
        if (!Reached(source, list[i])) continue;
        const absl::Time until = list[i].until;
        list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i) + 1);
        absl::MutexLock lock(&mu_);
        auto [it, added] = reached_.emplace(source, until);
        if (!added) it->second = std::max(it->second, until);
        break;
      }
    }
  }

  // Leaves the group (bounded: the broker may be down), then frees the consumer.
  void Close() {
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
    rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, queue);
    if (error != nullptr) {
      rd_kafka_error_destroy(error);
    } else {
      const absl::Time deadline = absl::Now() + kCloseTimeout;
      while (!rd_kafka_consumer_closed(rk_) && absl::Now() < deadline) {
        rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 100);
        if (event == nullptr) continue;
        if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE) {
          Rebalance(rk_, rd_kafka_event_error(event), rd_kafka_event_topic_partition_list(event));
        }
        rd_kafka_event_destroy(event);
      }
    }
    rd_kafka_queue_destroy(queue);
    if (rd_kafka_consumer_closed(rk_)) {
      rd_kafka_destroy(rk_);
    } else {
      rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    rk_ = nullptr;
    // It never joined a group: nothing to leave.
    rd_kafka_destroy_flags(wm_rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    wm_rk_ = nullptr;
  }

  void Log(const std::string& message) const {
    LogJson(options_.group_id, "kafka_feed", {{"message", message}});
  }
  void LogOnce(const std::string& message) {
    if (message == last_log_) return;
    last_log_ = message;
    Log(message);
  }

  KafkaFeedOptions options_;
  std::map<std::string, std::string> sources_;            // topic -> source
  std::map<std::string, std::string> watermark_sources_;  // watermark topic -> source

  absl::Mutex run_mu_;  // serializes Start and Stop
  std::thread thread_;
  std::atomic<bool> stop_{false};
  // Used by the feed's thread only while it runs.
  rd_kafka_t* rk_ = nullptr;
  CursorLookup cursors_;
  std::string last_log_;
  rd_kafka_t* wm_rk_ = nullptr;  // reads the watermark topics
  // Per assigned (source, partition): the highest offset the handler took (-1: none).
  std::map<std::pair<std::string, int32_t>, int64_t> handled_;
  std::map<std::string, std::deque<Pending>> pending_;  // per source, in the order read
  std::vector<ParkedEvent> pending_poison_;  // found while taking messages: to park
  bool watermarks_dirty_ = false;
  absl::Time ends_noted_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  // Per source, the latest watermark reached (kept across restarts of the feed: the
  // consumer's store still has what it took).
  std::map<std::string, absl::Time> reached_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int32_t>, ParkedEvent> parked_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<std::string, int32_t>> resume_ ABSL_GUARDED_BY(mu_);  // asked by Resume
  std::map<std::pair<std::string, int32_t>, int64_t> ends_ ABSL_GUARDED_BY(mu_);  // NoteEnds
};

}  // namespace

absl::StatusOr<std::unique_ptr<Feed>> MakeKafkaFeed(KafkaFeedOptions options) {
  if (options.brokers.empty()) return absl::InvalidArgumentError("kafka feed: no brokers");
  if (options.group_id.empty()) return absl::InvalidArgumentError("kafka feed: no group id");
  if (options.sources.empty()) return absl::InvalidArgumentError("kafka feed: no sources");
  return std::unique_ptr<Feed>(std::make_unique<KafkaFeed>(std::move(options)));
}

}  // namespace remiss::core
