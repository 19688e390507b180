// How the deadlines service acts on what it learns, inside a store transaction: it follows
// the responses service's events (the round's terms, answers, decisions) and fires its
// timers, recording its own events in the same WriteBatch as the feed's cursor or the
// timer's removal, so that its own log alone rebuilds its state.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/v1/deadlines_events.pb.h"

namespace remiss::deadlines {

// A FeedConsumer::Apply for the responses source.
[[nodiscard]] absl::Status FollowResponses(const core::FeedEvent& event, core::Tx& tx);

// Fires the timers due at tx.Now(), at most `max`; each (due, reminder, at-risk) only once
// `watermark` (how far the responses feed is known to be complete) has passed its instant.
// Returns how many it fired (timers left behind for the watermark are not counted).
[[nodiscard]] absl::StatusOr<size_t> FireDueTimers(core::Tx& tx, absl::Time watermark, size_t max);

// Appends events to one deadline's stream, with `causation` (an event id) when given, and
// then records it at risk if it has become so.
[[nodiscard]] absl::Status AppendToDeadline(core::Tx& tx, const std::string& referral_id,
                                            const std::string& org_id,
                                            std::vector<remiss::v1::DeadlineEvent> events,
                                            const std::string& causation = "");

}  // namespace remiss::deadlines
