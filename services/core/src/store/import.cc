// A restore's import (restore.h): events put back at their positions into a store that has
// recorded nothing, then the stream index, feed cursors, command records and projections
// rebuilt from them. An import is marked in progress before its first event and unmarked
// after its projections: a store opened with the mark refuses to serve until the import is
// done again (DiscardImport, then the import) — a restore cut short never runs as a store.
#include <map>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/message_checks.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/base/validation.h"
#include "command_records.h"
#include "projection_fold.h"
#include "store_impl.h"

namespace remiss::core {

using namespace internal;
using remiss::v1::EventEnvelope;

void EventStore::Impl::RestoredUpTo(uint64_t position, absl::Time recorded) {
  {
    absl::MutexLock lock(&queue_mu_);
    last_group_time_ = std::max(last_group_time_, recorded);
    settled_high_ = std::max(settled_high_, recorded);
    written_position_ = position;  // the writer reads it after taking this lock
  }
  Publish(StateNow(position), position);  // the restore synced what it wrote
}

bool EventStore::ImportUnfinished() const { return impl_->import_unfinished(); }

std::optional<uint64_t> EventStore::RestoredThrough() const {
  if (!impl_->restored_.load()) return std::nullopt;
  return impl_->restored_through_.load();
}

absl::Status EventStore::DiscardImport() {
  Impl& im = *impl_;
  if (!im.import_unfinished()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", source(), " store holds no unfinished restore: nothing is discarded"));
  }
  // Everything an import writes; the mark stays until the next import finishes.
  for (rocksdb::ColumnFamilyHandle* cf : {im.events_, im.streams_, im.commands_,
                                          im.projections_[0], im.projections_[1]}) {
    REMISS_RETURN_IF_ERROR(ClearColumnFamily(im.db_, cf, [&im](const rocksdb::WriteOptions& wo,
                                                                rocksdb::WriteBatch* b) {
      return im.WriteToDb(wo, b);
    }));
  }
  rocksdb::WriteBatch meta;
  std::unique_ptr<rocksdb::Iterator> it(im.db_->NewIterator(rocksdb::ReadOptions(), im.meta_));
  for (it->Seek("feed/"); it->Valid() && it->key().starts_with("feed/"); it->Next()) {
    meta.Delete(im.meta_, it->key());
  }
  if (!it->status().ok()) return ReadFailed(it->status(), "the feed cursors");
  for (absl::string_view key : {kActiveKey, kRebuildTargetKey, kRebuildCursorKey, kFeedsKindKey}) {
    meta.Delete(im.meta_, ToSlice(key));
  }
  REMISS_RETURN_IF_ERROR(im.WriteSynced(&meta, "discarding a restore cut short"));
  im.active_index_ = 0;
  im.active_.store(im.projections_[0]);
  im.RestoredUpTo(0, absl::InfinitePast());
  return absl::OkStatus();
}

absl::Status EventStore::ImportEvents(const std::vector<EventEnvelope>& events,
                                      uint64_t* duplicates) {
  Impl& im = *impl_;
  if (im.last_position() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", source(), " store has recorded ", im.last_position(),
        " events: only an empty store is restored"));
  }
  if (!im.import_unfinished()) {
    rocksdb::WriteBatch mark;
    mark.Put(im.meta_, ToSlice(kImportKey), "");
    REMISS_RETURN_IF_ERROR(im.WriteSynced(&mark, "marking a restore in progress"));
    im.import_unfinished_ = true;
  }
  rocksdb::WriteBatchWithIndex batch;
  for (const EventEnvelope& e : events) {
    if (e.source() != source() || e.position() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "event ", Quote(e.event_id()), " is not a ", source(), " event (source ",
          Quote(e.source()), ", position ", e.position(), ")"));
    }
    const std::string key = EncodeU64(e.position());
    const std::string value = e.SerializeAsString();
    std::string held;
    rocksdb::Status got = batch.GetFromBatchAndDB(im.db_, rocksdb::ReadOptions(), im.events_, key, &held);
    if (got.ok()) {
      if (held != value) {
        return absl::DataLossError(absl::StrCat(
            "position ", e.position(), " of ", source(),
            " comes twice with different content: the topic mixes two histories"));
      }
      if (duplicates != nullptr) ++*duplicates;
      continue;
    }
    if (!got.IsNotFound()) return ReadFailed(got, "the restored log");
    batch.Put(im.events_, key, value);
  }
  rocksdb::WriteOptions wo;
  wo.sync = false;  // FinishImport syncs
  return FromRocks(im.WriteToDb(wo, batch.GetWriteBatch()), "restoring events");
}

