#include "remiss/core/kafka/topic_reader.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <map>
#include <memory>
#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "remiss/core/kafka/kafka_properties.h"

namespace remiss::core {
namespace {

struct ConsumerDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
};
using Consumer = std::unique_ptr<rd_kafka_t, ConsumerDeleter>;

absl::StatusOr<Consumer> NewReader(const std::string& brokers, const std::string& topic) {
  unsigned char bytes[6];
  std::string tag;
  if (RAND_bytes(bytes, sizeof bytes) == 1) {
    for (unsigned char b : bytes) absl::StrAppend(&tag, absl::Hex(b, absl::kZeroPad2));
  }
  absl::StatusOr<rd_kafka_conf_t*> conf = NewKafkaConf(
      {{"bootstrap.servers", brokers},
       // Needed by the consumer API; never joined (partitions are assigned) nor committed.
       {"group.id", absl::StrCat("remiss-reader-", topic, "-", tag)},
       {"client.id", "remiss-reader"},
       {"enable.auto.commit", "false"},
       {"enable.auto.offset.store", "false"},
       {"enable.partition.eof", "false"},
       {"allow.auto.create.topics", "false"},
       {"log.connection.close", "false"}},
      absl::StrCat("reading ", topic));
  if (!conf.ok()) return conf.status();
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*conf);
    return absl::InvalidArgumentError(absl::StrCat("reading ", topic, ": ", errstr));
  }
  rd_kafka_poll_set_consumer(rk);
  return Consumer(rk);
}

absl::StatusOr<std::vector<PartitionRange>> Ranges(rd_kafka_t* rk, const std::string& topic,
                                                   absl::Duration timeout) {
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(err)));
  }
  std::vector<PartitionRange> ranges;
  rd_kafka_resp_err_t topic_err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
      ranges.push_back(PartitionRange{md->topics[0].partitions[i].id});
    }
  }
  rd_kafka_metadata_destroy(md);
  if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
  }
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || ranges.empty()) {
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(topic_err)));
  }
  if (absl::Status s = QueryPartitionEnds(rk, topic, ranges, timeout); !s.ok()) return s;
  return ranges;
}

}  // namespace

// Both ends by ListOffsets for the timestamps "earliest" and "latest", through
// rd_kafka_offsets_for_times: librdkafka 2.0.2's rd_kafka_query_watermark_offsets ignores its
// timeout when a partition's leader is unreachable and waits for it for ever (librdkafka
// issue 2588, fixed in 2.3.0); a relay's stop then hung behind its topic check.
absl::Status QueryPartitionEnds(rd_kafka_t* rk, const std::string& topic,
                                std::vector<PartitionRange>& ranges, absl::Duration timeout) {
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  for (const bool latest : {false, true}) {
    rd_kafka_topic_partition_list_t* asked =
        rd_kafka_topic_partition_list_new(static_cast<int>(ranges.size()));
    for (const PartitionRange& r : ranges) {
      rd_kafka_topic_partition_list_add(asked, topic.c_str(), r.partition)->offset =
          latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    }
    const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, asked, timeout_ms);
    absl::Status failed;
    for (int i = 0; i < asked->cnt && err == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      const rd_kafka_topic_partition_t& p = asked->elems[i];
      auto r = std::find_if(ranges.begin(), ranges.end(),
                            [&](const PartitionRange& x) { return x.partition == p.partition; });
      if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR || p.offset < 0 || r == ranges.end()) {
        failed = absl::UnavailableError(absl::StrCat(
            latest ? "end" : "start", " offset of ", topic, "[", p.partition, "]: ",
            rd_kafka_err2str(p.err != RD_KAFKA_RESP_ERR_NO_ERROR ? p.err
                                                                   : RD_KAFKA_RESP_ERR__BAD_MSG)));
        break;
      }
      (latest ? r->high : r->low) = p.offset;
    }
    rd_kafka_topic_partition_list_destroy(asked);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat(latest ? "end" : "start", " offsets of ", topic,
                                                 ": ", rd_kafka_err2str(err)));
    }
    if (!failed.ok()) return failed;
  }
  return absl::OkStatus();
}

