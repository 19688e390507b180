// The relay's watermarks (relay_impl.h): learning the events topic's end offsets, publishing
// {settled_until, offsets} to the source's watermarks topic about once a second while caught
// up, and their delivery reports.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "relay_impl.h"
#include "remiss/core/kafka/topic_reader.h"

namespace remiss::core {
namespace internal {
namespace {

// Watermarks go out about this often (never more often), while the relay is caught up.
constexpr absl::Duration kWatermarkEvery = absl::Seconds(1);
// How long one look at the events topic's end offsets may block the relay thread.
constexpr absl::Duration kEndOffsetsTimeout = absl::Seconds(2);

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds down, so nanos is never negative
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

}  // namespace

// A watermark's delivery report. A failed one is published again at a later turn.
void KafkaRelay::WatermarkDelivered(rd_kafka_resp_err_t err) {
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
bool KafkaRelay::LearnEndOffsets() {
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
  std::vector<PartitionRange> ranges;
  for (int32_t p : partitions) ranges.push_back(PartitionRange{p});
  if (absl::Status s = QueryPartitionEnds(rk_, topic_, ranges, kEndOffsetsTimeout);
      !s.ok()) {
    LogOnce(absl::StrCat("watermarks: ", s.message()));
    return false;
  }
  std::map<int32_t, int64_t> last;
  for (const PartitionRange& r : ranges) {
    if (r.high > r.low) last[r.partition] = r.high - 1;
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
void KafkaRelay::MaybePublishWatermark() {
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

}  // namespace internal
}  // namespace remiss::core
