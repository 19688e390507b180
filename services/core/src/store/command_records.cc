#include "command_records.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/message_checks.h"
#include "store_impl.h"

namespace remiss::core {
namespace internal {

std::string RecordSuffix(const CommandMeta& meta) {
  return absl::StrCat(meta.actor.org_id(), absl::string_view("\0", 1), meta.command_id);
}

std::string EncodeRecord(const CommitResult& r, absl::Time at, const CommandMeta& meta) {
  return absl::StrCat(EncodeU64(r.stream_version), EncodeU64(r.first_position),
                      EncodeU64(r.last_position), EncodeU64(static_cast<uint64_t>(Micros(at))),
                      EncodeU64(meta.fingerprint.size()), meta.fingerprint,
                      EncodeU64(meta.command.size()), meta.command, r.stream_id);
}

std::optional<CommandRecord> DecodeRecord(absl::string_view v) {
  CommandRecord rec;
  auto take_u64 = [&v](uint64_t& out) {
    if (v.size() < 8) return false;
    out = DecodeU64(v.substr(0, 8));
    v.remove_prefix(8);
    return true;
  };
  auto take_string = [&](std::string& out) {
    uint64_t n = 0;
    if (!take_u64(n) || v.size() < n) return false;
    out = std::string(v.substr(0, n));
    v.remove_prefix(n);
    return true;
  };
  uint64_t micros = 0;
  if (!take_u64(rec.result.stream_version) || !take_u64(rec.result.first_position) ||
      !take_u64(rec.result.last_position) || !take_u64(micros) || !take_string(rec.fingerprint) ||
      !take_string(rec.command)) {
    return std::nullopt;
  }
  rec.recorded_at = absl::FromUnixMicros(static_cast<int64_t>(micros));
  rec.result.stream_id = std::string(v);
  rec.result.repeated = true;
  return rec;
}

absl::StatusOr<CommitResult> AnswerFromRecord(const CommandRecord& rec, const CommandMeta& meta) {
  if (rec.fingerprint.empty() || rec.fingerprint == meta.fingerprint) return rec.result;
  return absl::AlreadyExistsError(absl::StrCat(
      "command_id: ", Quote(meta.command_id), " was already used at ",
      absl::FormatTime(absl::RFC3339_sec, rec.recorded_at, absl::UTCTimeZone()), " by ",
      rec.command.empty() ? "another command" : rec.command,
      rec.result.stream_id.empty() ? "" : absl::StrCat(" on ", rec.result.stream_id),
      " with other content; a new command needs a new command_id (a retry must send the "
      "same request again)"));
}

}  // namespace internal

using namespace internal;

// At most once a minute of the store's clock, a bounded number per call, oldest first.
void EventStore::Impl::PruneCommandRecords(rocksdb::WriteBatchWithIndex& batch, absl::Time now) {
  if (now < next_prune_) return;
  next_prune_ = now + absl::Minutes(1);
  constexpr int kMaxPerGroup = 1000;  // the rest goes at the next turn
  const std::string cutoff =
      absl::StrCat(kRecordTimePrefix, EncodeU64(Micros(now - options_.command_retention)));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), commands_));
  int pruned = 0;
  for (it->Seek(ToSlice(kRecordTimePrefix));
       it->Valid() && it->key().starts_with(ToSlice(kRecordTimePrefix)) &&
       ToView(it->key()) < cutoff;
       it->Next()) {
    if (++pruned > kMaxPerGroup) {
      next_prune_ = now;  // more to do
      break;
    }
    const absl::string_view suffix = ToView(it->key()).substr(kRecordTimePrefix.size() + 8);
    const std::string record_key = absl::StrCat(kRecordPrefix, suffix);
    // A record renewed since (the id reused after it expired) has a later time: keep it.
    std::string value;
    if (db_->Get(rocksdb::ReadOptions(), commands_, record_key, &value).ok()) {
      std::optional<CommandRecord> record = DecodeRecord(value);
      if (record && record->recorded_at + options_.command_retention > now) {
        batch.Delete(commands_, it->key());
        continue;
      }
      batch.Delete(commands_, record_key);
    }
    batch.Delete(commands_, it->key());
  }
}

}  // namespace remiss::core
