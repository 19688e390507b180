// How the followup service takes in the other services' events: each one it needs is
// recorded as its own FactObserved (stream "observed/<source>/<key>"): the fact alone, with
// its source position, stream version and recorded_at, not the source's whole envelope, in
// the same transaction as the feed's cursor, so that its own log alone rebuilds every view.
#pragma once

#include "absl/status/status.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"

namespace remiss::followup {

// A FeedConsumer::Apply for the referrals, responses and deadlines sources.
[[nodiscard]] absl::Status Observe(const core::FeedEvent& event, core::Tx& tx);

}  // namespace remiss::followup
