// Storage refusing writes: the disk under a running service fills up.
//
// remiss-referrals runs with its data directory on a small tmpfs of its own (mounted by the
// test: the tests run as root, where a read-only chmod stops nothing, and a read-only remount
// is refused while RocksDB holds its log open for writing). The test registers organizations
// and drafts rounds, then fills the file system with a filler file until the kernel says
// ENOSPC. RocksDB may still take a few commands into space it reserved beforehand (its write-
// ahead log is preallocated); the test sends rounds with long summaries until the first
// command is refused. What a user depends on:
//   - a command that cannot be stored is refused with UNAVAILABLE, and changes nothing: the
//     round it would have created is not there, the log's head is where it was, and the
//     rounds accepted before are all there (queries keep answering);
//   - once space is back, the same commands (same command_id) are accepted: first without a
//     restart if the service recovers by itself, else after a restart on the same data
//     directory (the figure "accepted again without a restart" says which happened);
//   - afterwards the log is 1..N without a gap, every command answered OK recorded its
//     events exactly once, and the projections equal a rebuild from the log.
// Skipped (with the reason) where tmpfs cannot be mounted (not root, no CAP_SYS_ADMIN).
//
// The same at the EventStore level, with RocksDB's file system wrapped so that appends to the
// write-ahead log fail with "no space" while the test says the disk is full (and nothing
// else fails: RocksDB's own info LOG keeps working): what the store promises its callers
// whatever the binary around it does.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "tests/faults/fault_support.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wal_files.h"

namespace remiss::faults {
namespace {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout

constexpr char kStart[] = "2021-02-01T09:00:00+01:00";
constexpr char kTest[] = "disk full";

// A tmpfs mounted for the test, unmounted (lazily, should something still hold it) after.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    const std::string command =
        absl::StrCat("mount -t tmpfs -o size=", size, " remiss-faults ", dir, " 2>&1");
    FILE* out = ::popen(command.c_str(), "r");
    if (out == nullptr) {
      error_ = "popen failed";
      return;
    }
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, out) != nullptr) error_ += buffer;
    const int rc = ::pclose(out);
    if (rc == 0) {
      mounted_ = true;
      error_.clear();
    } else {
      error_ = absl::StrCat(command, ": exit ", rc, ": ", error_);
    }
  }
  ~TmpfsMount() {
    if (mounted_) (void)std::system(absl::StrCat("umount -l ", dir_, " 2>/dev/null").c_str());
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `path` until the file system has no more room; returns the bytes written.
int64_t FillUp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return -1;
  int64_t written = 0;
  std::vector<char> block(1 << 20, 'x');
  for (size_t size : {size_t{1} << 20, size_t{4096}, size_t{1}}) {
    for (;;) {
      ssize_t n = ::write(fd, block.data(), size);
      if (n <= 0) break;
      written += n;
    }
  }
  ::fsync(fd);
  ::close(fd);
  return written;
}

