// ParseTopicDefinitions and the definitions compiled in from infra/kafka/topics.conf; a
// deployment's topics file (--kafka-topics-config); the pure checks of a topic's settings
// and of what it holds against a relay's store and cursor.
#include <gmock/gmock.h>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "remiss/core/server/flags.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/topic_reader.h"

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
  ASSERT_EQ(topics.size(), 10u) << "infra/kafka/topics.conf did not parse";
  for (const char* source : {"referrals", "responses", "deadlines", "followup", "notices"}) {
    auto it = std::find_if(topics.begin(), topics.end(),
                           [&](const TopicDefinition& t) { return t.name == TopicFor(source); });
    ASSERT_NE(it, topics.end()) << source;
    EXPECT_GE(it->partitions, 1);
    EXPECT_EQ(it->config.at("retention.ms"), "-1") << source;
  }
}

TEST(BuiltinTopics, DefineEverySourceWatermarkTopicCompactedInOnePartition) {
  const auto& topics = BuiltinTopics();
  for (const char* source : {"referrals", "responses", "deadlines", "followup", "notices"}) {
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

namespace remiss::core {
namespace {

// C14: a definition that names a replication factor is checked against the topic's; -1
// (development) leaves it to the broker.
TEST(CheckTopicKeepsHistory, FewerReplicasThanDefinedAreRefusedNamingTheDefinitionsFile) {
  TopicDefinition want = EventsTopic();
  TopicState have = AsDefined(want);
  have.replication_factor = 1;
  EXPECT_TRUE(CheckTopicKeepsHistory(want, have).ok()) << "replication=-1 checks nothing";
  want.replication_factor = 3;
  absl::Status s = CheckTopicKeepsHistory(want, have, "infra/kafka/topics.production.conf");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("the replication factor is 1 but must be at least 3 "
                        "(infra/kafka/topics.production.conf)"));
  have.replication_factor = 3;
  EXPECT_TRUE(CheckTopicKeepsHistory(want, have).ok());
}

// C14: a deployment's topics file, read as the servers read --kafka-topics-config.
TEST(ReadTopicsConfig, ReadsADeploymentsFileThatCreatesNothingAndNamesItInErrors) {
  const std::string file = std::string(REMISS_SOURCE_DIR) + "/infra/kafka/topics.production.conf";
  auto production = ReadTopicsConfig(file);
  ASSERT_TRUE(production.ok()) << production.status();
  EXPECT_EQ(production->file, file);
  EXPECT_FALSE(production->create_missing);
  EXPECT_EQ(production->topics.size(), BuiltinTopics().size());
  EXPECT_TRUE(DevelopmentTopics().create_missing);
  EXPECT_EQ(DevelopmentTopics().file, "infra/kafka/topics.conf");

  auto missing = ReadTopicsConfig("/nonexistent/topics.conf");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/topics.conf"));
}

TEST(ServerFlags, KafkaTopicsConfigNamesTheFileAndNeedsBrokers) {
  std::vector<std::string> args = {"remissd", "--kafka-brokers", "127.0.0.1:9092",
                                   "--kafka-topics-config", "infra/kafka/topics.production.conf"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  auto flags = ParseServerFlags(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->kafka_topics_config, "infra/kafka/topics.production.conf");

  std::vector<std::string> alone = {"remissd", "--kafka-topics-config=topics.conf"};
  argv.clear();
  for (std::string& a : alone) argv.push_back(a.data());
  auto refused = ParseServerFlags(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("--kafka-brokers"));
}

remiss::v1::EventEnvelope At(uint64_t position, const std::string& id,
                             const std::string& incarnation = "inc-1") {
  remiss::v1::EventEnvelope e;
  e.set_position(position);
  e.set_event_id(id);
  e.set_incarnation(incarnation);
  return e;
}

// C24: repeats of the first positions are not history the topic holds.
TEST(CheckTopicHoldsTheCursor, CountsPositionsNotResentDuplicates) {
  TopicTail duplicates{.events = 12, .last = {At(3, "e3"), At(2, "e2")}};
  EXPECT_EQ(HighestPosition(duplicates), 3u);
  absl::Status s = CheckTopicHoldsTheCursor(duplicates, "referrals", 10);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("reach position 3 only"));
  EXPECT_THAT(std::string(CheckTopicHoldsTheCursor(TopicTail{}, "referrals", 3).message()),
              HasSubstr("the topic holds 0 events but this relay had published 3"));
  TopicTail resent{.events = 15, .last = {At(10, "e10"), At(7, "e7")}};  // 6..10 sent twice
  EXPECT_TRUE(CheckTopicHoldsTheCursor(resent, "referrals", 10).ok());
  EXPECT_TRUE(CheckTopicHoldsTheCursor({}, "referrals", 0).ok());
}

// C5: the partitions' last events must be the store's events at those positions, with the
// same content (event ids alone are "<source>-<position>" on both sides of a fork).
TEST(CheckTopicWithinLog, ATopicAheadOfItsStoreOrHoldingOtherEventsHasForked) {
  auto on = [](remiss::v1::EventEnvelope e, const std::string& stream) {
    e.set_stream_id(stream);
    return e;
  };
  std::map<uint64_t, remiss::v1::EventEnvelope> store = {
      {1, on(At(1, "referrals-1"), "organization/a")},
      {2, on(At(2, "referrals-2"), "organization/b")},
      {3, on(At(3, "referrals-3"), "organization/other")}};
  auto event_at = [&](uint64_t p) -> absl::StatusOr<std::optional<remiss::v1::EventEnvelope>> {
    auto it = store.find(p);
    if (it == store.end()) return std::nullopt;
    return std::optional<remiss::v1::EventEnvelope>(it->second);
  };
  TopicTail same{.events = 2, .last = {store[2], store[1]}};
  EXPECT_TRUE(CheckTopicWithinLog(same, "t", "referrals", "inc-1", 3, event_at).ok());
  TopicTail ahead{.events = 5, .last = {store[2], on(At(5, "referrals-5"), "organization/e")}};
  absl::Status s = CheckTopicWithinLog(ahead, "t", "referrals", "inc-1", 3, event_at);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("holds position 5 (organization/e) but this "
                                                  "referrals store's log ends at position 3"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("forked"));
  TopicTail other{.events = 3, .last = {on(At(3, "referrals-3"), "organization/c")}};
  s = CheckTopicWithinLog(other, "t", "referrals", "inc-1", 3, event_at);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("holds another event at position 3 (organization/c, recorded 0) than "
                        "this referrals store (organization/other, recorded 0)"));
  // Another incarnation's events are CheckTopicIncarnation's; events from before
  // incarnations were kept are this store's.
  TopicTail foreign{.events = 9, .last = {At(9, "referrals-9", "inc-2")}};
  EXPECT_TRUE(CheckTopicWithinLog(foreign, "t", "referrals", "inc-1", 3, event_at).ok());
  TopicTail old{.events = 9, .last = {At(9, "referrals-9", "")}};
  EXPECT_FALSE(CheckTopicWithinLog(old, "t", "referrals", "inc-1", 3, event_at).ok());
}

}  // namespace
}  // namespace remiss::core
