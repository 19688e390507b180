// How the responses service follows the referrals service: each referrals event that
// changes a round's terms is recorded as this service's own RoundTermsRecorded, in the
// same transaction as the feed's new cursor (consume, decide, append: one atomic step).
#pragma once

#include "absl/status/status.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"

namespace remiss::responses {

// A FeedConsumer::Apply for the referrals source.
[[nodiscard]] absl::Status FollowReferrals(const core::FeedEvent& event, core::Tx& tx);

}  // namespace remiss::responses
