// The simulation's disk on its own, under a real RocksDB: what a failed sync, a crash and a
// power cut do to what a store wrote. The simulation's findings are only as true as this.
#include "tests/simulation/sim_disk.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "tests/support/temp_dir.h"

namespace remiss::sim {
namespace {

using remiss::testing::TempDir;

std::unique_ptr<rocksdb::DB> Open(SimDisk& disk, const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = disk.env();
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &db);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::unique_ptr<rocksdb::DB>(db);
}

rocksdb::Status Put(rocksdb::DB& db, const std::string& key, bool sync) {
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return db.Put(wo, key, "value of " + key);
}

bool Has(rocksdb::DB& db, const std::string& key) {
  std::string value;
  return db.Get(rocksdb::ReadOptions(), key, &value).ok();
}

std::string Key(int i) { return absl::StrCat("k", 100 + i); }

TEST(SimDisk, AFailedSyncFailsTheWriteThatAskedForItAndOnlyThatMany) {
  TempDir dir;
  SimDisk disk;
  auto db = Open(disk, dir.path() + "/db");
  ASSERT_TRUE(Put(*db, Key(0), true).ok());
  disk.FailSyncs(1);
  EXPECT_TRUE(Put(*db, Key(1), /*sync=*/false).ok()) << "a write that syncs nothing fails nothing";
  rocksdb::Status failed = Put(*db, Key(2), /*sync=*/true);
  EXPECT_TRUE(failed.IsIOError()) << failed.ToString();
  // RocksDB stops writing after a failed log sync (it cannot know what reached the disk);
  // a store opened again on the healed disk writes and syncs.
  db.reset();
  disk.Heal();
  db = Open(disk, dir.path() + "/db");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(Has(*db, Key(0)));
  EXPECT_TRUE(Put(*db, Key(3), true).ok());
}

TEST(SimDisk, ACrashLosesEveryWriteAfterTheLastSyncAndKeepsTheSyncedOnes) {
  TempDir dir;
  SimDisk disk;
  auto db = Open(disk, dir.path() + "/db");
  ASSERT_TRUE(Put(*db, Key(0), true).ok());
  ASSERT_TRUE(Put(*db, Key(1), true).ok());
  for (int i = 2; i < 10; ++i) ASSERT_TRUE(Put(*db, Key(i), false).ok());
  disk.Die();
  EXPECT_FALSE(Put(*db, Key(10), true).ok()) << "a dead disk took a synced write";
  db.reset();
  disk.LoseUnsynced(/*random=*/7, /*keep_part=*/false);
  db = Open(disk, dir.path() + "/db");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(Has(*db, Key(0)));
  EXPECT_TRUE(Has(*db, Key(1)));
  for (int i = 2; i <= 10; ++i) EXPECT_FALSE(Has(*db, Key(i))) << Key(i) << " outlived the crash";
  EXPECT_TRUE(Put(*db, Key(11), true).ok()) << "the disk lives again after LoseUnsynced";
}

// A power cut keeps some of the unsynced tail: always a prefix of what was written, never a
// later write without an earlier one; which prefix comes from the seed.
TEST(SimDisk, ACrashThatKeepsPartKeepsAPrefixChosenByTheSeed) {
  std::set<int> kept_counts;
  for (uint64_t random = 1; random <= 12; ++random) {
    TempDir dir;
    SimDisk disk;
    auto db = Open(disk, dir.path() + "/db");
    ASSERT_TRUE(Put(*db, Key(0), true).ok());
    for (int i = 1; i <= 20; ++i) ASSERT_TRUE(Put(*db, Key(i), false).ok());
    disk.Die();
    db.reset();
    disk.LoseUnsynced(random, /*keep_part=*/true);
    db = Open(disk, dir.path() + "/db");
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(Has(*db, Key(0)));
    int kept = 0;
    while (kept < 20 && Has(*db, Key(kept + 1))) ++kept;
    for (int i = kept + 1; i <= 20; ++i) {
      EXPECT_FALSE(Has(*db, Key(i))) << "random " << random << ": " << Key(i) << " kept without "
                                     << Key(kept + 1);
    }
    kept_counts.insert(kept);
  }
  EXPECT_GT(kept_counts.size(), 1u) << "every seed kept the same part: the cut is not drawn";
}

// The crash comes right after the n-th append to a log, before its sync: n - 1 synced writes
// are acknowledged and kept, the n-th fails and is lost, and nothing after it reaches the disk.
TEST(SimDisk, DieAfterWritesCrashesRightAfterTheNthLogAppend) {
  TempDir dir;
  SimDisk disk;
  auto db = Open(disk, dir.path() + "/db");
  disk.DieAfterWrites(3);
  int acknowledged = 0;
  for (int i = 0; i < 10; ++i) {
    if (Put(*db, Key(i), true).ok()) ++acknowledged;
  }
  EXPECT_EQ(acknowledged, 2);
  db.reset();
  disk.LoseUnsynced(1, false);
  db = Open(disk, dir.path() + "/db");
  ASSERT_NE(db, nullptr);
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(Has(*db, Key(i))) << Key(i);
  for (int i = 2; i < 10; ++i) EXPECT_FALSE(Has(*db, Key(i))) << Key(i);
}

}  // namespace
}  // namespace remiss::sim
