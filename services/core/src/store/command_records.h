// A command_id's record (commands column family): what the first command with that id did,
// so that a retry gets the same answer and another command under the same id is refused.
// Records live under "r/" + organization + NUL + id, with a time index "t/" + recorded-at
// (big-endian microseconds) + the same suffix, by which expired records are pruned.
// A record's value: version, first, last, recorded-at (u64 each), the fingerprint's length
// (u64) and bytes, the command's name's length (u64) and bytes, then the stream id.
// Pure functions over bytes; no state.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "remiss/core/store/event_store.h"

namespace remiss::core::internal {

inline constexpr absl::string_view kRecordPrefix = "r/";
inline constexpr absl::string_view kRecordTimePrefix = "t/";

struct CommandRecord {
  CommitResult result;
  absl::Time recorded_at;
  std::string fingerprint;  // empty: restored from the events (none kept there)
  std::string command;
};

// The part of both keys after their prefix: organization, NUL, command id.
std::string RecordSuffix(const CommandMeta& meta);
std::string EncodeRecord(const CommitResult& r, absl::Time at, const CommandMeta& meta);
std::optional<CommandRecord> DecodeRecord(absl::string_view v);
// A retry gets the first result; a different command under a used id is refused.
absl::StatusOr<CommitResult> AnswerFromRecord(const CommandRecord& rec, const CommandMeta& meta);

}  // namespace remiss::core::internal
