// What the sources' relays say on their watermark topics (remiss.<source>.watermarks.v1), for
// KafkaFeed: a consumer with no group reads them from the beginning (they are compacted);
// each watermark waits until the feed has handled every (partition, offset) it names, and
// then becomes the source's reached watermark. Used by the feed's thread only, except
// Earliest (thread-safe). Reached watermarks stay across Close/Open (the consumer's store
// still holds what it took).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace remiss::core {

class WatermarkReader {
 public:
  // Per (source, partition): the highest offset the feed's handler took (-1: none).
  using Handled = std::map<std::pair<std::string, int32_t>, int64_t>;

  WatermarkReader(std::string brokers, std::string group_id, std::vector<std::string> sources)
      : brokers_(std::move(brokers)), group_id_(std::move(group_id)), sources_(std::move(sources)) {}
  ~WatermarkReader() { Close(); }
  WatermarkReader(const WatermarkReader&) = delete;
  WatermarkReader& operator=(const WatermarkReader&) = delete;

  // A new consumer reading every source's watermark topic from the beginning.
  [[nodiscard]] absl::Status Open();
  void Close();
  // Takes what arrived (at most 100 messages) without waiting; true when a watermark came.
  bool Read();
  // Per source, the newest waiting watermark that `handled` covers is reached; it and the
  // older ones are done.
  void Update(const Handled& handled);
  // The earliest of the sources' reached watermarks; InfinitePast while one has none.
  [[nodiscard]] absl::Time Earliest() const;

 private:
  // A watermark as read: everything its source recorded before `until` is at or below these
  // (partition, offset)s.
  struct Pending {
    absl::Time until;
    std::vector<std::pair<int32_t, int64_t>> offsets;
  };

  bool Take(const rd_kafka_message_t& m);
  void LogOnce(const std::string& message);

  const std::string brokers_, group_id_;
  const std::vector<std::string> sources_;
  rd_kafka_t* rk_ = nullptr;
  std::map<std::string, std::deque<Pending>> pending_;  // per source, in the order read
  std::string last_log_;

  mutable absl::Mutex mu_;
  std::map<std::string, absl::Time> reached_ ABSL_GUARDED_BY(mu_);  // per source
};

}  // namespace remiss::core
