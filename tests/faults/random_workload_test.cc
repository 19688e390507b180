// A seeded random workload: valid and invalid commands from many clients at once.
//
// remissd (all four services in one process, on a manual clock) takes commands from several
// client threads, each drawing its commands from its own random generator (seeded from the
// printed seed, so a failing run replays its commands with REMISS_FAULTS_SEED; the
// interleaving of the threads is the machine's). The commands run over a small world (a few
// boards, a dozen rounds) so that they collide: rounds drafted, addressed, issued, moved,
// closed and withdrawn while boards register, draft, decide, submit and decline their
// answers, ask for extensions, while KS freezes compilations and gives feedback, and the clock
// moves on so that deadlines pass. About one command in five is invalid on purpose (a bad
// date, a malformed id, a missing reason, an unknown round, a command_id reused for other
// content), and many more are refused by the state they meet. A thread also sends some
// commands again with their command_id, as a client does after a lost reply.
// What a user depends on:
//   - every answer is one the API documents for a command (OK, INVALID_ARGUMENT, NOT_FOUND,
//     ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED); never INTERNAL, UNKNOWN, DATA_LOSS, or
//     the server gone;
//   - a command sent again with its command_id answers `repeated` with the first positions;
//     other content under a used command_id is ALREADY_EXISTS;
//   - for every service, the live projections equal a rebuild from its own log; and after a
//     clean restart the digests are the same.
// Sizes: REMISS_FAULTS_CLIENTS (CI 6, full 12), REMISS_FAULTS_COMMANDS per client (CI 400,
// full 3000).
#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/faults/fault_support.h"
#include "tests/faults/random_commands.h"
#include "tests/support/temp_dir.h"

