// Restoring a service whose disk was lost from its own Kafka topic.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "remiss/core/store/event_store.h"

namespace remiss::core {

// Where the relay keeps its cursor in the store's meta: a restore sets it to the restored
// log's end, for all of it is on the topic already.
inline constexpr char kRelayCursorKey[] = "relay/cursor";

struct RestoreSummary {
  ImportResult imported;
  uint64_t duplicates = 0;  // positions the topic holds more than once (a relay sent again)
  std::string incarnation;
};

// Reads remiss.<source>.events.v1 from the beginning to its end now into `store`, which must
// be empty, and finishes the store from it (EventStore::FinishImport): the log at its
// positions, the store's incarnation, feed cursors, command records, projections, and the
// relay's cursor. An error names what is wrong (a gap, a position with two contents, two
// incarnations, a topic whose start was deleted) and leaves a store to be emptied again.
[[nodiscard]] absl::StatusOr<RestoreSummary> RestoreFromKafka(EventStore* store,
                                                              const std::string& brokers);

// RestoreFromKafka, saying on stdout what it restored (or, on error, which topic failed).
[[nodiscard]] absl::StatusOr<RestoreSummary> RestoreAndSay(EventStore* store, const std::string& brokers);

}  // namespace remiss::core
