// ServiceHost's watchdog (Watch): the hosted modules' health, NOT_SERVING while a feed has
// stopped or parked an event, the store is poisoned or the relay cannot publish, and their
// state exported as metrics every couple of seconds (ExportMetrics).
#include "remiss/core/server/service_host.h"

#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/telemetry/metrics.h"

namespace remiss::core {

// A module is NOT_SERVING while one of its feeds has stopped or parked an event, or its relay
// cannot publish; SERVING again once that is repaired (a stopped feed stays stopped).
void ServiceHost::Watch() {
  auto* health = server_->GetHealthCheckService();
  std::vector<std::string> reported(modules_.size());
  absl::Time exported = absl::InfinitePast();
  do {
    if (absl::Now() - exported >= absl::Seconds(2)) {
      ExportMetrics();
      exported = absl::Now();
    }
    bool all_ok = true;
    for (size_t i = 0; i < modules_.size(); ++i) {
      std::string problem;
      if (absl::Status p = modules_[i].store->Poisoned(); !p.ok()) {
        problem = absl::StrCat("its store is poisoned (", p.message(),
                               "): it refuses commands until the service is restarted");
      }
      for (const Feed* feed : modules_[i].feeds) {
        if (absl::Status s = feed->status(); !s.ok()) problem = absl::StrCat("a feed stopped: ", s.ToString());
        for (const ParkedEvent& p : feed->Parked()) {
          if (!problem.empty()) absl::StrAppend(&problem, "; ");
          absl::StrAppend(&problem, "feed ", p.source, " partition ", p.partition,
                          " parked at position ", p.position, " (offset ", p.offset, "): ",
                          p.reason);
        }
      }
      if (problem.empty() && modules_[i].relay != nullptr) {
        if (absl::Status s = modules_[i].relay->Health(); !s.ok()) problem = std::string(s.message());
      }
      if (!problem.empty()) all_ok = false;
      if (problem == reported[i]) continue;
      if (problem.empty()) {
        LogMessage(modules_[i].name, "serving", "recovered; SERVING again");
      } else {
        LogMessage(modules_[i].name, "not_serving", absl::StrCat(problem, "; marked NOT_SERVING"));
      }
      health->SetServingStatus(modules_[i].grpc_service, problem.empty());
      reported[i] = problem;
    }
    health->SetServingStatus(all_ok);
    if (probes_ != nullptr && !stopping_) {
      probes_->SetReady(all_ok);
      probes_->Beat();
    }
  } while (watching_.SleepFor(absl::Milliseconds(200)));
}

void ServiceHost::ExportMetrics() {
  using metrics::SetGauge;
  for (const HostedModule& m : modules_) {
    const std::map<std::string, std::string> store = {{"store", m.name}};
    const uint64_t head = m.store->LastPosition();
    SetGauge("remiss_log_position", "The last position of the store's event log", store,
             static_cast<double>(head));
    SetGauge("remiss_store_poisoned",
             "1 while the store is poisoned (a failed fsync or a RocksDB background error): it "
             "refuses commands until the service is restarted",
             store, m.store->Poisoned().ok() ? 0.0 : 1.0);
    if (m.relay != nullptr) {
      const uint64_t cursor = m.relay->Cursor();
      SetGauge("remiss_relay_cursor", "The highest position Kafka confirmed, contiguously", store,
               static_cast<double>(cursor));
      SetGauge("remiss_relay_lag_events", "Events recorded but not yet confirmed by Kafka", store,
               static_cast<double>(head > cursor ? head - cursor : 0));
      double lag_seconds = 0;
      if (head > cursor) {
        auto oldest = m.store->ReadLog(cursor + 1, 1);
        if (oldest.ok() && !oldest->empty()) {
          const auto& at = oldest->front().recorded_at();
          lag_seconds = std::max(0.0, absl::ToDoubleSeconds(
              m.store->clock().Now() - (absl::FromUnixSeconds(at.seconds()) + absl::Nanoseconds(at.nanos()))));
        }
      }
      SetGauge("remiss_relay_lag_seconds", "Age of the oldest event not yet confirmed by Kafka",
               store, lag_seconds);
      SetGauge("remiss_relay_stalled", "1 while the relay cannot publish (relay_error)", store,
               m.relay->Health().ok() ? 0 : 1);
    }
    for (const auto& [source, partition, cursor] : m.store->FeedCursors()) {
      const std::map<std::string, std::string> where = {
          {"store", m.name}, {"source", source}, {"partition", absl::StrCat(partition)}};
      std::optional<int64_t> last;
      bool parked = false, ahead = false;
      for (const Feed* feed : m.feeds) {
        if (auto l = feed->LastOffset(source, partition); l) last = l;
        for (const ParkedEvent& p : feed->Parked()) {
          if (p.source == source && p.partition == partition) {
            parked = true;
            ahead |= p.ahead;
          }
        }
      }
      if (last) {
        SetGauge("remiss_consumer_lag_events",
                 "Events of the source's partition not yet applied by this consumer", where,
                 static_cast<double>(std::max<int64_t>(0, *last - cursor.offset)));
      }
      SetGauge("remiss_feed_parked", "1 while the feed of this source/partition is parked", where,
               parked ? 1 : 0);
      SetGauge("remiss_feed_ahead_of_source",
               "1 while the feed of this source/partition is parked because this consumer's "
               "cursor is past what the source holds (a source restored to an earlier point)",
               where, ahead ? 1 : 0);
    }
    const RebuildProgress rebuild = m.store->Rebuild();
    SetGauge("remiss_rebuild_running", "1 while the projections are being rebuilt", store,
             rebuild.running ? 1 : 0);
    SetGauge("remiss_rebuild_progress_ratio", "How far a running rebuild is (0..1)", store,
             rebuild.running && rebuild.target > 0
                 ? static_cast<double>(rebuild.position) / static_cast<double>(rebuild.target)
                 : (rebuild.running ? 0 : 1));
    if (m.export_metrics) m.export_metrics();
  }
}

}  // namespace remiss::core
