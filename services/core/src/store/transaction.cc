#include "transaction.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/byte_budget.h"
#include "remiss/core/base/timestamps.h"

namespace remiss::core {

using namespace internal;
using remiss::v1::EventEnvelope;

std::optional<std::string> EventStore::Impl::TxImpl::Get(absl::string_view key) { return Read(store_->active(), key); }

void EventStore::Impl::TxImpl::Put(absl::string_view key, absl::string_view value) {
  batch_->Put(store_->active(), ToSlice(key), ToSlice(value));
}

void EventStore::Impl::TxImpl::Delete(absl::string_view key) { batch_->Delete(store_->active(), ToSlice(key)); }

void EventStore::Impl::TxImpl::Scan(absl::string_view prefix,
                  const std::function<bool(absl::string_view, absl::string_view)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(batch_->NewIteratorWithBase(
      store_->active(), store_->db_->NewIterator(rocksdb::ReadOptions(), store_->active())));
  for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix)); it->Next()) {
    if (!fn(ToView(it->key()), ToView(it->value()))) break;
  }
  if (!it->status().ok()) Failed(it->status(), "projections");
}

uint64_t EventStore::Impl::TxImpl::StreamVersion(absl::string_view stream_id) {
  auto head = Read(store_->streams_, stream_id);
  return head ? DecodeU64(*head) : 0;
}

absl::StatusOr<std::vector<EventEnvelope>> EventStore::Impl::TxImpl::ReadStream(absl::string_view stream_id) {
  std::vector<EventEnvelope> out;
  const uint64_t version = StreamVersion(stream_id);
  for (uint64_t v = 1; v <= version; ++v) {
    auto position = Read(store_->streams_, StreamIndexKey(stream_id, v));
    auto bytes = position ? Read(store_->events_, *position) : std::nullopt;
    if (!bytes || !out.emplace_back().ParseFromString(*bytes)) {
      return absl::DataLossError(absl::StrCat("stream ", stream_id, " version ", v, " is missing"));
    }
  }
  return out;
}

absl::Status EventStore::Impl::TxImpl::Append(absl::string_view stream_id, std::optional<uint64_t> expected_version,
                            std::vector<EventEnvelope> events) {
  if (stream_id.empty()) return absl::InvalidArgumentError("stream_id: is required");
  uint64_t version = StreamVersion(stream_id);
  if (expected_version && *expected_version != version) {
    return absl::AbortedError(absl::StrCat("expected_version: ", *expected_version,
                                           " but the current version is ", version));
  }
  const EventStoreOptions& options = store_->options();
  for (EventEnvelope& e : events) {
    if (e.payload_case() == EventEnvelope::PAYLOAD_NOT_SET) {
      return absl::InternalError("an event without a payload");
    }
    if (e.partition_key().empty()) return absl::InternalError("an event without a partition key");
    const uint64_t position = (*next_position_)++;
    ++version;
    e.set_source(options.source);
    e.set_incarnation(store_->incarnation_);
    if (consumed_ != nullptr) *e.mutable_consumed() = *consumed_;
    e.set_position(position);
    e.set_event_id(absl::StrCat(options.source, "-", position));
    e.set_stream_id(std::string(stream_id));
    e.set_stream_version(version);
    e.set_type(EventType(e));
    *e.mutable_recorded_at() = ToTimestamp(now_);
    if (!e.has_occurred_at()) *e.mutable_occurred_at() = e.recorded_at();
    if (!e.has_actor()) *e.mutable_actor() = meta_.actor;
    if (e.command_id().empty()) e.set_command_id(meta_.command_id);
    if (e.command_id() == meta_.command_id && !meta_.fingerprint.empty()) {
      e.set_command(meta_.command);
      e.set_command_fingerprint(meta_.fingerprint);
    }
    if (e.correlation_id().empty()) e.set_correlation_id(meta_.correlation_id);
    if (e.causation_id().empty()) e.set_causation_id(meta_.causation_id);
    if (!traceparent_.empty()) {
      e.set_traceparent(traceparent_);
    } else if (e.traceparent().empty()) {
      e.set_traceparent(meta_.traceparent);
    }

    const size_t limit = meta_.command_id.empty() ? kMaxEventBytes : kMaxCommandEventBytes;
    if (const size_t bytes = e.ByteSizeLong(); bytes > limit) return OverBudget(e, bytes, limit);
    const std::string key = EncodeU64(position);
    batch_->Put(store_->events_, key, e.SerializeAsString());
    batch_->Put(store_->streams_, StreamIndexKey(stream_id, version), key);
    if (options.projector != nullptr) {
      absl::Status s = options.projector->Apply(e, *this);
      if (!s.ok()) return s;
    }
    if (result_.first_position == 0) result_.first_position = position;
    result_.last_position = position;
  }
  if (!events.empty()) batch_->Put(store_->streams_, ToSlice(stream_id), EncodeU64(version));
  result_.stream_id = std::string(stream_id);
  result_.stream_version = version;
  return absl::OkStatus();
}

std::optional<FeedCursor> EventStore::Impl::TxImpl::GetFeedCursor(absl::string_view source, int32_t partition) {
  auto v = Read(store_->meta_, FeedKey(source, partition));
  if (!v) return std::nullopt;
  return DecodeCursor(*v);
}

void EventStore::Impl::TxImpl::SetFeedCursor(absl::string_view source, int32_t partition, FeedCursor cursor) {
  batch_->Put(store_->meta_, FeedKey(source, partition), EncodeCursor(cursor));
  set_feed_cursor_ = true;
}

std::optional<std::string> EventStore::Impl::TxImpl::Read(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
  std::string value;
  rocksdb::Status s =
      batch_->GetFromBatchAndDB(store_->db_, rocksdb::ReadOptions(), cf, ToSlice(key), &value);
  if (!s.ok()) {
    if (!s.IsNotFound()) Failed(s, cf->GetName());
    return std::nullopt;
  }
  return value;
}

void EventStore::Impl::TxImpl::Failed(const rocksdb::Status& s, const std::string& what) {
  if (read_error_.ok()) read_error_ = ReadFailed(s, absl::StrCat("the store's ", what));
}

}  // namespace remiss::core