namespace remiss::faults {
namespace {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout

constexpr char kStart[] = "2021-02-01T09:00:00+01:00";
constexpr char kTest[] = "random workload";
using namespace random_commands;  // NOLINT: the commands drawn


struct Tally {
  absl::Mutex mu;
  std::map<std::string, std::map<std::string, int64_t>> by_rpc ABSL_GUARDED_BY(mu);  // rpc -> code
  std::vector<std::string> failures ABSL_GUARDED_BY(mu);
  int64_t invalid_on_purpose ABSL_GUARDED_BY(mu) = 0;
  int64_t invalid_accepted ABSL_GUARDED_BY(mu) = 0;
  int64_t resent ABSL_GUARDED_BY(mu) = 0;
  int64_t reused ABSL_GUARDED_BY(mu) = 0;
  int64_t clock_moves ABSL_GUARDED_BY(mu) = 0;
};

std::string CodeName(const grpc::Status& s) {
  const std::string d = Describe(s);
  return d.substr(0, d.find(':'));
}

struct Accepted {
  std::string command_id;
  bool referrals_by_ks = false;
  Drawn drawn;
  CommandOutcome outcome;
};

void Client(uint64_t seed, int t, int commands, const Endpoint& endpoint, Tally& tally) {
  Drawer drawer(seed, t);
  std::vector<Accepted> accepted;  // for resends and reuse
  std::vector<size_t> by_ks;       // indexes into accepted
  int clock_days = 0;              // thread 0: how far it moved the clock
  auto fail = [&](const std::string& what) {
    absl::MutexLock lock(&tally.mu);
    tally.failures.push_back(absl::StrCat("thread ", t, ": ", what));
  };
  for (int k = 0; k < commands; ++k) {
    // Thread 0 moves the clock on now and then: deadlines pass, reminders and breaches come.
    // At most 25 days in all (command_ids are remembered for 30: a resend must be known).
    if (t == 0 && k % 25 == 24 && clock_days < 25) {
      const int days = std::min(drawer.Int(1, 3), 25 - clock_days);
      clock_days += days;
      AdminService::Stub admin(endpoint.Channel());
      SetClockRequest r;
      r.mutable_advance()->set_seconds(86400 * days);
      ClockState state;
      auto ctx = Context({"ks", "operator", "operator-1"});
      grpc::Status s = admin.SetClock(ctx.get(), r, &state);
      if (!s.ok()) fail(absl::StrCat("SetClock: ", Describe(s)));
      absl::MutexLock lock(&tally.mu);
      ++tally.clock_moves;
    }
    // Now and then, a command already accepted is sent again (a lost reply): the first
    // result again, marked repeated.
    if (!accepted.empty() && drawer.Chance(0.05)) {
      const Accepted& first = accepted[drawer.Int(0, static_cast<int>(accepted.size()) - 1)];
      CommandOutcome again = Execute(endpoint, first.drawn.send, nullptr, 50);
      if (!again.status.ok() || !again.result.repeated() ||
          again.result.first_position() != first.outcome.result.first_position() ||
          again.result.last_position() != first.outcome.result.last_position()) {
        fail(absl::StrCat(first.drawn.rpc, " ", first.command_id,
                          " sent again with its command_id: ", Describe(again.status), " ",
                          again.result.ShortDebugString(), "; first: ",
                          first.outcome.result.ShortDebugString()));
      }
      absl::MutexLock lock(&tally.mu);
      ++tally.resent;
    }
    // Now and then, KS reuses one of its referrals command_ids for other content (a
    // CreateReferral): ALREADY_EXISTS. (Each service keeps its own command records: an id
    // used with another service is not known here.)
    if (!by_ks.empty() && drawer.Chance(0.02)) {
      const Accepted& first = accepted[by_ks[drawer.Int(0, static_cast<int>(by_ks.size()) - 1)]];
      CreateReferralRequest r;
      r.set_command_id(first.command_id);
      r.set_case_number(absl::StrCat("KS 2021/", 9000 + k));
      r.set_title("Återanvänt id");
      r.set_sender_org_id("ks");
      CommandOutcome o =
          Execute(endpoint, Command(&ReferralService::Stub::CreateReferral, r), nullptr, 50);
      if (o.status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        fail(absl::StrCat("other content under the used command_id ", r.command_id(), " (first: ",
                          first.drawn.rpc, "): ", Describe(o.status)));
      }
      absl::MutexLock lock(&tally.mu);
      ++tally.reused;
    }
    Drawn d = drawer.Next(k);
    CommandOutcome o = Execute(endpoint, d.send, nullptr, 50);
    if (!Documented(o.status.error_code())) {
      fail(absl::StrCat(d.rpc, " (command t", t, "-", k, "): ", Describe(o.status)));
    }
    absl::MutexLock lock(&tally.mu);
    ++tally.by_rpc[d.rpc][CodeName(o.status)];
    if (d.invalid_on_purpose) {
      ++tally.invalid_on_purpose;
      if (o.status.ok()) ++tally.invalid_accepted;
    }
    if (o.status.ok() && !o.result.repeated() && o.result.first_position() > 0) {
      if (d.referrals_by_ks) by_ks.push_back(accepted.size());
      accepted.push_back({absl::StrCat("t", t, "-", k), d.referrals_by_ks, std::move(d), o});
    }
  }
}

// Settled (every follower has everything), and then quiet: the same log heads in three
// answers 250 ms apart (the deadlines service fires due timers every 100 ms).
absl::Status SettleAndQuiet(grpc::Channel& channel) {
  std::string seen;
  absl::Status s = WaitForPositions(
      channel, [&](const Positions& p) { return FollowersCaughtUp(p, &seen); },
      absl::Seconds(90));
  if (!s.ok()) return absl::Status(s.code(), absl::StrCat(s.message(), "\n", seen));
  std::string previous;
  int same = 0;
  for (int polls = 0; polls < 120 && same < 2; ++polls) {
    auto p = GetPositions(channel);
    if (!p.ok()) return p.status();
    std::string heads;
    for (const auto& sp : p->services()) absl::StrAppend(&heads, sp.service(), "@", sp.log_position(), " ");
    same = heads == previous ? same + 1 : 0;
    previous = heads;
    absl::SleepFor(absl::Milliseconds(250));
  }
  if (same < 2) return absl::DeadlineExceededError("the logs did not stop growing: " + previous);
  return WaitForPositions(
      channel, [&](const Positions& p) { return FollowersCaughtUp(p, &seen); },
      absl::Seconds(90));
}

std::map<std::string, std::string> Digests(grpc::Channel& channel,
                                           const std::vector<std::string>& services) {
  std::map<std::string, std::string> out;
  for (const std::string& s : services) {
    auto d = GetDigest(channel, s);
    out[s] = d.ok() ? absl::StrCat(d->sha256(), " entries ", d->entries(), " at ", d->log_position())
                    : d.status().ToString();
  }
  return out;
}

TEST(RandomWorkload, Remissd) {
  const absl::Time began = absl::Now();
  const uint64_t seed = Seed(kTest);
  const int clients = static_cast<int>(Size("CLIENTS", 6, 12));
  const int commands = static_cast<int>(Size("COMMANDS", 400, 3000));
  remiss::testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string data = dir.Sub("data");
  ServerProcess server("remissd", REMISSD, {"--data-dir", data, "--manual-clock", kStart},
                       dir.path());
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

  // KS and the boards exist before the clients start (registering them again is among the
  // random commands, refused with ALREADY_EXISTS); the rounds are the clients' own doing.
  for (int b = -1; b < kBoards; ++b) {
    RegisterOrganizationRequest r;
    r.set_command_id(absl::StrCat("setup-", b));
    r.set_org_id(b < 0 ? "ks" : Board(b));
    r.set_name(b < 0 ? "Kommunstyrelsen" : absl::StrCat("Nämnd ", b));
    r.set_kind(b < 0 ? ORGANIZATION_KIND_KOMMUNSTYRELSE : ORGANIZATION_KIND_STADSDELSNAMND);
    r.set_may_send_rounds(b < 0);  // KS first, as the sender its ks acts for
    r.set_diary_prefix("BRD");
    CommandOutcome o =
        Execute(endpoint, Command(&ReferralService::Stub::RegisterOrganization, r), nullptr, 50);
    ASSERT_TRUE(o.status.ok()) << Describe(o.status);
  }

  Tally tally;
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] { Client(seed, t, commands, endpoint, tally); });
  }
  for (auto& t : threads) t.join();
  const absl::Duration load = absl::Now() - began;
  ASSERT_EQ(server.Ended(), "") << "remissd died under the workload";

  std::shared_ptr<grpc::Channel> channel = endpoint.Channel();
  absl::Status settled = SettleAndQuiet(*channel);
  ASSERT_TRUE(settled.ok()) << settled;

  const std::vector<std::string> services = {"referrals", "responses", "deadlines", "followup"};
  auto checks = CheckDigests(*channel, services);
  ASSERT_TRUE(checks.ok()) << checks.status();
  for (const DigestCheck& c : *checks) {
    EXPECT_EQ(c.live.sha256(), c.rebuilt.sha256())
        << c.service << ": the live projections differ from a rebuild from the log ("
        << c.live.entries() << " vs " << c.rebuilt.entries() << " entries at "
        << c.live.log_position() << " vs " << c.rebuilt.log_position() << ")";
    EXPECT_EQ(c.live.log_position(), c.rebuilt.log_position()) << c.service;
    Figure(kTest, absl::StrCat(c.service, " events / projection entries"),
           absl::StrCat(c.rebuilt.log_position(), " / ", c.rebuilt.entries()));
  }

  // A clean restart on the same data: the same projections.
  const std::map<std::string, std::string> before = Digests(*channel, services);
  EXPECT_EQ(server.Stop(), "") << "remissd did not stop cleanly on SIGTERM";
  endpoint.Down();
  auto again = server.Start();
  ASSERT_TRUE(again.ok()) << again.status();
  endpoint.Set(*again);
  channel = endpoint.Channel();
  settled = SettleAndQuiet(*channel);
  ASSERT_TRUE(settled.ok()) << settled;
  EXPECT_EQ(Digests(*channel, services), before)
      << "the projections (or the logs: \"at\" is the log position) changed across a clean "
         "restart of an idle remissd";
  auto after_restart = CheckDigests(*channel, services);
  ASSERT_TRUE(after_restart.ok()) << after_restart.status();
  for (const DigestCheck& c : *after_restart) {
    EXPECT_EQ(c.live.sha256(), c.rebuilt.sha256()) << c.service << " after the restart";
  }
  EXPECT_EQ(server.Stop(), "");
  for (const std::string& service : services) {
    auto positions = LogPositionsOnDisk(data, service);
    ASSERT_TRUE(positions.ok()) << positions.status();
    for (size_t i = 0; i < positions->size(); ++i) {
      ASSERT_EQ((*positions)[i], i + 1) << service << ": the log on disk has a gap";
    }
  }

  absl::MutexLock lock(&tally.mu);
  EXPECT_TRUE(tally.failures.empty()) << absl::StrJoin(tally.failures, "\n");
  int64_t total = 0, ok = 0;
  for (const auto& [rpc, codes] : tally.by_rpc) {
    std::vector<std::string> parts;
    for (const auto& [code, n] : codes) {
      parts.push_back(absl::StrCat(code, " ", n));
      total += n;
      if (code == "OK") ok += n;
    }
    Figure(kTest, absl::StrCat("answers to ", rpc), absl::StrJoin(parts, ", "));
  }
  Figure(kTest, "seed", absl::StrCat(seed));
  Figure(kTest, "clients x commands", absl::StrCat(clients, " x ", commands));
  Figure(kTest, "commands answered", total);
  Figure(kTest, "commands accepted", ok);
  Figure(kTest, "invalid on purpose (of which accepted: an input the test thought bad)",
         absl::StrCat(tally.invalid_on_purpose, " (", tally.invalid_accepted, ")"));
  Figure(kTest, "sent again with their command_id", tally.resent);
  Figure(kTest, "command_id reused for other content", tally.reused);
  Figure(kTest, "clock moves", tally.clock_moves);
  Figure(kTest, "load", load);
  Figure(kTest, "whole test", absl::Now() - began);
}

}  // namespace
}  // namespace remiss::faults
