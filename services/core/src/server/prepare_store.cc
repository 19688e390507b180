// The start-up check of a module's store (prepare_store.h).
#include "remiss/core/server/prepare_store.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/kafka/restore.h"
#include "remiss/core/server/restore_gate.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/topic_reader.h"

namespace remiss::core {
namespace {

// Kept in the store's meta once its topic was found to hold no earlier store's events: the
// incarnation it was checked for. Such a store starts again without the broker (a restart
// during a Kafka outage); a store that lost its disk comes back with no such mark.
constexpr absl::string_view kTopicCheckedKey = "topic-checked";

}  // namespace

absl::Status PrepareStore(EventStore* store, const ModuleSettings& settings) {
  if (store->ImportUnfinished()) {
    if (!settings.restore_from_kafka || settings.kafka_brokers.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the ", store->source(), " store holds a restore from Kafka that was cut short (it "
          "stopped before its end): it does not serve like this. Start again with "
          "--restore-from-kafka (and --kafka-brokers) to finish the restore"));
    }
    return RestoreAndSay(store, settings.kafka_brokers).status();
  }
  if (settings.kafka_brokers.empty() || store->LastPosition() != 0) return absl::OkStatus();
  const std::string topic = TopicFor(store->source());
  if (settings.restore_from_kafka) {
    return RestoreAndSay(store, settings.kafka_brokers).status();
  }
  if (store->GetMeta(kTopicCheckedKey) == store->incarnation()) return absl::OkStatus();
  // A fresh store must not start on a topic that holds an earlier store's events: it could
  // never publish what it records. So it waits for the broker's answer (within a budget).
  absl::StatusOr<TopicTail> tail = ReadTopicTail(settings.kafka_brokers, topic, absl::Seconds(10));
  const absl::Time give_up = absl::Now() + settings.topic_check_budget;
  absl::Duration pause = absl::Seconds(1);
  while (!tail.ok()) {
    if (absl::Now() + pause > give_up) {
      return absl::UnavailableError(absl::StrCat(
          "the ", store->source(), " store is empty and ", topic, " could not be read for ",
          absl::FormatDuration(settings.topic_check_budget), " (", tail.status().message(),
          "): it does not start fresh without knowing whether the topic holds an earlier "
          "store's events. Check --kafka-brokers and the broker, then start again"));
    }
    LogMessage(store->source(), "topic_unchecked",
               absl::StrCat("cannot tell yet whether ", topic, " holds an earlier store's events (",
                            tail.status().ToString(), "); asking again in ",
                            absl::FormatDuration(pause)));
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(30));
    tail = ReadTopicTail(settings.kafka_brokers, topic, absl::Seconds(10));
  }
  absl::Status fresh = CheckTopicIncarnation(*tail, topic, store->source(), store->incarnation(), 0);
  if (fresh.ok()) {
    // Not synced of its own: lost in a crash, the next start asks the broker again.
    if (absl::Status kept = store->PutMeta(kTopicCheckedKey, store->incarnation()); !kept.ok()) {
      LogMessage(store->source(), "topic_check_unkept", std::string(kept.message()));
    }
    return fresh;
  }
  if (settings.restore_gate == nullptr ||
      fresh.code() != absl::StatusCode::kFailedPrecondition) {
    return fresh;
  }
  // An operator restores it through the admin service (or stops this and uses the flag).
  if (absl::Status s = settings.restore_gate->Await(
          store->source(), absl::StrCat("its store is empty but ", topic, " holds events"));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<RestoreSummary> restored = RestoreAndSay(store, settings.kafka_brokers);
  const absl::Status status = restored.status();
  settings.restore_gate->Finish(store->source(), std::move(restored));
  return status;
}

absl::Status UpgradeProjections(EventStore& store, absl::string_view key, absl::string_view layout) {
  if (store.GetMeta(key) == layout) return absl::OkStatus();
  if (store.LastPosition() > 0) {
    if (auto rebuilt = store.RebuildProjections(); !rebuilt.ok()) return rebuilt.status();
  }
  return store.PutMeta(key, layout);
}

}  // namespace remiss::core
