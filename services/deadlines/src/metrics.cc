#include "remiss/deadlines/metrics.h"

#include <map>
#include <string>

#include "remiss/core/telemetry/metrics.h"
#include "remiss/v1/deadlines.pb.h"

namespace remiss::deadlines {

void ExportDeadlineMetrics(const core::EventStore& store) {
  using remiss::v1::Deadline;
  std::map<std::string, OrgDeadlineCounts> by_org;
  Deadline d;
  store.ScanProjections("dl/", "", [&](absl::string_view, absl::string_view value) {
    if (!d.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
    OrgDeadlineCounts& c = by_org[d.org_id()];
    const bool open = d.scheduled() && d.outcome() == remiss::v1::DEADLINE_OUTCOME_OPEN;
    if (open) ++c.open;
    if (open && !d.decided() && !d.at_risk_for().empty() && d.at_risk_for() == d.effective_date()) {
      ++c.at_risk;
    }
    if (d.outcome() == remiss::v1::DEADLINE_OUTCOME_BREACHED) ++c.breached;
    if (d.has_breached_at()) ++c.breaches_ever;
    c.reminders_sent += d.reminders_issued_size();
    return true;
  });
  for (const auto& [org, c] : by_org) {
    constexpr char kHelp[] = "Deadlines per organization: open, at risk (the board has not "
                             "decided and no meeting is left before the date), breached (overdue "
                             "and unanswered)";
    core::metrics::SetGauge("remiss_deadlines", kHelp, {{"org", org}, {"state", "open"}}, c.open);
    core::metrics::SetGauge("remiss_deadlines", kHelp, {{"org", org}, {"state", "at_risk"}}, c.at_risk);
    core::metrics::SetGauge("remiss_deadlines", kHelp, {{"org", org}, {"state", "breached"}}, c.breached);
    core::metrics::RaiseCounterTo("remiss_deadline_breaches_total",
                                  "Breaches declared, per organization", {{"org", org}},
                                  c.breaches_ever);
    core::metrics::RaiseCounterTo("remiss_reminders_total", "Reminders published, per organization",
                                  {{"org", org}}, c.reminders_sent);
  }
}

}  // namespace remiss::deadlines
