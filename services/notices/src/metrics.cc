#include "remiss/notices/metrics.h"

#include <algorithm>
#include <map>

#include "remiss/core/base/timestamps.h"
#include "remiss/core/telemetry/metrics.h"
#include "remiss/v1/notices.pb.h"

namespace remiss::notices {

void ExportNoticeMetrics(const core::EventStore& store) {
  std::map<std::string, int> by_state = {{"queued", 0}, {"deferred", 0}, {"delivered", 0}, {"parked", 0}, {"skipped", 0}};
  double deferrals = 0;
  absl::Time oldest = absl::InfiniteFuture();
  remiss::v1::Notice n;
  store.ScanProjections("notice/", "", [&](absl::string_view, absl::string_view value) {
    if (!n.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
    deferrals += n.deferrals();
    switch (n.state()) {
      case remiss::v1::NOTICE_STATE_QUEUED: ++by_state["queued"]; break;
      case remiss::v1::NOTICE_STATE_DEFERRED: ++by_state["deferred"]; break;
      case remiss::v1::NOTICE_STATE_DELIVERED: ++by_state["delivered"]; break;
      case remiss::v1::NOTICE_STATE_PARKED: ++by_state["parked"]; break;
      case remiss::v1::NOTICE_STATE_SKIPPED: ++by_state["skipped"]; break;
      default: break;
    }
    const bool pending = n.state() == remiss::v1::NOTICE_STATE_QUEUED ||
                         n.state() == remiss::v1::NOTICE_STATE_DEFERRED || n.state() == remiss::v1::NOTICE_STATE_PARKED;
    if (pending) oldest = std::min(oldest, core::FromTimestamp(n.queued_at()));
    return true;
  });
  for (const auto& [state, count] : by_state) {
    core::metrics::SetGauge("remiss_notices", "Notices to the boards' registry mailboxes, by state", {{"state", state}},
                            count);
  }
  const double waited = oldest == absl::InfiniteFuture()
                            ? 0
                            : std::max(0.0, absl::ToDoubleSeconds(store.clock().Now() - oldest));
  core::metrics::SetGauge("remiss_notices_oldest_pending_seconds",
                          "How long the oldest notice not delivered (queued, deferred or parked) has waited", {},
                          waited);
  core::metrics::RaiseCounterTo("remiss_notices_delivered_total", "Notices the SMTP server accepted (250)", {},
                                by_state["delivered"]);
  core::metrics::RaiseCounterTo("remiss_notice_deferrals_total", "Temporary SMTP failures (4xx or no answer)", {},
                                deferrals);
}

}  // namespace remiss::notices
