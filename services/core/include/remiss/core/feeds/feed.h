// Feeds deliver another source's events to a consumer: KafkaFeed reads the source's topic
// (separate processes), LocalFeed tails the source's EventStore (remissd, one process).
// The same FeedConsumer runs behind both.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::core {

struct FeedEvent {
  std::string source;
  int32_t partition = 0;
  int64_t offset = 0;  // Kafka offset; for LocalFeed the source position
  remiss::v1::EventEnvelope envelope;
  // The producer's trace context (KafkaFeed: the ce_traceparent header; a child of the
  // envelope's); empty: the envelope's traceparent is the consumer span's parent.
  std::string traceparent;
};

// An event the consumer could not apply, for a reason other than a transient one: its
// (source, partition) waits for an operator (retry or skip); the rest goes on. Or no event
// at all: the consumer's cursor is ahead of what the source holds (`ahead`).
struct ParkedEvent {
  std::string source;
  int32_t partition = 0;
  uint64_t position = 0;  // 0 when the message was not even an envelope
  int64_t offset = 0;
  std::string event_id;
  std::string event_type;
  std::string partition_key;
  std::string reason;  // the error
  // The envelope's own source and incarnation (empty when the message was not an envelope).
  // A skip moves the consumer's position cursor only past an event of the source's history
  // that the cursor follows (same source, same incarnation); past any other message it moves
  // only the offset.
  std::string envelope_source;
  std::string incarnation;
  // Parked because the consumer's cursor is ahead of what its source holds (a source
  // restored to an earlier point, a topic that lost its tail): there is no event to skip; a
  // retry looks again, from the consumer's cursor.
  bool ahead = false;
};

// Whether skipping `parked` may move the position cursor `cursor` (that of the same source
// and partition): only for an envelope of that source, of the cursor's incarnation.
[[nodiscard]] bool IsOwnEvent(const ParkedEvent& parked, const std::optional<FeedCursor>& cursor);

// A running delivery of events. Start() begins delivering batches to the handler from a
// thread of the feed's own. A handler error that IsTransient (feed_failures.h) delivers the
// same events again after a backoff; any other parks the event it names (FailedEventIndex;
// else the batch's first) with its source/partition: what came before it is delivered, other
// sources and partitions go on, and that one waits for Resume(). status() is an error only
// when the feed itself stopped (say a fatal broker error). Stop() waits for the thread.
// Thread-safe.
class Feed {
 public:
  using Handler = std::function<absl::Status(const std::vector<FeedEvent>&)>;
  // Where to resume: the consumer's stored cursor for (source, partition), if any.
  using CursorLookup = std::function<std::optional<FeedCursor>(const std::string&, int32_t)>;

  virtual ~Feed() = default;
  [[nodiscard]] virtual absl::Status Start(CursorLookup cursors, Handler handler) = 0;
  virtual void Stop() = 0;
  // OK while running; the handler's or the feed's error once stopped by one.
  [[nodiscard]] virtual absl::Status status() const = 0;
  // Every event its sources recorded before this instant has been delivered and handled
  // (InfinitePast while that is not known). What a consumer may conclude from absence, e.g.
  // that no answer came before a deadline, it concludes only up to here.
  [[nodiscard]] virtual absl::Time Watermark() const { return absl::InfinitePast(); }
  // The events parked now, one per parked source/partition.
  [[nodiscard]] virtual std::vector<ParkedEvent> Parked() const { return {}; }
  // Delivers a parked source/partition again from the consumer's stored cursor (after a fix;
  // or after FeedConsumer::Skip moved the cursor past the event). NOT_FOUND when not parked.
  [[nodiscard]] virtual absl::Status Resume(const std::string& source, int32_t partition) {
    return absl::UnimplementedError("this feed does not park events");
  }
  // The last offset its source holds in `partition` as far as the feed knows (for the lag of
  // a consumer: this minus the consumer's cursor offset); nullopt when it does not know.
  [[nodiscard]] virtual std::optional<int64_t> LastOffset(const std::string& source,
                                                          int32_t partition) const {
    return std::nullopt;
  }
  // What its cursors mean: "local" (offset = source position, partition 0) or "kafka" (Kafka
  // offsets per partition). A consumer's store keeps the kind that wrote its cursors and
  // refuses the other (FeedConsumer::Run). Empty: not checked (test doubles).
  [[nodiscard]] virtual std::string kind() const { return ""; }
};

// Applies delivered events to a consumer's store: per batch one transaction that skips
// anything at or below the stored cursor of its (source, partition), calls `apply` for the
// rest, and stores the new cursors in the same WriteBatch. An `apply` error comes back marked
// with its event's index in the batch (AtEvent). Thread-safe.
class FeedConsumer {
 public:
  using Apply = std::function<absl::Status(const FeedEvent&, Tx&)>;
  FeedConsumer(EventStore* store, Apply apply) : store_(store), apply_(std::move(apply)) {}

  // Runs the feed into this consumer (the feed must outlive it). A consumer may run several
  // feeds (followup); Run them all before using Retry or Skip. FAILED_PRECONDITION, naming
  // both, when the store's cursors were written by a feed of another kind (remissd's local
  // feeds vs the separate services' Kafka feeds): their offsets mean different things.
  [[nodiscard]] absl::Status Run(Feed& feed);
  // One batch, as a feed's handler would deliver it.
  [[nodiscard]] absl::Status Consume(const std::vector<FeedEvent>& batch);

  // An operator's repair of a parked event: Retry delivers it again; Skip records a
  // FeedEventSkipped (actor: the operator, with the reason) and moves the cursor past it in
  // one transaction, then resumes. The skipped message is named by `position`, and by
  // `offset` when given; a message that is not an envelope (position 0) only by its offset.
  // Past an event of the source's own history the cursor's position and offset move; past
  // anything else (not an envelope, another source's envelope, another incarnation's) only
  // its offset, so that the source's genuine events below it are still applied.
  // NOT_FOUND when (source, partition) is not parked; INVALID_ARGUMENT naming `position` or
  // `offset` when it is not the parked event's (or `offset` missing for position 0),
  // `reason` when empty; FAILED_PRECONDITION for a feed parked ahead of its source (nothing
  // to skip).
  [[nodiscard]] absl::StatusOr<ParkedEvent> Retry(const std::string& source, int32_t partition);
  [[nodiscard]] absl::StatusOr<std::pair<ParkedEvent, CommitResult>> Skip(
      const std::string& source, int32_t partition, uint64_t position,
      std::optional<int64_t> offset, const remiss::v1::Actor& actor, const std::string& reason);

 private:
  // The parked event of (source, partition) and the feed that holds it.
  absl::StatusOr<std::pair<ParkedEvent, Feed*>> FindParked(const std::string& source,
                                                           int32_t partition) const;

  EventStore* store_;
  Apply apply_;
  std::vector<Feed*> feeds_;  // set by Run
  std::string kind_;          // the feeds' kind (Feed::kind), set by Run; kept on what they apply
};

}  // namespace remiss::core
