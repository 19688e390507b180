// ProbeServer (probe_server.h): readiness follows SetReady; liveness fails only once the
// watchdog has stopped coming round; unknown names are NOT_FOUND; nothing but health is
// served, over plaintext.
#include "remiss/core/server/probe_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/health.h"

namespace remiss::core {
namespace {

std::shared_ptr<grpc::Channel> ChannelTo(const ProbeServer& probes) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", probes.port()),
                             grpc::InsecureChannelCredentials());
}

TEST(ProbeServer, ReadinessFollowsTheHostAndLivenessServesWhileNotWedged) {
  auto probes = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(probes.ok()) << probes.status();
  auto channel = ChannelTo(**probes);
  EXPECT_EQ(testing::HealthStatus(*channel, ""), 2);  // not ready before the host serves
  EXPECT_EQ(testing::HealthStatus(*channel, "liveness"), 1);
  (*probes)->SetReady(true);
  EXPECT_EQ(testing::HealthStatus(*channel, ""), 1);
  (*probes)->SetReady(false);  // e.g. a parked feed: not ready, but alive
  EXPECT_EQ(testing::HealthStatus(*channel, ""), 2);
  EXPECT_EQ(testing::HealthStatus(*channel, "liveness"), 1);
  EXPECT_EQ(testing::HealthStatus(*channel, "remiss.v1.ReferralService"), 3);
}

TEST(ProbeServer, LivenessFailsOnlyWhenTheWatchdogStopsComingRound) {
  auto probes = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(probes.ok()) << probes.status();
  const absl::Time now = absl::Now();
  // No watchdog yet (starting, or waiting for a restore): alive however long it takes.
  EXPECT_EQ((*probes)->Status("liveness", now + absl::Hours(5)), 1);
  (*probes)->Beat();
  EXPECT_EQ((*probes)->Status("liveness", absl::Now() + absl::Seconds(30)), 1);
  EXPECT_EQ((*probes)->Status("liveness", absl::Now() + ProbeServer::kWedgedAfter + absl::Seconds(1)), 2);
}

TEST(ProbeServer, ServesNothingButHealth) {
  auto probes = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(probes.ok()) << probes.status();
  auto channel = ChannelTo(**probes);
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty{std::string()};
  grpc::ByteBuffer in(&empty, 1), out;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/remiss.v1.ReferralService/GetRound", grpc::StubOptions(), &in, &out,
                 [&](grpc::Status s) { done.set_value(s); });
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(ProbeServer, ShutdownAnswersNotServingThenStops) {
  auto probes = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(probes.ok()) << probes.status();
  (*probes)->SetReady(true);
  (*probes)->Shutdown();
  EXPECT_EQ((*probes)->Status("", absl::Now()), 2);
  EXPECT_EQ((*probes)->Status("liveness", absl::Now()), 2);
  EXPECT_EQ(testing::HealthStatus(*ChannelTo(**probes), ""), -1);
}

TEST(ProbeServer, ATakenPortIsAnError) {
  auto first = ProbeServer::Start("127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(ProbeServer::Start(absl::StrCat("127.0.0.1:", (*first)->port())).ok());
}

}  // namespace
}  // namespace remiss::core
