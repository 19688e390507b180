// The relay's checks before it publishes (relay_impl.h): the topics made where they may be
// (development), the source's topics as their definitions say, and the events topic still
// holding this store's history (its incarnation, within the log, not behind the cursor).
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "relay_impl.h"
#include "remiss/core/kafka/topic_reader.h"

namespace remiss::core {
namespace internal {
namespace {

constexpr absl::Duration kTopicAttempt = absl::Seconds(5);
// How often a relay looks again at a topic that does not keep history.
constexpr absl::Duration kTopicRecheck = absl::Seconds(10);

}  // namespace

// The definition of `name` in the topics in use; nullptr when it has none.
const TopicDefinition* KafkaRelay::Defined(const std::string& name) const {
  auto def = std::find_if(topics_.topics.begin(), topics_.topics.end(),
                          [&](const TopicDefinition& t) { return t.name == name; });
  return def == topics_.topics.end() ? nullptr : &*def;
}

// Development only: a production deployment's topics are made by its operator.
void KafkaRelay::EnsureTopicsExist() {
  if (!topics_.create_missing) return;
  while (!stop_) {
    absl::Status s = EnsureTopics(options_.brokers, topics_.topics, kTopicAttempt);
    if (s.ok()) return;
    LogOnce(absl::StrCat("creating topics: ", s.ToString(), " (retrying)"));
    Pause(kRetryBackoff);
  }
}

// Publishes nothing to a topic that would not keep the history (a finite retention, a
// compacted events topic, another partition count, fewer replicas than required...), nor
// while one of the source's topics is missing where topics are not created (production):
// health says which topic and setting, and the relay looks again every little while, for
// an operator may fix the topic.
void KafkaRelay::VerifyTopicKeepsHistory() {
  std::vector<TopicDefinition> mine;
  for (const std::string& name : {topic_, watermark_topic_}) {
    if (const TopicDefinition* def = Defined(name)) mine.push_back(*def);
  }
  while (!stop_) {
    absl::Status s = VerifyTopics(options_.brokers, mine, kTopicAttempt, topics_.file);
    if (s.ok()) {
      ClearProblem();
      return;
    }
    std::string why(s.message());
    if (absl::IsNotFound(s)) {
      why = topics_.create_missing
                ? absl::StrCat(why, " (retrying)")
                : absl::StrCat(why, ": with ", topics_.file,
                               " topics are created by the operator, with its settings "
                               "(kafka-topics.sh --create, or a Strimzi KafkaTopic), never by "
                               "a service; this relay publishes nothing until it exists");
    }
    LogOnce(why);
    const bool refused = absl::IsFailedPrecondition(s) || (absl::IsNotFound(s) && !topics_.create_missing);
    if (refused) NoteProblem(cursor_ + 1, why);
    if (absl::IsNotFound(s) && topics_.create_missing) EnsureTopicsExist();
    Pause(refused ? kTopicRecheck : kRetryBackoff);
  }
}

// The events topic must still be this store's history before anything goes on it:
//  - not another store's (this one was started afresh, or another data directory was put
//    in its place): two histories numbered from 1 each would be mixed;
//  - not ahead of the store (same incarnation; the store restored from a backup or its
//    log's tail lost): its positions past the store's log, or other events at them, are
//    a fork, and publishing would put other content at positions the topic holds;
//  - not behind the cursor (deleted and made again, a new cluster): publishing on from the
//    cursor would hide the loss from every consumer that starts from the beginning. An
//    operator's Republish answers this one.
// Until all three hold it publishes nothing; health says why and what to do, and the relay
// looks again every little while.
void KafkaRelay::VerifyTopicHoldsTheStoresHistory() {
  while (!stop_) {
    absl::StatusOr<TopicTail> tail = ReadTopicTail(options_.brokers, topic_);
    if (!tail.ok()) {
      LogOnce(absl::StrCat("reading the end of ", topic_, ": ", tail.status().ToString(),
                           " (retrying)"));
      Pause(kRetryBackoff);
      continue;
    }
    absl::Status s = core::CheckTopicIncarnation(*tail, topic_, store_->source(),
                                                 store_->incarnation(), store_->LastPosition());
    if (s.ok()) {
      s = CheckTopicWithinLog(*tail, topic_, store_->source(), store_->incarnation(),
                              store_->LastPosition(), [this](uint64_t position) {
                                return EventAt(position);
                              });
    }
    if (s.ok() && !republish_) s = CheckTopicHoldsTheCursor(*tail, store_->source(), cursor_);
    if (s.ok()) {
      ClearProblem();
      return;
    }
    LogOnce(std::string(s.message()));
    if (!absl::IsFailedPrecondition(s)) {  // the store could not be read: again soon
      Pause(kRetryBackoff);
      continue;
    }
    NoteProblem(cursor_ + 1, std::string(s.message()));
    Pause(kTopicRecheck);
  }
}

// The store's event at `position`; nullopt past the end of its log.
absl::StatusOr<std::optional<remiss::v1::EventEnvelope>> KafkaRelay::EventAt(
    uint64_t position) const {
  absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> read = store_->ReadLog(position, 1);
  if (!read.ok()) return read.status();
  if (read->empty() || read->front().position() != position) return std::nullopt;
  return std::move(read->front());
}

}  // namespace internal
}  // namespace remiss::core