uint64_t FreeBytes(const std::string& dir) {
  struct statvfs s {};
  if (::statvfs(dir.c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

Send Register(const std::string& command_id, const std::string& org_id) {
  RegisterOrganizationRequest r;
  r.set_command_id(command_id);
  r.set_org_id(org_id);
  r.set_name(org_id == "ks" ? "Kommunstyrelsen" : absl::StrCat("Nämnd ", org_id));
  r.set_kind(org_id == "ks" ? ORGANIZATION_KIND_KOMMUNSTYRELSE : ORGANIZATION_KIND_FACKNAMND);
  r.set_may_send_rounds(org_id == "ks");
  r.set_diary_prefix("KS");
  return [r](grpc::Channel& channel, CommandResult* result) {
    ReferralService::Stub stub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
    auto ctx = Context();
    return stub.RegisterOrganization(ctx.get(), r, result);
  };
}

std::string CaseNumber(int n) { return absl::StrCat("KS 2021/", n); }
std::string RoundId(int n) { return absl::StrCat("ks-2021-", n); }

Send Create(int n) {
  CreateReferralRequest r;
  r.set_command_id(absl::StrCat("create-", n));
  r.set_case_number(CaseNumber(n));
  r.set_title(absl::StrCat("Remiss ", n));
  // A long summary, so that the disk's reserve runs out after a few hundred rounds.
  std::string summary;
  while (summary.size() < 19000) absl::StrAppend(&summary, "Remissen gäller stadens program ", n, ". ");
  r.set_summary(summary);
  r.set_sender_org_id("ks");
  return [r](grpc::Channel& channel, CommandResult* result) {
    ReferralService::Stub stub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
    auto ctx = Context();
    return stub.CreateReferral(ctx.get(), r, result);
  };
}

grpc::Status GetRound(grpc::Channel& channel, int n, Referral* out) {
  ReferralService::Stub stub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
  GetReferralRequest get;
  get.set_referral_id(RoundId(n));
  auto ctx = Context();
  return stub.GetReferral(ctx.get(), get, out);
}

// One try, no retries: the answer as the client sees it.
CommandOutcome Once(const Endpoint& endpoint, const Send& send) {
  return Execute(endpoint, send, nullptr, 1);
}

TEST(StorageRefusesWrites, DiskFull) {
  const absl::Time began = absl::Now();
  remiss::testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string mnt = dir.Sub("disk");
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  const std::string size = absl::StrCat(Size("TMPFS_MB", 48, 48), "m");
  TmpfsMount mount(mnt, size);
  // A test whose tool is missing fails: mounting a tmpfs needs root (as CI runs).
  ASSERT_TRUE(mount.mounted()) << "cannot mount a tmpfs here: " << mount.error();

  const std::string data = mnt + "/data";
  ServerProcess server("referrals", REMISS_REFERRALS,
                       {"--data-dir", data, "--manual-clock", kStart}, dir.path());
  struct DumpLogs {
    ServerProcess& server;
    ~DumpLogs() {
      if (::testing::Test::HasFailure()) std::cerr << server.LogTails();
    }
  } dump{server};
  Endpoint endpoint;
  auto address = server.Start();
  ASSERT_TRUE(address.ok()) << address.status();
  endpoint.Set(*address);

  std::vector<CommandOutcome> accepted;  // every command answered OK, for the positions
  auto ok = [&](const Send& send, const std::string& what) {
    CommandOutcome o = Once(endpoint, send);
    EXPECT_TRUE(o.status.ok()) << what << ": " << Describe(o.status);
    if (o.status.ok()) accepted.push_back(o);
    return o.status.ok();
  };
  ASSERT_TRUE(ok(Register("org-ks", "ks"), "registering KS"));
  const int kBefore = 20;
  for (int n = 1; n <= kBefore; ++n) ASSERT_TRUE(ok(Create(n), absl::StrCat("round ", n)));
  auto positions = PositionsOf(*endpoint.Channel(), "referrals");
  ASSERT_TRUE(positions.ok()) << positions.status();
  Figure(kTest, "tmpfs size", size);
  Figure(kTest, "free before filling (bytes)", static_cast<int64_t>(FreeBytes(mnt)));

  // ---- the disk fills up ----
  const int64_t filled = FillUp(mnt + "/filler");
  ASSERT_GT(filled, 0);
  Figure(kTest, "filler written (bytes)", filled);
  Figure(kTest, "free after filling (bytes)", static_cast<int64_t>(FreeBytes(mnt)));

  // Rounds until the first refusal: what RocksDB had reserved takes a few.
  const int kLimit = static_cast<int>(Size("DISK_FULL_LIMIT", 5000, 5000));
  int n = kBefore + 1;
  CommandOutcome refused;
  int accepted_while_full = 0;
  for (; n <= kBefore + kLimit; ++n) {
    CommandOutcome o = Once(endpoint, Create(n));
    if (!o.status.ok()) {
      refused = o;
      break;
    }
    accepted.push_back(o);
    ++accepted_while_full;
  }
  Figure(kTest, "rounds accepted after the disk was full (into reserved space)",
         accepted_while_full);
  ASSERT_FALSE(refused.status.ok()) << "no command was refused in " << kLimit
                                    << " rounds on a full disk";
  const int first_refused = n;
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "a command the disk cannot hold: " << Describe(refused.status);
  Figure(kTest, "first refusal", Describe(refused.status));
  // The service must refuse, not die: a full disk is an outage of writes, not of the service.
  absl::SleepFor(absl::Milliseconds(200));  // a crash under way shows in Ended()
  const std::string died = server.Ended();
  Figure(kTest, "the service when the disk filled", died.empty() ? "running" : "died: " + died);
  if (!died.empty()) {
    const std::string log = server.Log();
    const size_t at = log.find("Assertion");
    ADD_FAILURE() << "remiss-referrals died (" << died << ") at the first write the full disk "
                  << "refused, instead of answering UNAVAILABLE and serving on; its log says:\n"
                  << (at == std::string::npos ? log : log.substr(log.rfind('\n', at) + 1));
  }

  // More commands while full: refused the same way (or, rarely, taken into what is left).
  std::vector<int> refused_rounds = {first_refused};
  int later_accepted = 0;
  for (int k = 1; k <= 5 && died.empty(); ++k) {
    ++n;
    CommandOutcome o = Once(endpoint, Create(n));
    if (o.status.ok()) {
      accepted.push_back(o);
      ++later_accepted;
    } else {
      EXPECT_EQ(o.status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(o.status);
      refused_rounds.push_back(n);
    }
  }
  CommandOutcome org_refused;
  org_refused.status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "not sent: the service died");
  if (died.empty()) {
    org_refused = Once(endpoint, Register("org-while-full", "while-full"));
    EXPECT_NE(org_refused.status.error_code(), grpc::StatusCode::OK)
        << "a registration was accepted while the disk is full and commands are refused";
  }
  if (org_refused.status.ok()) accepted.push_back(org_refused);
  if (died.empty()) {
    Figure(kTest, "commands refused while full (of 7)",
           static_cast<int64_t>(refused_rounds.size() + (org_refused.status.ok() ? 0 : 1)));
  }

  // Nothing of a refused command is there; everything accepted is; queries answer.
  auto check_state = [&](const std::string& when) {
    SCOPED_TRACE(when);
    std::shared_ptr<grpc::Channel> channel = endpoint.Channel();
    ASSERT_NE(channel, nullptr);
    for (int r : refused_rounds) {
      // A command under way when the service died is in doubt: either outcome is right.
      if (!died.empty() && r == first_refused) continue;
      Referral round;
      grpc::Status s = GetRound(*channel, r, &round);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND)
          << "round " << r << " was refused but is: " << Describe(s) << " " << round.ShortDebugString();
    }
    for (int r = 1; r < first_refused; ++r) {
      Referral round;
      grpc::Status s = GetRound(*channel, r, &round);
      EXPECT_TRUE(s.ok()) << "round " << r << " was accepted but: " << Describe(s);
    }
    auto head = PositionsOf(*channel, "referrals");
    ASSERT_TRUE(head.ok()) << head.status();
    uint64_t last = 0;
    for (const CommandOutcome& o : accepted) last = std::max(last, o.result.last_position());
    EXPECT_EQ(head->log_position(), last) << "the log's head is not the last accepted command's";
  };
  if (died.empty()) check_state("while the disk is full");

  // ---- space comes back ----
  ASSERT_EQ(::unlink((mnt + "/filler").c_str()), 0);
  Figure(kTest, "free after the filler is removed (bytes)", static_cast<int64_t>(FreeBytes(mnt)));
  const int kTries = static_cast<int>(Size("DISK_FULL_RETRIES", 50, 50));
  bool recovered_without_restart = false;
  int tries = 0;
  for (; died.empty() && tries < kTries && !recovered_without_restart; ++tries) {
    CommandOutcome o = Once(endpoint, Create(refused_rounds.front()));
    if (o.status.ok()) {
      recovered_without_restart = true;
      accepted.push_back(o);
      EXPECT_FALSE(o.result.repeated()) << "a command refused with UNAVAILABLE had been recorded";
      break;
    }
    if (tries == 0) Figure(kTest, "first retry after space is back", Describe(o.status));
    absl::SleepFor(absl::Milliseconds(100));
  }
  Figure(kTest, "accepted again without a restart", recovered_without_restart ? "yes" : "no");
  if (recovered_without_restart) {
    Figure(kTest, "retries until accepted", tries + 1);
  } else {
    // The service stays refusing: a restart on the same data directory must bring it back.
    if (died.empty()) {
      const std::string stopped = server.Stop();
      Figure(kTest, "stop after the disk was full", stopped.empty() ? "clean (exit 0)" : stopped);
    }
    endpoint.Down();
    auto again = server.Start();
    ASSERT_TRUE(again.ok()) << "no restart after space came back: " << again.status();
    endpoint.Set(*again);
    check_state("after the restart, before the refused commands are sent again");
    CommandOutcome o = Execute(endpoint, Create(refused_rounds.front()), nullptr, 20);
    ASSERT_TRUE(o.status.ok()) << "after a restart with space: " << Describe(o.status);
    if (died.empty()) {
      EXPECT_FALSE(o.result.repeated()) << "a command refused with UNAVAILABLE had been recorded";
    }
    accepted.push_back(o);
  }
  // The other refused commands, sent again with their command_ids, and one new one.
  for (size_t i = 1; i < refused_rounds.size(); ++i) {
    CommandOutcome o = Execute(endpoint, Create(refused_rounds[i]), nullptr, 20);
    ASSERT_TRUE(o.status.ok()) << "round " << refused_rounds[i] << ": " << Describe(o.status);
    EXPECT_FALSE(o.result.repeated());
    accepted.push_back(o);
  }
  if (!org_refused.status.ok()) {
    CommandOutcome o = Execute(endpoint, Register("org-while-full", "while-full"), nullptr, 20);
    ASSERT_TRUE(o.status.ok()) << Describe(o.status);
    EXPECT_FALSE(o.result.repeated());
    accepted.push_back(o);
  }
  ASSERT_TRUE(ok(Create(100000), "a new round after space came back"));

  // ---- afterwards: positions 1..N exactly once; projections == rebuild; the log on disk ----
  std::shared_ptr<grpc::Channel> channel = endpoint.Channel();
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const CommandOutcome& o : accepted) {
    ranges.emplace_back(o.result.first_position(), o.result.last_position());
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t next = 1;
  for (const auto& [first, last] : ranges) {
    EXPECT_EQ(first, next) << "positions of the accepted commands are not contiguous";
    next = std::max(next, last + 1);
  }
  auto head = PositionsOf(*channel, "referrals");
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->log_position(), next - 1);
  auto digests = CheckDigests(*channel, {"referrals"});
  ASSERT_TRUE(digests.ok()) << digests.status();
  for (const DigestCheck& c : *digests) {
    EXPECT_EQ(c.live.sha256(), c.rebuilt.sha256()) << "live projections differ from a rebuild";
    EXPECT_EQ(c.live.log_position(), c.rebuilt.log_position());
  }
  EXPECT_EQ(server.Stop(), "") << "no clean stop";
  auto on_disk = LogPositionsOnDisk(data, "referrals");
  ASSERT_TRUE(on_disk.ok()) << on_disk.status();
  ASSERT_EQ(on_disk->size(), head->log_position());
  for (size_t i = 0; i < on_disk->size(); ++i) {
    ASSERT_EQ((*on_disk)[i], i + 1) << "the log on disk has a gap";
  }
  Figure(kTest, "events", static_cast<int64_t>(head->log_position()));
  Figure(kTest, "whole test", absl::Now() - began);
}

// A file system whose write-ahead-log appends (files NNNNNN.log) fail with NoSpace while
// `full` is set.
class FullWal final : public remiss::testing::WalFileSystem {
 public:
  using WalFileSystem::WalFileSystem;
  const char* Name() const override { return "FullWal"; }

  class File final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, const std::atomic<bool>* full,
         std::atomic<int>* refused)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), full_(full), refused_(refused) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_) return Refuse();
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_) return Refuse();
      return target()->Append(data, options, info, dbg);
    }

   private:
    rocksdb::IOStatus Refuse() {
      ++*refused_;
      return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    }
    const std::atomic<bool>* full_;
    std::atomic<int>* refused_;
  };

  std::atomic<bool> full{false};
  std::atomic<int> refused{0};

 protected:
  std::unique_ptr<rocksdb::FSWritableFile> Wrap(std::unique_ptr<rocksdb::FSWritableFile> wal) override {
    return std::make_unique<File>(std::move(wal), &full, &refused);
  }
};