absl::StatusOr<ImportResult> EventStore::FinishImport() {
  Impl& im = *impl_;
  if (im.last_position() != 0) {
    return absl::FailedPreconditionError(absl::StrCat("the ", source(), " store is not empty"));
  }
  ImportResult result;
  std::string incarnation;
  uint64_t incarnation_from = 0;
  std::string feeds_kind;  // of the feeds whose events were consumed (the latest said)
  std::map<std::pair<std::string, int32_t>, FeedCursor> cursors;
  const absl::Time keep_after = clock().Now() - im.options().command_retention;
  absl::Time last_recorded = absl::InfinitePast();
  // The command whose events are being passed (its events are contiguous: one transaction).
  std::string command_key;
  CommitResult command;
  CommandMeta command_meta;  // its name and request fingerprint, as its events carry them
  absl::Time command_at;
  rocksdb::WriteBatch batch;
  rocksdb::WriteOptions wo;
  wo.sync = false;
  auto flush = [&]() -> absl::Status {
    absl::Status s = FromRocks(im.WriteToDb(wo, &batch), "restoring the stream index");
    batch.Clear();
    return s;
  };
  auto end_command = [&] {
    if (command_key.empty() || command_at <= keep_after) return;
    // Events recorded before they carried the fingerprint give a record without it, which
    // answers any retry of the id as a repeat.
    batch.Put(im.commands_, absl::StrCat(kRecordPrefix, command_key),
              EncodeRecord(command, command_at, command_meta));
    batch.Put(im.commands_, absl::StrCat(kRecordTimePrefix, EncodeU64(Micros(command_at)), command_key), "");
    ++result.command_records;
  };
  std::unique_ptr<rocksdb::Iterator> it(im.db_->NewIterator(rocksdb::ReadOptions(), im.events_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t position = DecodeU64(ToView(it->key()));
    if (position != result.events + 1) {
      return absl::DataLossError(absl::StrCat(
          "positions ", result.events + 1, "..", position - 1, " of ", source(),
          " are missing from what was restored (a gap in the topic): the log cannot be restored"));
    }
    EventEnvelope e;
    if (!e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("position ", position, " does not parse"));
    }
    result.events = position;
    if (!e.incarnation().empty()) {
      if (incarnation.empty()) {
        incarnation = e.incarnation();
        incarnation_from = position;
      } else if (e.incarnation() != incarnation) {
        return absl::DataLossError(absl::StrCat(
            "position ", position, " of ", source(), " comes from store incarnation ",
            e.incarnation(), " but position ", incarnation_from, " from ", incarnation,
            ": the topic mixes two histories"));
      }
    }
    const std::string key = it->key().ToString();
    batch.Put(im.streams_, StreamIndexKey(e.stream_id(), e.stream_version()), key);
    batch.Put(im.streams_, e.stream_id(), EncodeU64(e.stream_version()));
    last_recorded = std::max(last_recorded, FromTimestamp(e.recorded_at()));
    // Where the feeds had got to: what was consumed, and what an operator skipped.
    std::optional<remiss::v1::ConsumedFrom> consumed;
    if (e.has_consumed()) consumed = e.consumed();
    if (e.has_operations() && e.operations().has_feed_event_skipped()) {
      const auto& skipped = e.operations().feed_event_skipped();
      consumed.emplace();
      consumed->set_source(skipped.source());
      consumed->set_partition(skipped.partition());
      consumed->set_offset(skipped.offset());
      consumed->set_position(skipped.position());
    }
    if (consumed && !consumed->source().empty()) {
      if (!consumed->feed_kind().empty()) feeds_kind = consumed->feed_kind();
      FeedCursor& c = cursors[{consumed->source(), consumed->partition()}];
      if (consumed->position() >= c.position) {
        c.position = consumed->position();
        c.offset = std::max(c.offset, consumed->offset());
        if (!consumed->incarnation().empty()) c.incarnation = consumed->incarnation();
      }
    }
    // Command records: one per command_id and calling organization.
    const std::string scope = e.command_id().empty()
                                  ? std::string()
                                  : absl::StrCat(e.actor().org_id(), absl::string_view("\0", 1),
                                                 e.command_id());
    if (scope != command_key) {
      end_command();
      command_key = scope;
      command = CommitResult{};
      command_meta = CommandMeta{};
      command_meta.command = e.command();
      command_meta.fingerprint = e.command_fingerprint();
      command.first_position = position;
      command_at = FromTimestamp(e.recorded_at());
    }
    command.stream_id = e.stream_id();
    command.stream_version = e.stream_version();
    command.last_position = position;
    if (batch.Count() >= 20000) REMISS_RETURN_IF_ERROR(flush());
  }
  if (!it->status().ok()) return ReadFailed(it->status(), "the restored log");
  end_command();
  for (const auto& [where, cursor] : cursors) {
    batch.Put(im.meta_, FeedKey(where.first, where.second), EncodeCursor(cursor));
  }
  result.feed_cursors = cursors.size();
  // The cursors' offsets mean what their feeds' kind says (Kafka offsets or positions): the
  // kind goes with them, so that feeds of the other kind refuse them.
  if (!feeds_kind.empty()) batch.Put(im.meta_, ToSlice(kFeedsKindKey), feeds_kind);
  if (!incarnation.empty()) {
    batch.Put(im.meta_, ToSlice(kIncarnationKey), incarnation);
    im.incarnation_ = incarnation;
  }
  if (last_recorded != absl::InfinitePast()) {
    batch.Put(im.meta_, ToSlice(kRecordedAtKey), EncodeU64(static_cast<uint64_t>(Micros(last_recorded))));
  }
  wo.sync = im.options().sync;
  REMISS_RETURN_IF_ERROR(flush());
  im.RestoredUpTo(result.events, last_recorded);
  absl::StatusOr<Digest> digest = RebuildProjections();
  if (!digest.ok()) return digest.status();
  result.digest = *digest;
  // Last: only now is the store whole.
  rocksdb::WriteBatch done;
  done.Delete(im.meta_, ToSlice(kImportKey));
  REMISS_RETURN_IF_ERROR(im.WriteSynced(&done, "ending the restore"));
  im.import_unfinished_ = false;
  im.restored_through_ = result.events;
  im.restored_ = true;
  return result;
}

}  // namespace remiss::core
