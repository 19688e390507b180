// The core's append in-process against its limit, raw synced RocksDB, in the same run:
//   core  EventStore::Execute of a RegisterOrganization (the referrals projector, the event,
//         its stream index and head, the projection row and the command record in one group
//         commit), from T threads, each waiting for its commit, synced.
//   raw   the same key/value bytes (captured from a core commit) written by T threads as one
//         synced rocksdb::WriteBatch per command into a plain RocksDB (its own write group
//         commit merges concurrent writers).
// Prints one `result` line per run; asserts nothing.
// Run: remiss-bench-append --mode core|raw --threads T [--seconds S]
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/referrals/projector.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

#include "org_events.h"

namespace {

using remiss::core::EventStore;

// What one command writes, as (column family index, key, value), from a core commit.
struct Write {
  int cf;
  std::string key, value;
};

std::string Pad(uint64_t n) {
  std::string s = absl::StrCat(n);
  return std::string(12 - std::min<size_t>(12, s.size()), '0') + s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "core";
  int threads = 1;
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mode" && i + 1 < argc) mode = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s --mode core|raw --threads T [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("remiss-bench-append-", ::getpid());
  std::filesystem::remove_all(dir);
  remiss::core::SystemClock clock;
  remiss::referrals::ReferralsProjector projector;
  std::atomic<uint64_t> serial{0};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<bool> measuring{false};
  size_t bytes_per_command = 0;

  std::unique_ptr<EventStore> store;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::vector<Write> shape;  // one command's writes, keys to be made unique per command
  if (mode == "core") {
    store = *EventStore::Open({.path = (dir / "core").string(), .source = "referrals", .clock = &clock,
                               .projector = &projector});
  } else if (mode == "raw") {
    // One command's bytes, as the core writes them (from an unsynced throwaway store).
    {
      auto probe = *EventStore::Open({.path = (dir / "probe").string(), .source = "referrals",
                                      .clock = &clock, .projector = &projector, .sync = false});
      const std::string id = "org-000000000001";
      (void)probe->Execute({.command_id = id}, [&](remiss::core::Tx& tx) {
        return tx.Append(remiss::referrals::OrganizationStream(id), 0, {Registered(id)});
      });
    }
    rocksdb::DB* probe_db = nullptr;
    std::vector<std::string> names;
    rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), (dir / "probe").string(), &names);
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> probe_handles;
    if (!rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), (dir / "probe").string(), cfs,
                                      &probe_handles, &probe_db).ok()) {
      std::fprintf(stderr, "cannot read the probe store\n");
      return 1;
    }
    // Every key/value the command wrote (the WAL is gone into memtables; read them back).
    for (size_t c = 0; c < names.size(); ++c) {
      std::unique_ptr<rocksdb::Iterator> it(probe_db->NewIterator(rocksdb::ReadOptions(), probe_handles[c]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (names[c] == "meta" && it->key().ToString() == "m/incarnation") continue;
        shape.push_back({static_cast<int>(c), it->key().ToString(), it->value().ToString()});
      }
    }
    for (auto* h : probe_handles) probe_db->DestroyColumnFamilyHandle(h);
    delete probe_db;
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    cfs.clear();
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    if (!rocksdb::DB::Open(options, (dir / "raw").string(), cfs, &handles, &db).ok()) {
      std::fprintf(stderr, "cannot open the raw store\n");
      return 1;
    }
    for (const Write& p : shape) bytes_per_command += p.key.size() + p.value.size();
  } else {
    std::fprintf(stderr, "--mode: core or raw\n");
    return 2;
  }

  auto work = [&] {
    while (!stop) {
      const uint64_t n = ++serial;
      bool ok = false;
      if (store) {
        const std::string id = absl::StrCat("org-", Pad(n));
        auto r = store->Execute({.command_id = id}, [&](remiss::core::Tx& tx) {
          return tx.Append(remiss::referrals::OrganizationStream(id), 0, {Registered(id)});
        });
        ok = r.ok();
      } else {
        // The same bytes; the number in each key replaced by this command's, so keys differ.
        const std::string mine = Pad(n);
        rocksdb::WriteBatch batch;
        for (const Write& p : shape) {
          std::string key = p.key;
          if (const size_t at = key.find("000000000001"); at != std::string::npos) {
            key.replace(at, 12, mine);
          } else if (key.size() == 8) {  // a position
            for (int b = 0; b < 8; ++b) key[b] = static_cast<char>((n >> (56 - 8 * b)) & 0xff);
          }
          batch.Put(handles[p.cf], key, p.value);
        }
        rocksdb::WriteOptions wo;
        wo.sync = true;
        ok = db->Write(wo, &batch).ok();
      }
      if (!measuring) continue;
      if (ok) {
        ++done;
      } else {
        ++failed;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  absl::SleepFor(absl::Milliseconds(500));  // warm up
  measuring = true;
  const absl::Time t0 = absl::Now();
  absl::SleepFor(absl::Seconds(seconds));
  measuring = false;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - t0);
  const uint64_t commits = done;
  stop = true;
  for (auto& t : pool) t.join();
  std::printf("result mode=%s threads=%d commands=%llu per_s=%.0f failed=%llu bytes_per_command=%zu\n",
              mode.c_str(), threads, static_cast<unsigned long long>(commits), commits / elapsed,
              static_cast<unsigned long long>(failed.load()), bytes_per_command);
  store.reset();
  if (db != nullptr) {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    delete db;
  }
  std::filesystem::remove_all(dir);
  return 0;
}
