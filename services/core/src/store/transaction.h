// A transaction's view on the writer thread: reads see the database plus what this group
// staged before; writes go to the group's batch. Used only inside one command's function.
#pragma once

#include <optional>
#include <string>

#include "store_impl.h"

namespace remiss::core {

class EventStore::Impl::TxImpl final : public Tx {
 public:
  TxImpl(Impl* store, rocksdb::WriteBatchWithIndex* batch, uint64_t* next_position,
         const CommandMeta& meta, absl::Time now)
      : store_(store), batch_(batch), next_position_(next_position), meta_(meta), now_(now) {}

  std::optional<std::string> Get(absl::string_view key) override;
  void Put(absl::string_view key, absl::string_view value) override;
  void Delete(absl::string_view key) override;
  void Scan(absl::string_view prefix,
            const std::function<bool(absl::string_view, absl::string_view)>& fn) override;
  uint64_t StreamVersion(absl::string_view stream_id) override;
  absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> ReadStream(absl::string_view stream_id) override;
  absl::Status Append(absl::string_view stream_id, std::optional<uint64_t> expected_version,
                      std::vector<remiss::v1::EventEnvelope> events) override;
  std::optional<FeedCursor> GetFeedCursor(absl::string_view source, int32_t partition) override;
  void SetFeedCursor(absl::string_view source, int32_t partition, FeedCursor cursor) override;
  void SetConsumed(const remiss::v1::ConsumedFrom* consumed) override { consumed_ = consumed; }
  void SetTraceparent(std::string traceparent) override { traceparent_ = std::move(traceparent); }
  absl::Time Now() const override { return now_; }

  const CommitResult& result() const { return result_; }
  // Whether it moved a feed cursor: a consumer's work, done again from the older cursor if lost.
  bool set_feed_cursor() const { return set_feed_cursor_; }
  // The first read that failed otherwise than NotFound (OK: none).
  const absl::Status& read_error() const { return read_error_; }

 private:
  std::optional<std::string> Read(rocksdb::ColumnFamilyHandle* cf, absl::string_view key);
  void Failed(const rocksdb::Status& s, const std::string& what);

  Impl* store_;
  rocksdb::WriteBatchWithIndex* batch_;
  uint64_t* next_position_;
  const CommandMeta& meta_;
  absl::Time now_;
  CommitResult result_;
  absl::Status read_error_;
  const remiss::v1::ConsumedFrom* consumed_ = nullptr;  // SetConsumed
  std::string traceparent_;                              // SetTraceparent
  bool set_feed_cursor_ = false;
};

}  // namespace remiss::core