TEST(StorageRefusesWrites, EventStoreWithAFullWriteAheadLog) {
  constexpr char kName[] = "event store, full WAL";
  remiss::testing::TempDir dir;
  auto fs = std::make_shared<FullWal>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  remiss::core::ManualClock clock(absl::FromUnixSeconds(1612137600));
  auto open = [&] {
    auto s = remiss::core::EventStore::Open(
        {.path = dir.Sub("store"), .source = "referrals", .clock = &clock, .env = env.get()});
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  };
  auto command = [](const std::string& id) {
    remiss::core::CommandMeta meta;
    meta.command_id = id;
    meta.command = "RegisterOrganization";
    meta.fingerprint = "fp-" + id;
    meta.actor.set_org_id("ks");
    return meta;
  };
  auto append = [&](remiss::core::EventStore& store, const std::string& id) {
    return store.Execute(command(id), [id](remiss::core::Tx& tx) {
      tx.Put("p/" + id, "registered");
      return tx.Append("organization/" + id, std::nullopt, {remiss::testing::Registered(id)});
    });
  };
  std::unique_ptr<remiss::core::EventStore> store = open();
  ASSERT_NE(store, nullptr);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(append(*store, absl::StrCat("org-", i)).ok());
  const uint64_t head = store->LastPosition();

  fs->full = true;
  auto refused = append(*store, "org-6");
  ASSERT_FALSE(refused.ok()) << "recorded at " << refused->first_position << " on a full disk";
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  Figure(kName, "first refusal", refused.status().ToString());
  auto again_while_full = append(*store, "org-7");
  EXPECT_FALSE(again_while_full.ok());
  Figure(kName, "second command while full", again_while_full.ok() ? "OK" : again_while_full.status().ToString());
  EXPECT_EQ(store->LastPosition(), head) << "a refused command moved the log's head";
  EXPECT_FALSE(store->GetProjection("p/org-6").has_value()) << "half of a refused command is there";
  auto stream = store->ReadStream("organization/org-6");
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_TRUE(stream->empty()) << "a refused command's event is there";

  fs->full = false;
  bool without_reopen = false;
  std::string last;
  for (int i = 0; i < 20 && !without_reopen; ++i) {
    auto r = append(*store, "org-6");
    if (r.ok()) {
      without_reopen = true;
      EXPECT_FALSE(r->repeated) << "a refused command had been recorded";
      EXPECT_EQ(r->first_position, head + 1);
    } else {
      last = r.status().ToString();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  Figure(kName, "accepted again without reopening the store",
         without_reopen ? "yes" : "no (still: " + last + ")");
  if (!without_reopen) {
    store.reset();
    store = open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->LastPosition(), head) << "reopened";
    auto r = append(*store, "org-6");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->repeated) << "a refused command had been recorded";
    EXPECT_EQ(r->first_position, head + 1);
  }
  auto r = append(*store, "org-7");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->repeated);
  auto log = store->ReadLog(1, 1000);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), head + 2);
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].position(), i + 1);
  Figure(kName, "appends the file system refused", fs->refused.load());
}

}  // namespace
}  // namespace remiss::faults
