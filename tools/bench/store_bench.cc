// How many referral commands per second the event store commits, synced, with group commit:
// each command runs the referrals projector and writes its event, stream index, projection
// and command record in one WriteBatch. Run: build/tools/remiss-bench-store
// (--benchmark_filter=..., --benchmark_min_time=...). Figures, not assertions.
//
// The overhead of tracing, in the same run: with --otlp-endpoint HOST:PORT (an OTLP/gRPC
// receiver, e.g. tools/observability.sh's Jaeger) the benchmark runs untraced (traced:0) and
// then traced (traced:1): each command in a server span of its own, as an RPC would be, its
// traceparent in the command's meta, a span per group commit, all exported. Without the flag
// only traced:0 runs.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/telemetry/tracing.h"
#include "remiss/referrals/projector.h"

#include "org_events.h"

namespace {

using remiss::core::EventStore;

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() / absl::StrCat("remiss-bench-", ::getpid());
    std::filesystem::remove_all(dir);
    store = *EventStore::Open(
        {.path = dir.string(), .source = "referrals", .clock = &clock, .projector = &projector});
  }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  remiss::core::SystemClock clock;
  remiss::referrals::ReferralsProjector projector;
  std::unique_ptr<EventStore> store;
};

Fixture* fixture = nullptr;
std::atomic<uint64_t> serial{0};
std::string otlp_endpoint;

void BM_RegisterOrganization(benchmark::State& state) {
  namespace tracing = remiss::core::tracing;
  const bool traced = state.range(0) == 1;
  if (traced && otlp_endpoint.empty()) {
    state.SkipWithError("traced:1 needs --otlp-endpoint HOST:PORT");
    return;
  }
  if (state.thread_index() == 0) {
    // Untraced runs come first; the exporter starts with the first traced one.
    if (traced && !tracing::Enabled()) {
      if (!tracing::Start({.endpoint = otlp_endpoint}).ok()) state.SkipWithError("tracing::Start failed");
    }
    fixture = new Fixture();
  }
  for (auto _ : state) {
    std::string id = absl::StrCat("org-", serial++);
    tracing::Span span;
    remiss::core::CommandMeta meta{.command_id = id};
    if (traced) {
      span = tracing::Span("referrals", "bench.RegisterOrganization", tracing::Kind::kServer);
      meta.traceparent = span.traceparent();
    }
    auto r = fixture->store->Execute(meta, [&](remiss::core::Tx& tx) {
      return tx.Append(remiss::referrals::OrganizationStream(id), 0, {Registered(id)});
    });
    if (!r.ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["log_position"] = static_cast<double>(fixture->store->LastPosition());
    if (traced) state.counters["spans_dropped"] = static_cast<double>(tracing::DroppedSpans());
    delete fixture;
    fixture = nullptr;
  }
}
BENCHMARK(BM_RegisterOrganization)
    ->ArgName("traced")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--otlp-endpoint=", 0) == 0) {
      otlp_endpoint = arg.substr(16);
    } else if (arg == "--otlp-endpoint" && i + 1 < argc) {
      otlp_endpoint = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  remiss::core::tracing::Shutdown();
  std::cerr << "spans exported: " << remiss::core::tracing::ExportedSpans()
            << ", dropped: " << remiss::core::tracing::DroppedSpans() << "\n";
  benchmark::Shutdown();
  return 0;
}
