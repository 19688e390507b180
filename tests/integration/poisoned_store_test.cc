// A store poisoned by a failed fsync, seen from outside (C8 of issue 22): through a real
// listener, the command whose fsync failed and every later one are UNAVAILABLE, and health
// says NOT_SERVING (the service's and the server's), naming the poisoned store, until the
// service is restarted on what its disk kept.
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "rocksdb/env.h"
#include "tests/support/health.h"
#include "tests/support/held_syncs.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using remiss::v1::CommandResult;
using remiss::v1::RegisterOrganizationRequest;

RegisterOrganizationRequest Organization(const std::string& id) {
  RegisterOrganizationRequest r;
  r.set_command_id("register-" + id);
  r.set_org_id(id);
  r.set_name("Nämnd " + id);
  r.set_kind(remiss::v1::ORGANIZATION_KIND_STADSDELSNAMND);
  r.set_diary_prefix("BRD");
  return r;
}

TEST(PoisonedStoreTest, AFailedFsyncIsUnavailableAndNotServingUntilRestarted) {
  remiss::testing::TempDir dir;
  core::ManualClock clock(absl::FromUnixSeconds(1606809600));
  auto fs = std::make_shared<remiss::testing::HeldSyncs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  auto server = std::make_unique<remiss::testing::RemissServer>(
      dir.path(), &clock, remiss::testing::ServerOptions{.env = env.get()});
  ASSERT_TRUE(server->Start());
  CommandResult result;
  auto ctx = remiss::testing::RemissServer::Context();
  grpc::Status first = server->referrals().RegisterOrganization(ctx.get(), Organization("org-a"), &result);
  ASSERT_TRUE(first.ok()) << first.error_message();
  EXPECT_EQ(remiss::testing::HealthStatus(server->channel(), ""), 1);

  fs->Fail(true);
  ctx = remiss::testing::RemissServer::Context();
  grpc::Status failed = server->referrals().RegisterOrganization(ctx.get(), Organization("org-b"), &result);
  fs->Fail(false);
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
  ctx = remiss::testing::RemissServer::Context();
  grpc::Status later = server->referrals().RegisterOrganization(ctx.get(), Organization("org-c"), &result);
  EXPECT_EQ(later.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "a command was taken by a store whose fsync failed: " << later.error_message();

  int health = 0;
  for (int i = 0; i < 100 && (health = remiss::testing::HealthStatus(server->channel(), "")) != 2; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(health, 2) << "a poisoned store is SERVING";
  EXPECT_EQ(remiss::testing::HealthStatus(server->channel(), "remiss.v1.ReferralService"), 2);

  // Restarted, it serves what the disk kept; the retry of org-b is answered (as a repeat if
  // the disk kept it) and org-c is recorded.
  server.reset();
  server = std::make_unique<remiss::testing::RemissServer>(dir.path(), &clock);
  ASSERT_TRUE(server->Start());
  for (const char* id : {"org-b", "org-c"}) {
    ctx = remiss::testing::RemissServer::Context();
    grpc::Status s = server->referrals().RegisterOrganization(ctx.get(), Organization(id), &result);
    EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
  }
  EXPECT_EQ(remiss::testing::HealthStatus(server->channel(), ""), 1);
}

}  // namespace
}  // namespace remiss
