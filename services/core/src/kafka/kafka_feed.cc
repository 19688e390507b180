#include "remiss/core/kafka/kafka_feed.h"

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
#include "remiss/core/kafka/kafka_properties.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "remiss/core/feeds/feed_failures.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/base/keys.h"
#include "kafka_watermarks.h"

namespace remiss::core {
namespace {

// How long Stop() gives the consumer to leave its group before dropping it.
constexpr absl::Duration kCloseTimeout = absl::Seconds(10);
// How long the group coordinator waits for a silent member (a dead process) before it gives
// its partitions to others; a static member (instance_id) restarted within it gets them back.
constexpr absl::Duration kSessionTimeout = absl::Seconds(45);
class KafkaFeed final : public Feed {
 public:
  explicit KafkaFeed(KafkaFeedOptions options)
      : options_(std::move(options)),
        watermarks_(options_.brokers, options_.group_id, options_.sources) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    for (const std::string& source : options_.sources) sources_[TopicFor(source)] = source;
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
  absl::Time Watermark() const override { return watermarks_.Earliest(); }

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
         {"log.connection.close", "false"},
         // A rebalance moves only the partitions that change owner (the rebalance callback
         // assigns incrementally); a member silent this long is given up by the coordinator.
         {"partition.assignment.strategy", "cooperative-sticky"},
         {"session.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(kSessionTimeout))}},
        "kafka feed");
    if (!made.ok()) return made.status();
    rd_kafka_conf_t* conf = *made;
    if (!options_.instance_id.empty()) {
      // Static membership: a restart under the same name within the session timeout gets its
      // partitions back at once, without a rebalance.
      char errstr[512];
      if (rd_kafka_conf_set(conf, "group.instance.id", options_.instance_id.c_str(), errstr,
                            sizeof errstr) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return absl::InvalidArgumentError(
            absl::StrCat("kafka feed: instance id '", options_.instance_id, "': ", errstr));
      }
    }
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

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaFeed*>(opaque)->Rebalance(rk, err, partitions);
  }

