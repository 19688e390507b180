// The process's Prometheus metrics (prometheus-cpp), served at --metrics-listen on /metrics.
// One registry per process (remissd hosts four services in one); labels are bounded: service
// and store names, RPC method names, status codes, source/partition, organization ids (a
// city's few hundred bodies) — never round ids or persons. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace remiss::core::metrics {

prometheus::Registry& Registry();

// Serves Registry() on http://<listen>/metrics until the returned object is destroyed.
// INVALID_ARGUMENT naming --metrics-listen when it cannot bind.
[[nodiscard]] absl::StatusOr<std::shared_ptr<prometheus::Exposer>> Serve(const std::string& listen);

// "http://HOST:PORT/metrics" with the port actually bound (listen may say port 0).
[[nodiscard]] std::string Url(const prometheus::Exposer& exposer, const std::string& listen);

// ---- events as they happen ----
// A gRPC call ended: remiss_rpc_total{method, code}, remiss_rpc_seconds{method}.
void RpcFinished(absl::string_view method, absl::string_view code, absl::Duration latency);
// A call refused before any handler (remiss_refused_calls_total{code}).
void CallRefused(absl::string_view code);
// A store committed a group: remiss_group_commit_transactions{store} (how many transactions
// went into one synced write) and remiss_commit_write_seconds{store} (the write with fsync).
void GroupCommitted(absl::string_view store, size_t transactions, absl::Duration write);

// ---- state, set by whoever watches it (the host's watchdog, a module) ----
void SetGauge(absl::string_view name, absl::string_view help,
              const std::map<std::string, std::string>& labels, double value);
// Moves a counter up to `total` (a count derived from state, e.g. breaches in projections).
void RaiseCounterTo(absl::string_view name, absl::string_view help,
                    const std::map<std::string, std::string>& labels, double total);

}  // namespace remiss::core::metrics
