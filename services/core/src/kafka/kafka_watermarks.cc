#include "kafka_watermarks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::core {
namespace {

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

}  // namespace

absl::Status WatermarkReader::Open() {
  Close();
  pending_.clear();
  absl::StatusOr<rd_kafka_conf_t*> made = NewKafkaConf(
      {{"bootstrap.servers", brokers_},
       // Needed by the consumer API; never joined (the partitions are assigned) nor committed.
       {"group.id", absl::StrCat(group_id_, ".watermarks")},
       {"client.id", absl::StrCat(group_id_, ".watermarks")},
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
      rd_kafka_topic_partition_list_new(static_cast<int>(sources_.size()));
  for (const std::string& source : sources_) {
    rd_kafka_topic_partition_list_add(partitions, WatermarkTopicFor(source).c_str(), 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(rk, partitions);
  rd_kafka_topic_partition_list_destroy(partitions);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return absl::InternalError(
        absl::StrCat("kafka feed: assigning the watermark topics: ", rd_kafka_err2str(err)));
  }
  rk_ = rk;
  return absl::OkStatus();
}

void WatermarkReader::Close() {
  if (rk_ == nullptr) return;
  // It never joined a group: nothing to leave.
  rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  rk_ = nullptr;
}

bool WatermarkReader::Read() {
  bool came = false;
  for (int i = 0; rk_ != nullptr && i < 100; ++i) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 0);
    if (m == nullptr) break;
    came = Take(*m) || came;
    rd_kafka_message_destroy(m);
  }
  return came;
}

bool WatermarkReader::Take(const rd_kafka_message_t& m) {
  if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The topic not there yet, the broker down, ...: librdkafka keeps trying. Without
    // watermarks the feed's watermark only stays where it is.
    if (m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      LogOnce(absl::StrCat("watermarks: ", rd_kafka_err2name(m.err), ": ",
                           rd_kafka_message_errstr(&m)));
    }
    return false;
  }
  const std::string topic = rd_kafka_topic_name(m.rkt);
  auto source = std::find_if(sources_.begin(), sources_.end(), [&](const std::string& s) {
    return WatermarkTopicFor(s) == topic;
  });
  if (source == sources_.end()) return false;
  const std::string where = absl::StrCat(topic, "[", m.partition, "]@", m.offset);
  const absl::string_view key(static_cast<const char*>(m.key), m.key != nullptr ? m.key_len : 0);
  remiss::v1::SourceWatermark watermark;
  if (key != *source || m.payload == nullptr ||
      !watermark.ParseFromArray(m.payload, static_cast<int>(m.len)) ||
      !watermark.has_settled_until()) {
    // Not a claim this feed can use; skipping it only holds the watermark back.
    LogOnce(absl::StrCat("watermarks: ignoring ", where, ": not a SourceWatermark of '", *source,
                         "'"));
    return false;
  }
  Pending pending;
  pending.until = FromTimestamp(watermark.settled_until());
  for (const remiss::v1::PartitionOffset& po : watermark.offsets()) {
    pending.offsets.emplace_back(po.partition(), po.offset());
  }
  std::deque<Pending>& list = pending_[*source];
  list.push_back(std::move(pending));
  if (list.size() > kMaxPendingWatermarks) {
    std::deque<Pending> thinned;
    for (size_t i = list.size() % 2 == 0 ? 1 : 0; i < list.size(); i += 2) {
      thinned.push_back(std::move(list[i]));
    }
    list = std::move(thinned);
  }
  return true;
}

void WatermarkReader::Update(const Handled& handled) {
  // A watermark is reached when the feed has handled every partition it names up to its
  // offset; a partition not assigned to this consumer counts as not handled.
  auto reached = [&](const std::string& source, const Pending& pending) {
    for (const auto& [partition, offset] : pending.offsets) {
      auto it = handled.find({source, partition});
      if (it == handled.end() || it->second < offset) return false;
    }
    return true;
  };
  for (auto& [source, list] : pending_) {
    for (size_t i = list.size(); i-- > 0;) {
      if (!reached(source, list[i])) continue;
      const absl::Time until = list[i].until;
      list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      absl::MutexLock lock(&mu_);
      auto [it, added] = reached_.emplace(source, until);
      if (!added) it->second = std::max(it->second, until);
      break;
    }
  }
}

absl::Time WatermarkReader::Earliest() const {
  absl::MutexLock lock(&mu_);
  absl::Time earliest = absl::InfiniteFuture();
  for (const std::string& source : sources_) {
    auto it = reached_.find(source);
    if (it == reached_.end()) return absl::InfinitePast();
    earliest = std::min(earliest, it->second);
  }
  return earliest;
}

void WatermarkReader::LogOnce(const std::string& message) {
  if (message == last_log_) return;
  last_log_ = message;
  LogJson(group_id_, "kafka_feed", {{"message", message}});
}

}  // namespace remiss::core
