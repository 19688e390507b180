// The start-up check of a module's store, between opening it and starting its relay and
// feeds: a fresh store on a topic with history, and a restore cut short, never serve.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/server/module_settings.h"

namespace remiss::core {

// Run by every module right after opening its store, before its relay and feeds start. With
// Kafka and an empty store: with settings.restore_from_kafka, restores it (RestoreFromKafka,
// printing what it did); without, refuses (FAILED_PRECONDITION saying what to do) when the
// topic already holds an earlier store's events. A broker that does not answer is asked
// again for settings.topic_check_budget, then the start is refused (UNAVAILABLE). A store
// holding a restore cut short refuses to start (FAILED_PRECONDITION) unless
// settings.restore_from_kafka, which discards it and restores again. An empty store whose
// topic was checked once starts again without asking the broker.
[[nodiscard]] absl::Status PrepareStore(EventStore* store, const ModuleSettings& settings);

// A module's projections' layout, raised when what its projector keeps changes so that a
// store made by an earlier build reads wrong: when the store's meta under `key` is not
// `layout`, its projections are rebuilt from its own log (at start, before anything reads or
// writes them) and the mark set.
[[nodiscard]] absl::Status UpgradeProjections(EventStore& store, absl::string_view key,
                                              absl::string_view layout);

}  // namespace remiss::core
