// A relay publishes nothing to an events topic that would not keep the service's history
// (created beforehand with a finite retention, say): health and GetPositions name the
// setting, commands are still recorded, and the relay publishes once the topic is fixed.
#include <gtest/gtest.h>

#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/health.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;
using remiss::testing::RemissServer;

core::TopicDefinition Defined(const std::string& name) {
  for (const core::TopicDefinition& t : core::BuiltinTopics()) {
    if (t.name == name) return t;
  }
  return {.name = name};
}

TEST(TopicsKeepHistory, ARelayRefusesATopicWithAFiniteRetentionUntilItIsFixed) {
  std::string error;
  remiss::testing::KafkaBroker* broker = remiss::testing::KafkaBroker::Shared(&error);
  ASSERT_NE(broker, nullptr) << error;
  const std::string topic = "remiss.referrals.events.v1";
  core::TopicDefinition week = Defined(topic);
  week.config["retention.ms"] = "604800000";  // a week: Kafka's default
  ASSERT_TRUE(core::EnsureTopics(broker->bootstrap(), {week}).ok());

  remiss::testing::TempDir dir;
  core::ManualClock clock(absl::FromCivil(absl::CivilSecond(2020, 12, 1, 9, 0, 0), absl::UTCTimeZone()));
  RemissServer server(dir.path(), &clock, {.referrals = true, .responses = false, .brokers = broker->bootstrap()});
  ASSERT_TRUE(server.Start());
  RegisterOrganizationRequest r;
  r.set_command_id("ks");
  r.set_org_id("ks");
  r.set_name("Kommunstyrelsen");
  r.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  CommandResult result;
  auto ctx = RemissServer::Context();
  ASSERT_TRUE(server.referrals().RegisterOrganization(ctx.get(), r, &result).ok());  // recorded

  auto relay_error = [&] {
    auto c = RemissServer::Context();
    GetPositionsRequest req;
    req.set_service("referrals");
    Positions positions;
    return server.admin().GetPositions(c.get(), req, &positions).ok()
               ? positions.services(0).relay_error()
               : std::string("?");
  };
  std::string seen;
  for (absl::Time until = absl::Now() + absl::Seconds(30); absl::Now() < until && seen.empty();) {
    seen = relay_error();
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_NE(seen.find("retention.ms is 604800000 but must be -1"), std::string::npos) << seen;
  EXPECT_EQ(remiss::testing::HealthStatus(server.channel(), "remiss.v1.ReferralService"), 2);
  auto none = remiss::testing::ReadTopic(broker->bootstrap(), topic, 0, absl::Seconds(2));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty()) << "published to a topic that deletes history";

  // The operator fixes the topic; the relay looks again and publishes.
  ASSERT_TRUE(remiss::testing::AlterTopicConfig(broker->bootstrap(), topic, Defined(topic).config).ok());
  auto published = remiss::testing::ReadTopic(broker->bootstrap(), topic, 1, absl::Seconds(60));
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ(published->size(), 1u);
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until && !seen.empty();) {
    seen = relay_error();
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(seen, "");
  EXPECT_EQ(remiss::testing::HealthStatus(server.channel(), "remiss.v1.ReferralService"), 1);
}

TEST(TopicsKeepHistory, ARelayWhoseTopicLostItsHistorySaysSoAndRepublishesOnAnOperatorsWord) {
  std::string error;
  remiss::testing::KafkaBroker* broker = remiss::testing::KafkaBroker::Shared(&error);
  ASSERT_NE(broker, nullptr) << error;
  const std::string topic = "remiss.referrals.events.v1";
  remiss::testing::TempDir dir;
  core::ManualClock clock(absl::FromCivil(absl::CivilSecond(2020, 12, 1, 9, 0, 0), absl::UTCTimeZone()));
  auto server = std::make_unique<RemissServer>(
      dir.path(), &clock, remiss::testing::ServerOptions{.referrals = true, .responses = false, .brokers = broker->bootstrap()});
  ASSERT_TRUE(server->Start());
  for (const char* org : {"ks", "bromma-sdn", "sodermalm-sdn"}) {
    RegisterOrganizationRequest r;
    r.set_command_id(org);
    r.set_org_id(org);
    r.set_name(org);
    r.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
    CommandResult result;
    auto ctx = RemissServer::Context();
    ASSERT_TRUE(server->referrals().RegisterOrganization(ctx.get(), r, &result).ok());
  }
  ASSERT_TRUE(remiss::testing::ReadTopic(broker->bootstrap(), topic, 3).ok());
  server.reset();  // the relay saved its cursor: 3

  // The topic is lost (deleted; the relay makes a new, empty one at start).
  ASSERT_TRUE(remiss::testing::DeleteTopic(broker->bootstrap(), topic).ok());
  absl::SleepFor(absl::Seconds(2));
  server = std::make_unique<RemissServer>(
      dir.path(), &clock, remiss::testing::ServerOptions{.referrals = true, .responses = false, .brokers = broker->bootstrap()});
  ASSERT_TRUE(server->Start());
  std::string seen;
  for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until && seen.empty();) {
    auto c = RemissServer::Context();
    GetPositionsRequest req;
    req.set_service("referrals");
    Positions positions;
    if (server->admin().GetPositions(c.get(), req, &positions).ok()) seen = positions.services(0).relay_error();
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_NE(seen.find("the topic holds 0 events but this relay had published 3"), std::string::npos) << seen;
  EXPECT_EQ(remiss::testing::HealthStatus(server->channel(), "remiss.v1.ReferralService"), 2);

  auto c = RemissServer::Context();
  RepublishEventsRequest republish;
  republish.set_service("referrals");
  Positions after;
  ASSERT_TRUE(server->admin().RepublishEvents(c.get(), republish, &after).ok());
  auto again = remiss::testing::ReadTopic(broker->bootstrap(), topic, 3, absl::Seconds(60));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->size(), 3u);
}

}  // namespace
}  // namespace remiss
