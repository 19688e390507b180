// The simulation's model on its own: what the workload sends first, and how it reads the
// answers to tries that were sent together.
#include "tests/simulation/world.h"

#include <gtest/gtest.h>

namespace remiss::sim {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1767225600);  // 2026-01-01

remiss::v1::CommandResult At(uint64_t position, bool repeated) {
  remiss::v1::CommandResult r;
  r.set_first_position(position);
  r.set_last_position(position);
  r.set_repeated(repeated);
  return r;
}

// Every round is sent by KS, so KS is registered first (and sent again, same id, until
// acknowledged); without it every CreateReferral is refused and the workload never reaches
// a round's life.
TEST(World, RegistersKsFirstAndCreatesRoundsOnlyOnceItIsAcknowledged) {
  World w(7);
  Command ks = w.Next(kNow, 1);
  EXPECT_EQ(ks.rpc, "RegisterOrganization");
  EXPECT_EQ(ks.org, "ks");
  int rounds_before = 0;
  for (int i = 0; i < 200; ++i) {
    const Command c = w.Next(kNow, 2);
    if (c.rpc == "CreateReferral") ++rounds_before;
    if (c.rpc == "RegisterOrganization") {
      w.Answer(c, c.command_id == ks.command_id ? grpc::StatusCode::UNAVAILABLE : grpc::StatusCode::OK,
               "", At(1, false), kNow, 2);
    }
  }
  EXPECT_EQ(rounds_before, 0);
  w.Answer(ks, grpc::StatusCode::OK, "", At(1, false), kNow, 3);
  int rounds_after = 0;
  for (int i = 0; i < 200; ++i) {
    if (w.Next(kNow, 4).rpc == "CreateReferral") ++rounds_after;
  }
  EXPECT_GT(rounds_after, 0);
}

// Two tries of one command in one batch run concurrently: the one that executed may be
// listed after the one answered as its repeat. The first OK is the executed one.
TEST(World, TheFirstOkOfTriesSentTogetherIsTheOneThatExecuted) {
  World w(7);
  const Command c = w.Next(kNow, 1);
  w.Answer(c, grpc::StatusCode::UNAVAILABLE, "in doubt", {}, kNow, 1);
  w.Answer(c, grpc::StatusCode::OK, "", At(26, true), kNow, 5);
  w.Answer(c, grpc::StatusCode::OK, "", At(26, false), kNow, 5);
  w.Answer(c, grpc::StatusCode::OK, "", At(26, true), kNow, 9);
  const Ledger& l = w.ledger().at({c.service, c.org, c.command_id});
  ASSERT_NE(l.first_ok(), nullptr);
  EXPECT_FALSE(l.first_ok()->result.repeated());
  EXPECT_EQ(l.first_ok()->step, 5);
}

}  // namespace
}  // namespace remiss::sim
