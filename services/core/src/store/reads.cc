// What readers other than the writer see: always the durable state (DurableRead), the one
// that Finish published last (syncer.cc) — never a group still being synced.
#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "remiss/core/base/keys.h"
#include "command_records.h"
#include "store_impl.h"

namespace remiss::core {

using namespace internal;
using remiss::v1::EventEnvelope;

absl::StatusOr<std::vector<EventEnvelope>> EventStore::ReadLog(uint64_t from, size_t max) const {
  std::vector<EventEnvelope> out;
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->events_));
  for (it->Seek(EncodeU64(from)); it->Valid() && out.size() < max; it->Next()) {
    if (!out.emplace_back().ParseFromArray(it->value().data(), it->value().size())) {
      return absl::DataLossError(absl::StrCat("event at position ", DecodeU64(ToView(it->key())),
                                              " does not parse"));
    }
  }
  if (!it->status().ok()) return ReadFailed(it->status(), "the log");
  return out;
}

absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> EventStore::ReadLogBytes(
    uint64_t from, size_t max, size_t max_bytes) const {
  std::vector<std::pair<uint64_t, std::string>> out;
  out.reserve(std::min<size_t>(max, 4096));
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->events_));
  size_t bytes = 0;
  for (it->Seek(EncodeU64(from)); it->Valid() && out.size() < max; it->Next()) {
    // At least one event, however large; then no more than max_bytes together.
    if (!out.empty() && bytes + it->value().size() > max_bytes) break;
    bytes += it->value().size();
    out.emplace_back(DecodeU64(ToView(it->key())), std::string(ToView(it->value())));
  }
  if (!it->status().ok()) return ReadFailed(it->status(), "the log");
  return out;
}

absl::StatusOr<std::vector<EventEnvelope>> EventStore::ReadStream(absl::string_view stream_id) const {
  std::vector<EventEnvelope> out;
  // At the durable state's snapshot, so that the head and the index agree.
  Impl::DurableRead read(impl_.get());
  std::string prefix = StreamIndexKey(stream_id, 0).substr(0, stream_id.size() + 1);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->streams_));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string bytes;
    rocksdb::Status s = impl_->db_->Get(read.options, impl_->events_, it->value(), &bytes);
    if (!s.ok() && !s.IsNotFound()) return ReadFailed(s, "the log");
    if (!s.ok() || !out.emplace_back().ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat("stream ", stream_id, " has a missing event"));
    }
  }
  if (!it->status().ok()) return ReadFailed(it->status(), "the stream index");
  return out;
}

absl::StatusOr<std::optional<std::string>> EventStore::ReadProjection(absl::string_view key) const {
  Impl::DurableRead read(impl_.get());
  return impl_->Read(read.active(), key, read.options);
}

std::optional<std::string> EventStore::GetProjection(absl::string_view key) const {
  Impl::DurableRead read(impl_.get());
  return impl_->Get(read.active(), key, read.options);
}

void EventStore::ScanProjections(
    absl::string_view prefix, absl::string_view start_after,
    const std::function<bool(absl::string_view, absl::string_view)>& fn) const {
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, read.active()));
  std::string start = std::string(start_after > prefix ? start_after : prefix);
  for (it->Seek(start); it->Valid() && it->key().starts_with(ToSlice(prefix)); it->Next()) {
    if (!start_after.empty() && ToView(it->key()) <= start_after) continue;
    if (!fn(ToView(it->key()), ToView(it->value()))) break;
  }
}

std::optional<FeedCursor> EventStore::GetFeedCursor(absl::string_view source,
                                                    int32_t partition) const {
  Impl::DurableRead read(impl_.get());
  auto v = impl_->Get(impl_->meta_, FeedKey(source, partition), read.options);
  if (!v) return std::nullopt;
  return DecodeCursor(*v);
}

std::vector<std::tuple<std::string, int32_t, FeedCursor>> EventStore::FeedCursors() const {
  std::vector<std::tuple<std::string, int32_t, FeedCursor>> out;
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->meta_));
  for (it->Seek("feed/"); it->Valid() && it->key().starts_with("feed/"); it->Next()) {
    absl::string_view key = ToView(it->key()).substr(5);
    size_t slash = key.rfind('/');
    if (slash == absl::string_view::npos) continue;
    out.emplace_back(std::string(key.substr(0, slash)),
                     std::atoi(std::string(key.substr(slash + 1)).c_str()),
                     DecodeCursor(ToView(it->value())));
  }
  return out;
}

std::optional<std::string> EventStore::GetMeta(absl::string_view key) const {
  return impl_->Get(impl_->meta_, absl::StrCat("m/", key));
}

absl::Status EventStore::PutMeta(absl::string_view key, absl::string_view value) {
  rocksdb::WriteBatch put;
  rocksdb::Status s = put.Put(impl_->meta_, absl::StrCat("m/", key), ToSlice(value));
  if (s.ok()) s = impl_->WriteToDb(rocksdb::WriteOptions(), &put);
  return FromRocks(s, "writing meta");
}

size_t EventStore::CommandRecordCount() const {
  Impl::DurableRead read(impl_.get());
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, impl_->commands_));
  size_t n = 0;
  for (it->Seek(ToSlice(kRecordPrefix)); it->Valid() && it->key().starts_with(ToSlice(kRecordPrefix));
       it->Next()) {
    ++n;
  }
  return n;
}

Digest EventStore::ProjectionDigest() const {
  Impl::DurableRead read(impl_.get());
  Digest digest;
  digest.log_position = read.state.position;  // projections are committed with their events
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(read.options, read.active()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    for (const rocksdb::Slice& part : {it->key(), it->value()}) {
      std::string len = EncodeU64(part.size());
      EVP_DigestUpdate(ctx, len.data(), len.size());
      EVP_DigestUpdate(ctx, part.data(), part.size());
    }
    ++digest.entries;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  for (unsigned int i = 0; i < md_len; ++i) absl::StrAppend(&digest.sha256, absl::StrFormat("%02x", md[i]));
  return digest;
}

}  // namespace remiss::core