absl::Status ReadTopicToEnd(const std::string& brokers, const std::string& topic,
                            const std::function<int64_t(const PartitionRange&)>& start_at,
                            const std::function<absl::Status(const TopicMessage&)>& fn,
                            absl::Duration stall) {
  absl::StatusOr<Consumer> rk = NewReader(brokers, topic);
  if (!rk.ok()) return rk.status();
  absl::StatusOr<std::vector<PartitionRange>> ranges = Ranges(rk->get(), topic, stall);
  if (!ranges.ok()) return ranges.status();
  // Per partition still to read: the offset it ends before.
  std::map<int32_t, int64_t> ends;
  rd_kafka_topic_partition_list_t* assignment =
      rd_kafka_topic_partition_list_new(static_cast<int>(ranges->size()));
  for (const PartitionRange& r : *ranges) {
    const int64_t start = std::clamp(start_at(r), r.low, r.high);
    if (start >= r.high) continue;
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), r.partition)->offset = start;
    ends[r.partition] = r.high;
  }
  rd_kafka_resp_err_t err = ends.empty() ? RD_KAFKA_RESP_ERR_NO_ERROR
                                         : rd_kafka_assign(rk->get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("reading ", topic, ": ", rd_kafka_err2str(err)));
  }
  absl::Time progress = absl::Now();
  while (!ends.empty()) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk->get(), 100);
    if (msg == nullptr) {
      if (absl::Now() - progress > stall) {
        return absl::UnavailableError(absl::StrCat(
            "reading ", topic, ": no progress for ", absl::FormatDuration(stall), " with ",
            ends.size(), " partitions not read to their end"));
      }
      continue;
    }
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> owned(
        msg, &rd_kafka_message_destroy);
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      return absl::UnavailableError(absl::StrCat("reading ", topic, "[", msg->partition, "]: ",
                                                 rd_kafka_message_errstr(msg)));
    }
    progress = absl::Now();
    auto end = ends.find(msg->partition);
    if (end == ends.end() || msg->offset >= end->second) continue;
    TopicMessage m{msg->partition, msg->offset,
                   absl::string_view(static_cast<const char*>(msg->payload), msg->len)};
    if (absl::Status s = fn(m); !s.ok()) return s;
    if (msg->offset + 1 >= end->second) ends.erase(end);
  }
  return absl::OkStatus();
}

absl::StatusOr<TopicTail> ReadTopicTail(const std::string& brokers, const std::string& topic,
                                        absl::Duration stall) {
  TopicTail tail;
  absl::Status s = ReadTopicToEnd(
      brokers, topic,
      [&tail](const PartitionRange& r) {
        tail.events += r.high - r.low;
        return r.high - 1;
      },
      [&](const TopicMessage& m) -> absl::Status {
        remiss::v1::EventEnvelope e;
        if (!e.ParseFromArray(m.value.data(), static_cast<int>(m.value.size()))) {
          return absl::DataLossError(absl::StrCat("topic ", topic, "[", m.partition, "] offset ",
                                                  m.offset, " is not an event envelope"));
        }
        tail.last.push_back(std::move(e));
        return absl::OkStatus();
      },
      stall);
  if (absl::IsNotFound(s)) return tail;  // no topic yet: nothing in it
  if (!s.ok()) return s;
  return tail;
}

