#include "remiss/core/kafka/restore.h"

#include "remiss/core/base/fault_points.h"
#include "remiss/core/telemetry/log.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/kafka/topic_reader.h"

namespace remiss::core {
namespace {

constexpr size_t kImportBatch = 2000;

}  // namespace

absl::StatusOr<RestoreSummary> RestoreAndSay(EventStore* store, const std::string& brokers) {
  const std::string topic = TopicFor(store->source());
  absl::StatusOr<RestoreSummary> restored = RestoreFromKafka(store, brokers);
  if (!restored.ok()) {
    return absl::Status(restored.status().code(),
                        absl::StrCat("restoring ", store->source(), " from ", topic, ": ",
                                     restored.status().message()));
  }
  std::cout << "restored " << store->source() << " from " << topic << ": "
            << restored->imported.events << " events (" << restored->duplicates
            << " duplicates dropped), incarnation " << restored->incarnation << ", "
            << restored->imported.feed_cursors << " feed cursors, "
            << restored->imported.command_records << " command records, projections digest "
            << restored->imported.digest.sha256 << std::endl;
  return restored;
}

absl::StatusOr<RestoreSummary> RestoreFromKafka(EventStore* store, const std::string& brokers) {
  if (store->ImportUnfinished()) {
    // A restore cut short (a crash, a kill): what it imported is thrown away and it starts over.
    LogMessage(store->source(), "restore_resumed",
               "the store holds a restore that was cut short: it is discarded and done again");
    if (absl::Status s = store->DiscardImport(); !s.ok()) return s;
  }
  if (store->LastPosition() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the ", store->source(), " store holds ", store->LastPosition(),
        " events: only an empty store is restored from Kafka"));
  }
  const std::string topic = TopicFor(store->source());
  RestoreSummary summary;
  std::vector<remiss::v1::EventEnvelope> batch;
  bool start_deleted = false;
  absl::Status read = ReadTopicToEnd(
      brokers, topic,
      [&](const PartitionRange& r) {
        if (r.low > 0) start_deleted = true;
        return r.low;
      },
      [&](const TopicMessage& m) -> absl::Status {
        remiss::v1::EventEnvelope& e = batch.emplace_back();
        if (!e.ParseFromArray(m.value.data(), static_cast<int>(m.value.size()))) {
          return absl::DataLossError(absl::StrCat(topic, "[", m.partition, "] offset ", m.offset,
                                                  " is not an event envelope"));
        }
        if (batch.size() < kImportBatch) return absl::OkStatus();
        absl::Status s = store->ImportEvents(batch, &summary.duplicates);
        batch.clear();
        return s;
      },
      absl::Seconds(60));
  if (absl::IsNotFound(read)) {
    return absl::NotFoundError(absl::StrCat("--restore-from-kafka: ", read.message()));
  }
  if (!read.ok()) return read;
  if (absl::Status s = store->ImportEvents(batch, &summary.duplicates); !s.ok()) return s;
  REMISS_FAULT_POINT("restore.before_finish");
  absl::StatusOr<ImportResult> imported = store->FinishImport();
  if (!imported.ok()) {
    if (start_deleted) {
      return absl::DataLossError(absl::StrCat(
          imported.status().message(), "; the topic no longer holds its first events (its "
          "retention deleted them): it does not keep the history a restore needs"));
    }
    return imported.status();
  }
  summary.imported = *imported;
  summary.incarnation = store->incarnation();
  if (absl::Status s = store->PutMeta(kRelayCursorKey, EncodeU64(imported->events)); !s.ok()) {
    return s;
  }
  return summary;
}

}  // namespace remiss::core
