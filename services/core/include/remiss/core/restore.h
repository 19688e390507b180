// Restoring a service whose disk was lost from its own Kafka topic, and the start-up check
// that keeps a fresh store off a topic that holds an earlier store's history.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "remiss/core/event_store.h"
#include "remiss/core/module_settings.h"

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

// Run by every module right after opening its store, before its relay and feeds start. With
// Kafka and an empty store: with settings.restore_from_kafka, restores it (RestoreFromKafka,
// printing what it did); without, refuses (FAILED_PRECONDITION saying what to do) when the
// topic already holds an earlier store's events. A broker that does not answer in time is
// not waited for: the relay makes the same check before it publishes anything.
[[nodiscard]] absl::Status PrepareStore(EventStore* store, const ModuleSettings& settings);

}  // namespace remiss::core
