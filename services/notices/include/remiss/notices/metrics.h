// The notices service's state as Prometheus metrics (core/metrics.h):
// remiss_notices{state="queued"|"deferred"|"delivered"|"parked"|"skipped"} (notices now in
// each state), remiss_notices_oldest_pending_seconds (how long the oldest notice not yet
// delivered has waited since it was queued; 0 when none waits), and the counters
// remiss_notices_delivered_total and remiss_notice_deferrals_total. Derived from the
// projections, so a rebuild or a restart gives the same figures.
#pragma once

#include "remiss/core/store/event_store.h"

namespace remiss::notices {

void ExportNoticeMetrics(const core::EventStore& store);

}  // namespace remiss::notices
