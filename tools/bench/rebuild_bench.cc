// How fast a service's projections are rebuilt from its own log, and in how much memory,
// against the limit of reading and parsing the same log with a plain RocksDB scan in the
// same run. Builds a log of N referrals events (default 1,000,000: 10,000 organizations
// registered, the rest updates of them), then times EventStore::RebuildProjections (the
// background rebuild into shadow projections) and a plain scan+parse, and samples the
// process's resident memory while each runs. Prints figures; asserts nothing. "CPU s" is the
// CPU time the whole process used meanwhile (all its threads): on a busy machine it says what
// the work cost when wall time says mostly how busy the machine was.
// Run: build/tools/remiss-bench-rebuild [events] [dir] [organizations]
// With `dir` (or "-" for none), the log is kept there: built when the directory holds no
// store, reused (and the build skipped) when it does, so that runs compare on the same log.
// `organizations` (default 10,000): how many the events are spread over; as many as events
// makes every event a new row (a rebuild that cannot keep its rows in memory).
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/referrals/projector.h"
#include "rocksdb/db.h"
#include "org_events.h"

namespace {

using remiss::core::EventStore;

long RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

// CPU seconds (user + system) the process has used so far, all threads.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

// Samples RSS every 10 ms while alive; Peak() is the highest seen.
class RssSampler {
 public:
  RssSampler() : thread_([this] {
      while (!stop_) {
        peak_ = std::max(peak_.load(), RssKiB());
        absl::SleepFor(absl::Milliseconds(10));
      }
    }) {}
  ~RssSampler() { Stop(); }
  long Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> peak_{0};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  const uint64_t events = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const bool keep = argc > 2 && std::string(argv[2]) != "-";
  const uint64_t orgs = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 10'000;
  const std::filesystem::path dir =
      keep ? std::filesystem::path(argv[2])
           : std::filesystem::temp_directory_path() / absl::StrCat("remiss-bench-rebuild-", ::getpid());
  if (!keep) std::filesystem::remove_all(dir);
  const bool reuse = keep && std::filesystem::exists(dir / "CURRENT");
  remiss::core::SystemClock clock;
  remiss::referrals::ReferralsProjector projector;
  if (reuse) {
    std::printf("log: reusing the store in %s\n", dir.c_str());
  } else {
    auto store = *EventStore::Open({.path = dir.string(), .source = "referrals", .clock = &clock,
                                    .projector = &projector, .sync = false});
    const absl::Time t0 = absl::Now();
    constexpr uint64_t kPerTx = 1000;
    for (uint64_t i = 0; i < events; i += kPerTx) {
      auto r = store->Execute({}, [&](remiss::core::Tx& tx) -> absl::Status {
        for (uint64_t k = i; k < std::min(events, i + kPerTx); ++k) {
          auto e = OrgEvent(k, orgs);
          const std::string stream = remiss::referrals::OrganizationStream(e.partition_key());
          if (absl::Status s = tx.Append(stream, std::nullopt, {std::move(e)}); !s.ok()) return s;
        }
        return absl::OkStatus();
      });
      if (!r.ok()) {
        std::fprintf(stderr, "building the log: %s\n", r.status().ToString().c_str());
        return 1;
      }
    }
    std::printf("log: %llu events built in %.1f s\n", static_cast<unsigned long long>(events),
                absl::ToDoubleSeconds(absl::Now() - t0));
  }

  // A plain scan of the events column family, parsing each envelope: the limit.
  double scan_rate = 0;
  long scan_peak = 0;
  {
    rocksdb::DB* db = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    std::vector<std::string> names;
    rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &names);
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir.string(), cfs, &handles, &db).ok()) {
      std::fprintf(stderr, "cannot open the store read-only\n");
      return 1;
    }
    rocksdb::ColumnFamilyHandle* events_cf = nullptr;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "events") events_cf = handles[i];
    }
    RssSampler rss;
    const double cpu0 = CpuSeconds();
    const absl::Time t0 = absl::Now();
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, events_cf));
    uint64_t n = 0;
    remiss::v1::EventEnvelope e;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (e.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) ++n;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    const double cpu = CpuSeconds() - cpu0;
    scan_peak = rss.Stop();
    scan_rate = n / seconds;
    it.reset();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
    std::printf("plain scan+parse: %llu events in %.2f s = %.0f events/s, %.2f CPU s, peak RSS %.0f MB\n",
                static_cast<unsigned long long>(n), seconds, scan_rate, cpu, scan_peak / 1024.0);
  }

  // The rebuild, as an operator starts it.
  {
    auto store = *EventStore::Open({.path = dir.string(), .source = "referrals", .clock = &clock,
                                    .projector = &projector, .sync = false});
    const remiss::core::Digest live = store->ProjectionDigest();
    const long rss_before = RssKiB();
    RssSampler rss;
    const double cpu0 = CpuSeconds();
    const absl::Time t0 = absl::Now();
    auto rebuilt = store->RebuildProjections();
    const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    const double cpu = CpuSeconds() - cpu0;
    const long peak = rss.Stop();
    if (!rebuilt.ok()) {
      std::fprintf(stderr, "rebuild: %s\n", rebuilt.status().ToString().c_str());
      return 1;
    }
    const uint64_t folded = store->Rebuild().position;  // the log's length, also when reused
    const double rate = folded / seconds;
    std::printf("rebuild: %llu events in %.2f s = %.0f events/s, %.2f CPU s; %.2fx the plain scan; "
                "RSS %.0f MB before, peak %.0f MB during; digest %s the live one\n",
                static_cast<unsigned long long>(folded), seconds, rate, cpu, rate / scan_rate,
                rss_before / 1024.0, peak / 1024.0,
                rebuilt->sha256 == live.sha256 ? "equals" : "DIFFERS FROM");
  }
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
