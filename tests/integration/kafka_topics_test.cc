// ParseTopicDefinitions and the definitions compiled in from infra/kafka/topics.conf.
#include <gmock/gmock.h>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"

namespace remiss::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseTopicDefinitions, ReadsNamesSettingsAndConfig) {
  auto topics = ParseTopicDefinitions(
      "# a comment line\n"
      "\n"
      "remiss.referrals.events.v1   partitions=6 replication=-1 retention.ms=-1  # trailing\n"
      "\tother-topic_1 replication=3 cleanup.policy=compact\r\n"
      "bare.topic\n");
  ASSERT_TRUE(topics.ok()) << topics.status();
  ASSERT_EQ(topics->size(), 3u);
  EXPECT_EQ((*topics)[0].name, "remiss.referrals.events.v1");
  EXPECT_EQ((*topics)[0].partitions, 6);
  EXPECT_EQ((*topics)[0].replication_factor, -1);
  EXPECT_THAT((*topics)[0].config, ElementsAre(Pair("retention.ms", "-1")));
  EXPECT_EQ((*topics)[1].name, "other-topic_1");
  EXPECT_EQ((*topics)[1].partitions, 1);
  EXPECT_EQ((*topics)[1].replication_factor, 3);
  EXPECT_THAT((*topics)[1].config, ElementsAre(Pair("cleanup.policy", "compact")));
  EXPECT_EQ((*topics)[2].name, "bare.topic");
  EXPECT_EQ((*topics)[2].replication_factor, -1);
  EXPECT_TRUE((*topics)[2].config.empty());
}

TEST(ParseTopicDefinitions, EmptyTextHasNoTopics) {
  auto topics = ParseTopicDefinitions("# nothing\n\n   \n");
  ASSERT_TRUE(topics.ok());
  EXPECT_TRUE(topics->empty());
}

TEST(ParseTopicDefinitions, RejectsMistakesNamingTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"a partitions=0", "line 1: partitions"},
           Case{"a partitions=x", "partitions"},
           Case{"a replication=0", "replication"},
           Case{"a replication=-2", "replication"},
           Case{"# c\nbad/name", "line 2: invalid topic name"},
           Case{"..", "invalid topic name"},
           Case{"a novalue", "key=value"},
           Case{"a =1", "key=value"},
           Case{"a k=", "key=value"},
           Case{"a k=1 k=2", "given twice"},
           Case{"a\nb\na", "line 3: topic 'a' defined twice"},
       }) {
    auto topics = ParseTopicDefinitions(c.text);
    ASSERT_FALSE(topics.ok()) << c.text;
    EXPECT_EQ(topics.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(topics.status().message()), HasSubstr(c.message)) << c.text;
  }
}

TEST(BuiltinTopics, DefineEverySourceTopicKeptForever) {
  const auto& topics = BuiltinTopics();
  ASSERT_EQ(topics.size(), 8u) << "infra/kafka/topics.conf did not parse";
  for (const char* source : {"referrals", "responses", "deadlines", "followup"}) {
    auto it = std::find_if(topics.begin(), topics.end(),
                           [&](const TopicDefinition& t) { return t.name == TopicFor(source); });
    ASSERT_NE(it, topics.end()) << source;
    EXPECT_GE(it->partitions, 1);
    EXPECT_EQ(it->config.at("retention.ms"), "-1") << source;
  }
}

TEST(BuiltinTopics, DefineEverySourceWatermarkTopicCompactedInOnePartition) {
  const auto& topics = BuiltinTopics();
  for (const char* source : {"referrals", "responses", "deadlines", "followup"}) {
    const std::string name = std::string("remiss.") + source + ".watermarks.v1";
    auto it = std::find_if(topics.begin(), topics.end(),
                           [&](const TopicDefinition& t) { return t.name == name; });
    ASSERT_NE(it, topics.end()) << name;
    EXPECT_EQ(it->partitions, 1) << name;
    EXPECT_EQ(it->config.at("cleanup.policy"), "compact") << name;
  }
}

}  // namespace
}  // namespace remiss::core

namespace remiss::core {
namespace {

TopicDefinition EventsTopic() {
  for (const TopicDefinition& t : BuiltinTopics()) {
    if (t.name == "remiss.responses.events.v1") return t;
  }
  return {};
}

TopicState AsDefined(const TopicDefinition& t) {
  TopicState s{.partitions = t.partitions, .config = t.config};
  s.config["segment.ms"] = "604800000";  // settings the definition leaves alone don't matter
  return s;
}

TEST(CheckTopicKeepsHistory, ATopicAsDefinedOrSaferPasses) {
  const TopicDefinition want = EventsTopic();
  ASSERT_FALSE(want.name.empty());
  EXPECT_TRUE(CheckTopicKeepsHistory(want, AsDefined(want)).ok());
  TopicState production = AsDefined(want);
  production.config["min.insync.replicas"] = "2";
  production.config["max.message.bytes"] = "8388608";
  EXPECT_TRUE(CheckTopicKeepsHistory(want, production).ok());
}

TEST(CheckTopicKeepsHistory, ATopicThatWouldLoseHistoryIsRefusedNamingTheSetting) {
  const TopicDefinition want = EventsTopic();
  const std::vector<std::pair<std::string, std::string>> losing = {
      {"retention.ms", "604800000"}, {"retention.bytes", "1073741824"},
      {"cleanup.policy", "compact"}, {"max.message.bytes", "1048588"}};
  for (const auto& [key, value] : losing) {
    TopicState have = AsDefined(want);
    have.config[key] = value;
    absl::Status s = CheckTopicKeepsHistory(want, have);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << key;
    EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat(key, " is ", value))) << s;
  }
  TopicState fewer = AsDefined(want);
  fewer.partitions = 3;
  EXPECT_THAT(std::string(CheckTopicKeepsHistory(want, fewer).message()),
              HasSubstr("the partition count is 3 but must be 6"));
}

}  // namespace
}  // namespace remiss::core

namespace remiss::core {
namespace {

TEST(ProductionTopics, KeepAtLeastTheHistoryTheServicesCheckFor) {
  std::ifstream in(std::string(REMISS_SOURCE_DIR) + "/infra/kafka/topics.production.conf");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto production = ParseTopicDefinitions(text.str());
  ASSERT_TRUE(production.ok()) << production.status();
  ASSERT_EQ(production->size(), BuiltinTopics().size());
  for (const TopicDefinition& want : BuiltinTopics()) {
    auto have = std::find_if(production->begin(), production->end(),
                             [&](const TopicDefinition& t) { return t.name == want.name; });
    ASSERT_NE(have, production->end()) << want.name;
    EXPECT_EQ(have->replication_factor, 3) << want.name;
    EXPECT_EQ(have->config.at("min.insync.replicas"), "2") << want.name;
    EXPECT_TRUE(CheckTopicKeepsHistory(want, {.partitions = have->partitions, .config = have->config}).ok())
        << CheckTopicKeepsHistory(want, {.partitions = have->partitions, .config = have->config});
  }
}

}  // namespace
}  // namespace remiss::core
