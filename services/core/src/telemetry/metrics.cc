#include "remiss/core/telemetry/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace remiss::core::metrics {
namespace {

const std::shared_ptr<prometheus::Registry>& SharedRegistry() {
  static auto* registry = new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *registry;
}

}  // namespace

prometheus::Registry& Registry() { return *SharedRegistry(); }

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* b = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *b;
}

struct Families {
  prometheus::Family<prometheus::Counter>& rpcs;
  prometheus::Family<prometheus::Histogram>& rpc_seconds;
  prometheus::Family<prometheus::Counter>& refused;
  prometheus::Family<prometheus::Histogram>& group_size;
  prometheus::Family<prometheus::Histogram>& write_seconds;
};

Families& Fixed() {
  static Families* f = [] {
    prometheus::Registry& r = Registry();
    return new Families{
        BuildCounter().Name("remiss_rpc_total").Help("gRPC calls ended, by method and status code").Register(r),
        BuildHistogram().Name("remiss_rpc_seconds").Help("gRPC call latency, by method").Register(r),
        BuildCounter()
            .Name("remiss_refused_calls_total")
            .Help("Calls refused before any handler (no usable identity, or the policy), by code")
            .Register(r),
        BuildHistogram()
            .Name("remiss_group_commit_transactions")
            .Help("Transactions committed together in one synced write, by store")
            .Register(r),
        BuildHistogram()
            .Name("remiss_commit_write_seconds")
            .Help("Time of one group's synced write (fsync included), by store")
            .Register(r)};
  }();
  return *f;
}

// Gauges and derived counters by name, made on first use.
absl::Mutex dynamic_mu;

template <typename Metric, typename Builder>
prometheus::Family<Metric>& FamilyNamed(Builder (*build)(), absl::string_view name,
                                        absl::string_view help) {
  static auto* families = new std::map<std::string, prometheus::Family<Metric>*>();
  absl::MutexLock lock(&dynamic_mu);
  auto& slot = (*families)[std::string(name)];
  if (slot == nullptr) {
    slot = &build().Name(std::string(name)).Help(std::string(help)).Register(Registry());
  }
  return *slot;
}

}  // namespace


namespace {
constexpr int kMetricsThreads = 8;
}  // namespace

absl::StatusOr<std::shared_ptr<prometheus::Exposer>> Serve(const std::string& listen) {
  try {
    // Several threads, and a deadline on every request: one slow or stalled client (a
    // connection that never finishes its request) does not blind the scraper.
    auto exposer = std::make_shared<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", listen, "num_threads", std::to_string(kMetricsThreads),
        "request_timeout_ms", "5000", "keep_alive_timeout_ms", "5000"});
    exposer->RegisterCollectable(SharedRegistry());
    return exposer;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen: cannot serve metrics on ", listen, " (", e.what(), ")"));
  }
}

std::string Url(const prometheus::Exposer& exposer, const std::string& listen) {
  const std::vector<int> ports = exposer.GetListeningPorts();
  const std::string host = listen.substr(0, listen.rfind(':'));
  return absl::StrCat("http://", host, ":", ports.empty() ? 0 : ports.front(), "/metrics");
}

void RpcFinished(absl::string_view method, absl::string_view code, absl::Duration latency) {
  Families& f = Fixed();
  const std::string m(method);
  f.rpcs.Add({{"method", m}, {"code", std::string(code)}}).Increment();
  f.rpc_seconds.Add({{"method", m}}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(latency));
}

void CallRefused(absl::string_view code) {
  Fixed().refused.Add({{"code", std::string(code)}}).Increment();
}

void GroupCommitted(absl::string_view store, size_t transactions, absl::Duration write) {
  static const auto* sizes = new prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256};
  Families& f = Fixed();
  const std::string s(store);
  f.group_size.Add({{"store", s}}, *sizes).Observe(static_cast<double>(transactions));
  f.write_seconds.Add({{"store", s}}, LatencyBuckets()).Observe(absl::ToDoubleSeconds(write));
}

void SetGauge(absl::string_view name, absl::string_view help,
              const std::map<std::string, std::string>& labels, double value) {
  FamilyNamed<prometheus::Gauge>(&BuildGauge, name, help).Add(labels).Set(value);
}

void RaiseCounterTo(absl::string_view name, absl::string_view help,
                    const std::map<std::string, std::string>& labels, double total) {
  prometheus::Counter& c = FamilyNamed<prometheus::Counter>(&BuildCounter, name, help).Add(labels);
  if (total > c.Value()) c.Increment(total - c.Value());
}

}  // namespace remiss::core::metrics
