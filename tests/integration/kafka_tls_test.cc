// --kafka-properties against a real broker with a mutual-TLS listener (tools/kafka/kafka.sh
// with REMISS_KAFKA_TLS_DIR, certificates from tools/pki.sh): the referrals service creates
// its topics and publishes its events over TLS; without the properties it cannot.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "kafka_broker.h"
#include "remiss/core/kafka/kafka_properties.h"
#include "remiss/v1/envelope.pb.h"
#include "tests/support/remiss_server.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using namespace remiss::v1;

class KafkaTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new remiss::testing::TempDir();
    const std::string tool = std::string(REMISS_SOURCE_DIR) + "/tools/pki.sh";
    const std::string dir = pki_->Sub("pki");
    const std::string script = tool + " ca " + dir + " && " + tool + " server " + dir +
                               " kafka 127.0.0.1 localhost && " + tool + " client " + dir +
                               " referrals referrals integrator";
    ASSERT_EQ(std::system(script.c_str()), 0) << script;
    ::setenv("REMISS_KAFKA_TLS_DIR", dir.c_str(), 1);
    auto broker = remiss::testing::KafkaBroker::Start();
    ::unsetenv("REMISS_KAFKA_TLS_DIR");
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = broker->release();
  }
  static void TearDownTestSuite() {
    delete broker_;
    delete pki_;
  }
  void TearDown() override { core::SetKafkaClientProperties({}); }

  static std::string TlsBootstrap() {
    std::ifstream in(broker_->dir() + "/bootstrap_tls");
    std::string s;
    in >> s;
    return s;
  }
  static core::KafkaProperties Tls() {
    const std::string dir = pki_->Sub("pki");
    return {{"security.protocol", "ssl"},
            {"ssl.ca.location", dir + "/ca.pem"},
            {"ssl.certificate.location", dir + "/referrals.pem"},
            {"ssl.key.location", dir + "/referrals.key"}};
  }

  // Registers KS through a plaintext loopback server whose relay talks to `brokers`, and
  // returns the relay's cursor after `wait`.
  uint64_t RegisterAndWait(const std::string& data_dir, const std::string& brokers,
                           absl::Duration wait) {
    core::ManualClock clock(absl::FromUnixSeconds(1606809600));
    remiss::testing::RemissServer server(data_dir, &clock, {.brokers = brokers});
    EXPECT_TRUE(server.Start());
    RegisterOrganizationRequest r;
    r.set_command_id("register-ks");
    r.set_org_id("ks");
    r.set_name("Kommunstyrelsen");
    r.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
    r.set_diary_prefix("KS");
    CommandResult result;
    auto ctx = remiss::testing::RemissServer::Context();
    grpc::Status s = server.referrals().RegisterOrganization(ctx.get(), r, &result);
    EXPECT_TRUE(s.ok()) << s.error_message();
    const absl::Time deadline = absl::Now() + wait;
    uint64_t cursor = 0;
    while (absl::Now() < deadline) {
      Positions positions;
      auto c = remiss::testing::RemissServer::Context();
      if (server.admin().GetPositions(c.get(), {}, &positions).ok() && positions.services_size() > 0) {
        cursor = positions.services(0).relay_cursor();
        if (cursor >= positions.services(0).log_position()) break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return cursor;
  }

  static remiss::testing::TempDir* pki_;
  static remiss::testing::KafkaBroker* broker_;
  remiss::testing::TempDir dir_;
};
remiss::testing::TempDir* KafkaTlsTest::pki_ = nullptr;
remiss::testing::KafkaBroker* KafkaTlsTest::broker_ = nullptr;

TEST_F(KafkaTlsTest, TheRelayPublishesOverTheTlsListenerWithThePropertiesFile) {
  const std::string path = dir_.Sub("kafka.properties");
  {
    std::ofstream out(path);
    for (const auto& [k, v] : Tls()) out << k << "=" << v << "\n";
  }
  auto properties = core::ReadKafkaProperties(path);
  ASSERT_TRUE(properties.ok()) << properties.status();
  core::SetKafkaClientProperties(*properties);
  EXPECT_EQ(RegisterAndWait(dir_.Sub("data"), TlsBootstrap(), absl::Seconds(60)), 1u);
  // The event is on the topic (read back over the plaintext listener).
  auto messages = remiss::testing::ReadTopic(broker_->bootstrap(), "remiss.referrals.events.v1", 1);
  ASSERT_TRUE(messages.ok()) << messages.status();
  EventEnvelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(messages->front().value));
  EXPECT_EQ(envelope.actor().org_id(), "ks");
}

// The other way: a responses service alone follows referrals' topic over the TLS listener
// (its KafkaFeed and its watermark consumer both take the properties).
TEST_F(KafkaTlsTest, TheResponsesFeedConsumesOverTheTlsListener) {
  core::SetKafkaClientProperties(Tls());
  ASSERT_EQ(RegisterAndWait(dir_.Sub("referrals"), TlsBootstrap(), absl::Seconds(60)), 1u);
  core::ManualClock clock(absl::FromUnixSeconds(1606809600));
  remiss::testing::RemissServer responses(
      dir_.Sub("responses"), &clock,
      {.referrals = false, .responses = true, .brokers = TlsBootstrap()});
  ASSERT_TRUE(responses.Start());
  uint64_t consumed = 0;
  for (absl::Time until = absl::Now() + absl::Seconds(60); absl::Now() < until && consumed == 0;) {
    Positions positions;
    auto c = remiss::testing::RemissServer::Context();
    if (responses.admin().GetPositions(c.get(), {}, &positions).ok()) {
      for (const auto& service : positions.services()) {
        for (const auto& feed : service.feeds()) {
          if (feed.source() == "referrals") consumed = feed.position();
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(consumed, 1u) << "the responses feed did not read referrals over TLS";
}

// Without the properties the service cannot talk to the TLS listener: an empty store does
// not start fresh without knowing whether its topic holds history (C13 of issue 22), so the
// service refuses to start, saying why, rather than recording what it could never publish.
TEST_F(KafkaTlsTest, WithoutThePropertiesAnEmptyStoreDoesNotStart) {
  core::ManualClock clock(absl::FromUnixSeconds(1606809600));
  remiss::testing::RemissServer server(dir_.Sub("data"), &clock,
                                       {.brokers = TlsBootstrap(), .topic_check_budget = absl::Seconds(5)});
  ::testing::AssertionResult started = server.Start();
  ASSERT_FALSE(started) << "started fresh without being able to read its topic";
  EXPECT_NE(std::string(started.message()).find("does not start fresh"), std::string::npos)
      << started.message();
}

}  // namespace
}  // namespace remiss
