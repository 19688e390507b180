// --kafka-properties: a librdkafka properties file with the Kafka clients' security settings.
#include "remiss/core/kafka/kafka_properties.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace remiss::core {
namespace {

std::string Write(const remiss::testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.Sub("client.properties");
  std::ofstream(path) << text;
  return path;
}

std::string Get(rd_kafka_conf_t* conf, const char* key) {
  char value[512];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(conf, key, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return value;
}

TEST(KafkaPropertiesTest, TlsAndSaslSettingsReachEveryClientConf) {
  remiss::testing::TempDir dir;
  auto p = ReadKafkaProperties(Write(dir,
                                     "# remiss's Kafka clients\n"
                                     "security.protocol = sasl_ssl\n"
                                     "sasl.mechanism=SCRAM-SHA-512\n"
                                     "sasl.username=remiss-referrals\n"
                                     "sasl.password=s3cret=with=equals\n"
                                     "\n"
                                     "ssl.endpoint.identification.algorithm=https\n"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->at("sasl.password"), "s3cret=with=equals");
  SetKafkaClientProperties(*p);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_TRUE(ApplyKafkaClientProperties(conf).ok());
  EXPECT_EQ(Get(conf, "security.protocol"), "sasl_ssl");
  EXPECT_EQ(Get(conf, "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(Get(conf, "sasl.username"), "remiss-referrals");
  rd_kafka_conf_destroy(conf);
  SetKafkaClientProperties({});
}

TEST(KafkaPropertiesTest, OnlySecuritySettingsAreTakenAndBadOnesAreNamed) {
  remiss::testing::TempDir dir;
  auto idempotence = ReadKafkaProperties(Write(dir, "enable.idempotence=false\n"));
  EXPECT_EQ(idempotence.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(idempotence.status().message().find("enable.idempotence is not a security setting"),
            std::string::npos) << idempotence.status();
  EXPECT_FALSE(ReadKafkaProperties(Write(dir, "security.protocol\n")).ok());
  EXPECT_FALSE(ReadKafkaProperties(dir.Sub("missing.properties")).ok());

  SetKafkaClientProperties({{"security.protocol", "carrier-pigeon"}});
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  absl::Status s = ApplyKafkaClientProperties(conf);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("security.protocol"), std::string::npos) << s;
  rd_kafka_conf_destroy(conf);
  SetKafkaClientProperties({});
}

}  // namespace
}  // namespace remiss::core