  // On assignment every partition starts at the consumer's stored offset, whose message is
  // checked before anything after it is delivered (CheckCursor), or at the beginning; runs on
  // the feed's thread, inside a poll. With cooperative-sticky assignment the lists name only
  // the partitions that change hands.
  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < partitions->cnt; ++i) {
        rd_kafka_topic_partition_t& p = partitions->elems[i];
        auto source = sources_.find(p.topic);
        std::optional<FeedCursor> cursor;
        if (source != sources_.end() && cursors_) cursor = cursors_(source->second, p.partition);
        p.offset = StartAt(cursor);
        if (source == sources_.end()) continue;
        const PartitionKey key{source->second, p.partition};
        Forget(key);
        if (cursor && cursor->offset >= 0) checks_[key] = CursorCheck{*cursor};
        // Nothing counts as handled until the stored offset is known to be this topic's.
        handled_[key] = -1;
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
      // A partition this consumer paused while it last held it (a transient error) fetches
      // again: what was held was dropped with the revocation. A parked one stays paused.
      std::map<PartitionKey, int64_t> fetch;
      for (int i = 0; i < partitions->cnt; ++i) {
        auto source = sources_.find(partitions->elems[i].topic);
        if (source == sources_.end()) continue;
        if (!IsParked(source->second, partitions->elems[i].partition)) {
          fetch[{source->second, partitions->elems[i].partition}] = 0;
        }
      }
      SetPaused(fetch, /*paused=*/false);
    } else {
      // What this consumer no longer reads covers no watermark, and is no longer retried here.
      for (int i = 0; i < partitions->cnt; ++i) {
        const rd_kafka_topic_partition_t& p = partitions->elems[i];
        auto source = sources_.find(p.topic);
        if (source == sources_.end()) continue;
        handled_.erase({source->second, p.partition});
        Forget({source->second, p.partition});
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, partitions)) {
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk, nullptr);
        handled_.clear();
        checks_.clear();
        held_.clear();
      }
    }
  }

  // Where a partition is read from: the consumer's stored offset (its message is read again
  // and checked, see CheckCursor), or the beginning.
  static int64_t StartAt(const std::optional<FeedCursor>& cursor) {
    return cursor && cursor->offset >= 0 ? cursor->offset : RD_KAFKA_OFFSET_BEGINNING;
  }

  // Drops what the feed's thread keeps about a partition it gives up or starts again.
  void Forget(const PartitionKey& key) {
    checks_.erase(key);
    for (auto it = held_.begin(); it != held_.end();) {
      it->next.erase(key);
      std::erase_if(it->events, [&](const FeedEvent& e) { return Key(e) == key; });
      it = it->next.empty() ? held_.erase(it) : std::next(it);
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
    // Fetched before the pause; read again from the held events' end once they are taken.
    if (IsHeld(Key(event))) return absl::OkStatus();
    if (!CheckCursor(m, event)) return absl::OkStatus();
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

  // The first message of a partition read from the consumer's stored offset: whether it is
  // to be delivered. At that offset the topic must hold an event this consumer applied (its
  // position at most the cursor's); then it is not delivered again. A later event there means
  // the topic was deleted, made again and republished (offsets start from 0 again): reading
  // on from the stored offset would skip events, so the partition is read again from its
  // beginning and the consumer drops the repeats by position. An earlier offset means
  // librdkafka found the stored offset past the topic's end and started at the beginning.
  bool CheckCursor(const rd_kafka_message_t& m, const FeedEvent& event) {
    auto check = checks_.find(Key(event));
    if (check == checks_.end()) return true;
    const FeedCursor cursor = check->second.cursor;
    if (check->second.rewinding) {
      // Until the seek back shows: nothing from the old fetch position.
      if (m.offset > cursor.offset) {
        if (absl::Now() >= check->second.seek_again) SeekBack(check->first, check->second);
        return false;
      }
      checks_.erase(check);
      return true;
    }
    const std::string where = absl::StrCat(event.source, "[", event.partition, "]@", m.offset);
    if (m.offset != cursor.offset) {
      checks_.erase(check);
      Log(absl::StrCat(where, ": read from offset ", m.offset, ", not the stored offset ",
                       cursor.offset, " (", m.offset < cursor.offset ? "past the topic's end" : "not there",
                       "): delivering from here; repeats are dropped by position"));
      return true;
    }
    remiss::v1::EventEnvelope e;
    const bool envelope = m.payload != nullptr &&
                          e.ParseFromArray(m.payload, static_cast<int>(m.len)) &&
                          e.source() == event.source && e.position() != 0;
    if (envelope && !cursor.incarnation.empty() && !e.incarnation().empty() &&
        e.incarnation() != cursor.incarnation) {
      checks_.erase(check);
      return true;  // another store's history: the consumer parks it with that reason
    }
    if (!envelope || e.position() <= cursor.position) {
      // The event applied last (or an operator skipped it): it stays applied.
      checks_.erase(check);
      handled_[Key(event)] = std::max(handled_[Key(event)], cursor.offset);
      watermarks_dirty_ = true;
      return false;
    }
    Log(absl::StrCat(where, " holds position ", e.position(), " but this consumer applied up to ",
                     "position ", cursor.position, " with that offset: the topic was made again ",
                     "and republished; reading the partition again from its beginning (repeats ",
                     "are dropped by position)"));
    check->second.rewinding = true;
    handled_[Key(event)] = -1;
    SeekBack(check->first, check->second);
    return false;
  }

  // Reads a partition again from its beginning (CheckCursor); a failed seek is tried again
  // when the next message from the old position comes, a second later.
  void SeekBack(const PartitionKey& key, CursorCheck& check) {
    check.seek_again = absl::Now() + absl::Seconds(1);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, TopicFor(key.first).c_str(), key.second)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, list, 5000)) {
      Log(absl::StrCat("seeking ", key.first, "[", key.second, "] back to its beginning: ",
                       rd_kafka_error_string(error), " (trying again)"));
      rd_kafka_error_destroy(error);
    } else if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      Log(absl::StrCat("seeking ", key.first, "[", key.second, "] back to its beginning: ",
                       rd_kafka_err2str(list->elems[0].err), " (trying again)"));
    }
    rd_kafka_topic_partition_list_destroy(list);
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

  // ---- delivery, holding, parking (the feed's thread) --------------------------------------

  // Hands `batch` to the handler. A poison event parks its partition (what came before it is
  // delivered, and the rest of other partitions too); a transient error holds the partitions
  // it concerns (Hold: paused, retried with backoff by RetryHeld) and the rest goes on.
  void Deliver(const Handler& handler, std::vector<FeedEvent> batch) {
    Unfinished left = DeliverSome(handler, std::move(batch));
    if (!left.events.empty()) Hold(std::move(left));
  }

  // What a transient error left undelivered, in the order read, and that error.
  struct Unfinished {
    std::vector<FeedEvent> events;
    absl::Status why;
  };

  Unfinished DeliverSome(const Handler& handler, std::vector<FeedEvent> batch) {
    Unfinished left;
    // Moves every event of `key`'s partition (or all: nullopt) from the batch to `left`.
    auto wait = [&](std::optional<PartitionKey> key) {
      auto rest = std::stable_partition(batch.begin(), batch.end(), [&](const FeedEvent& e) {
        return key && Key(e) != *key;
      });
      left.events.insert(left.events.end(), std::make_move_iterator(rest),
                         std::make_move_iterator(batch.end()));
      batch.erase(rest, batch.end());
    };
    while (!batch.empty() && !stop_) {
      absl::Status s = handler(batch);
      if (s.ok()) {
        StoreOffsets(batch);
        MarkHandled(batch);
        break;
      }
      const std::optional<size_t> at = FailedEventIndex(s);
      if (IsTransient(s)) {
        // One event's trouble holds its partition; the store's (no event named), all of them.
        wait(at && *at < batch.size() ? std::optional<PartitionKey>(Key(batch[*at]))
                                      : std::nullopt);
        left.why = s;
        continue;
      }
      const size_t index = std::min(at.value_or(0), batch.size() - 1);
      if (index > 0) {
        std::vector<FeedEvent> before(std::make_move_iterator(batch.begin()),
                                      std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(index)));
        batch.erase(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(index));
        Unfinished held = DeliverSome(handler, std::move(before));
        if (!held.events.empty()) {
          // What follows a held event in its partition waits behind it.
          std::set<PartitionKey> keys;
          for (const FeedEvent& e : held.events) keys.insert(Key(e));
          left.events.insert(left.events.end(), std::make_move_iterator(held.events.begin()),
                             std::make_move_iterator(held.events.end()));
          left.why = held.why;
          for (const PartitionKey& key : keys) wait(key);
        }
        continue;
      }
      const FeedEvent poison = batch.front();
      Park(ParkedFrom(poison, s));
      std::erase_if(batch, [&](const FeedEvent& e) { return Key(e) == Key(poison); });
    }
    return left;
  }

  // Events a transient error left, and their partitions, paused until they are taken.
  struct Held {
    std::vector<FeedEvent> events;
    std::map<PartitionKey, int64_t> next;  // per partition: the offset after its held events
    Backoff backoff;
    absl::Time retry_at;
  };

  bool IsHeld(const PartitionKey& key) const {
    for (const Held& h : held_) {
      if (h.next.count(key) > 0) return true;
    }
    return false;
  }

  // Pauses the partitions of `left` (what was fetched after them is dropped by Take and read
  // again later) and keeps their events for RetryHeld.
  void Hold(Unfinished left) {
    Held held;
    for (const FeedEvent& e : left.events) {
      int64_t& next = held.next[Key(e)];
      next = std::max(next, e.offset + 1);
    }
    held.events = std::move(left.events);
    const absl::Duration wait = held.backoff.Next();
    held.retry_at = absl::Now() + wait;
    SetPaused(held.next, /*paused=*/true);
    std::string partitions;
    for (const auto& [key, next] : held.next) {
      absl::StrAppend(&partitions, partitions.empty() ? "" : ", ", key.first, "[", key.second, "]");
    }
    LogOnce(absl::StrCat("handler: ", left.why.ToString(), "; pausing ", partitions,
                         " and retrying in ", absl::FormatDuration(wait), " (then with backoff)"));
    held_.push_back(std::move(held));
  }

  // Delivers again the held events whose time has come; a partition all of whose events were
  // taken (or parked) is read on from after them.
  void RetryHeld(const Handler& handler) {
    for (size_t i = 0; i < held_.size() && !stop_; ++i) {
      if (absl::Now() < held_[i].retry_at) continue;
      Unfinished left = DeliverSome(handler, std::move(held_[i].events));
      Held& held = held_[i];  // DeliverSome does not change held_
      std::map<PartitionKey, int64_t> done;
      for (auto it = held.next.begin(); it != held.next.end();) {
        const bool waiting = std::any_of(left.events.begin(), left.events.end(),
                                         [&](const FeedEvent& e) { return Key(e) == it->first; });
        if (waiting) {
          ++it;
        } else {
          if (!IsParked(it->first.first, it->first.second)) done.insert(*it);
          it = held.next.erase(it);
        }
      }
      if (!done.empty()) {
        SeekTo(done);
        SetPaused(done, /*paused=*/false);
        Log(absl::StrCat("handler: took the held events of ", done.size(),
                         " partition(s); reading on"));
      }
      held.events = std::move(left.events);
      if (held.next.empty()) {
        held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i--));
        continue;
      }
      const absl::Duration wait = held.backoff.Next();
      held.retry_at = absl::Now() + wait;
      LogOnce(absl::StrCat("handler: ", left.why.ToString(), " (retrying in ",
                           absl::FormatDuration(wait), ")"));
    }
  }

  void SetPaused(const std::map<PartitionKey, int64_t>& partitions, bool paused) {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (const auto& [key, offset] : partitions) {
      rd_kafka_topic_partition_list_add(list, TopicFor(key.first).c_str(), key.second);
    }
    if (paused) {
      rd_kafka_pause_partitions(rk_, list);
    } else {
      rd_kafka_resume_partitions(rk_, list);
    }
    rd_kafka_topic_partition_list_destroy(list);
  }

  void SeekTo(const std::map<PartitionKey, int64_t>& offsets) {
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
    for (const auto& [key, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list, TopicFor(key.first).c_str(), key.second)->offset =
          offset;
    }
    if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_, list, 5000)) {
      Log(absl::StrCat("seek: ", rd_kafka_error_string(e)));
      rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(list);
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
      checks_.erase({source, partition});
      if (cursor && cursor->offset >= 0) checks_[{source, partition}] = CursorCheck{*cursor};
      rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
      rd_kafka_topic_partition_list_add(list, TopicFor(source).c_str(), partition)->offset =
          StartAt(cursor);
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
    watermarks_.Close();
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
  absl::Time ends_noted_ = absl::InfinitePast();

  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
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
