// How the notices service takes in the other services' events: each one it needs is recorded
// as its own FactObserved (stream "observed/<source>/<key>"), and the notices it yields
// (domain NoticesFor) as NoticeQueued (stream "notice/<notice_id>"), in the same transaction
// as the feed's cursor, so that its own log alone rebuilds it and every notice is queued once.
// A notice whose round or recipient has not arrived from referrals yet (another feed is
// behind) fails the batch as UNAVAILABLE: the feed delivers it again after a backoff.
#pragma once

#include "absl/status/status.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/store/event_store.h"
#include "remiss/notices/domain.h"

namespace remiss::notices {

// A FeedConsumer::Apply for the referrals, responses and deadlines sources.
[[nodiscard]] absl::Status Observe(const NoticeSettings& settings, const core::FeedEvent& event, core::Tx& tx);

}  // namespace remiss::notices
