// The deadlines service's state as Prometheus metrics (core/metrics.h), per organization:
// remiss_deadlines{org, state="open"|"at_risk"|"breached"} (breached: overdue with no answer
// now), remiss_deadline_breaches_total{org} and remiss_reminders_total{org} (published so
// far). Derived from the projections, so a rebuild or a restart gives the same figures.
#pragma once

#include "remiss/core/store/event_store.h"

namespace remiss::deadlines {

// Counts per organization of what the projections hold (pure over the rows).
struct OrgDeadlineCounts {
  int open = 0;
  int at_risk = 0;
  int breached = 0;          // breached and still unanswered
  int breaches_ever = 0;     // breached at some point (also answered late since)
  int reminders_sent = 0;
};

void ExportDeadlineMetrics(const core::EventStore& store);

}  // namespace remiss::deadlines