absl::Status CheckTopicIncarnation(const TopicTail& tail, const std::string& topic,
                                   const std::string& source, const std::string& incarnation,
                                   uint64_t store_position) {
  if (tail.events == 0) return absl::OkStatus();
  const remiss::v1::EventEnvelope* other = nullptr;
  for (const remiss::v1::EventEnvelope& e : tail.last) {
    if (!e.incarnation().empty() && e.incarnation() != incarnation) other = &e;
  }
  constexpr absl::string_view kWhatToDo =
      "If this store stands in for a lost one, stop the service, empty its store and start it "
      "with --restore-from-kafka; if the topic's events are to be thrown away, delete the topic";
  if (store_position == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", source, " store is empty but topic ", topic, " holds ", tail.events,
        " events of an earlier store",
        tail.last.empty() || tail.last.front().incarnation().empty()
            ? std::string()
            : absl::StrCat(" (incarnation ", tail.last.front().incarnation(), ")"),
        ": publishing this one would mix two histories. ", kWhatToDo));
  }
  if (other == nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "topic ", topic, " holds events of another ", source, " store (incarnation ",
      other->incarnation(), ", position ", other->position(), ") than this one (incarnation ",
      incarnation, ", ", store_position, " events): publishing would mix two histories. ",
      kWhatToDo));
}

uint64_t HighestPosition(const TopicTail& tail) {
  uint64_t highest = 0;
  for (const remiss::v1::EventEnvelope& e : tail.last) highest = std::max(highest, e.position());
  return highest;
}

absl::Status CheckTopicHoldsTheCursor(const TopicTail& tail, const std::string& source,
                                      uint64_t cursor) {
  if (cursor == 0) return absl::OkStatus();
  const uint64_t highest = HighestPosition(tail);
  if (static_cast<uint64_t>(tail.events) >= cursor && highest >= cursor) return absl::OkStatus();
  const std::string republish =
      absl::StrCat(": the topic lost history; `remissctl republish ", source,
                   "` publishes the whole log again");
  if (static_cast<uint64_t>(tail.events) < cursor) {
    return absl::FailedPreconditionError(absl::StrCat("the topic holds ", tail.events,
                                                      " events but this relay had published ",
                                                      cursor, republish));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "the topic holds ", tail.events, " messages but its events reach position ", highest,
      " only (the others repeat earlier positions) and this relay had published ", cursor,
      republish));
}

absl::Status CheckTopicWithinLog(const TopicTail& tail, const std::string& topic,
                                 const std::string& source, const std::string& incarnation,
                                 uint64_t last_position, const StoreEventAt& event_at) {
  const std::string what_to_do = absl::StrCat(
      ": the topic and the store have forked (a store restored from a backup, or one that "
      "lost its log's tail), and publishing would put other events at positions the topic "
      "holds. An operator decides: to keep the topic's history, stop the service, empty its "
      "store and start it with --restore-from-kafka; to keep the store's, delete the topic "
      "and run `remissctl republish ",
      source, "`");
  for (const remiss::v1::EventEnvelope& e : tail.last) {
    if (!e.incarnation().empty() && e.incarnation() != incarnation) continue;
    if (e.position() == 0) continue;
    if (e.position() > last_position) {
      return absl::FailedPreconditionError(absl::StrCat(
          "topic ", topic, " holds position ", e.position(), " (", e.stream_id(),
          ") but this ", source, " store's log ends at position ", last_position, what_to_do));
    }
    absl::StatusOr<std::optional<remiss::v1::EventEnvelope>> mine = event_at(e.position());
    if (!mine.ok()) return mine.status();
    if (!mine->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "topic ", topic, " holds position ", e.position(), " (", e.stream_id(),
          ") but this ", source, " store has no event there", what_to_do));
    }
    // As a restore compares a position's copies: their serialized forms.
    if ((*mine)->SerializeAsString() != e.SerializeAsString()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "topic ", topic, " holds another event at position ", e.position(), " (",
          e.stream_id(), ", recorded ", e.recorded_at().seconds(), ") than this ", source,
          " store (", (*mine)->stream_id(), ", recorded ", (*mine)->recorded_at().seconds(),
          ")", what_to_do));
    }
  }
  return absl::OkStatus();
}

}  // namespace remiss::core
