// How many referral commands per second the event store commits, synced, with group commit:
// each command runs the referrals projector and writes its event, stream index, projection
// and command record in one WriteBatch. Run: build/tools/remiss-bench-store
// (--benchmark_filter=..., --benchmark_min_time=...). Figures, not assertions.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "remiss/core/event_store.h"
#include "remiss/referrals/projector.h"

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

void BM_RegisterOrganization(benchmark::State& state) {
  if (state.thread_index() == 0) fixture = new Fixture();
  for (auto _ : state) {
    std::string id = absl::StrCat("org-", serial++);
    auto r = fixture->store->Execute({.command_id = id}, [&](remiss::core::Tx& tx) {
      remiss::v1::EventEnvelope e;
      e.set_partition_key(id);
      auto* reg = e.mutable_referrals()->mutable_organization_registered();
      reg->set_org_id(id);
      reg->set_name("Bromma stadsdelsnämnd");
      reg->set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
      return tx.Append(remiss::referrals::OrganizationStream(id), 0, {std::move(e)});
    });
    if (!r.ok()) state.SkipWithError("append failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["log_position"] = static_cast<double>(fixture->store->LastPosition());
    delete fixture;
    fixture = nullptr;
  }
}
BENCHMARK(BM_RegisterOrganization)->Threads(1)->Threads(8)->Threads(64)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
