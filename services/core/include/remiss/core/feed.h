// Feeds deliver another source's events to a consumer: KafkaFeed reads the source's topic
// (separate processes), LocalFeed tails the source's EventStore (remissd, one process).
// The same FeedConsumer runs behind both.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "remiss/core/event_store.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::core {

struct FeedEvent {
  std::string source;
  int32_t partition = 0;
  int64_t offset = 0;  // Kafka offset; for LocalFeed the source position
  remiss::v1::EventEnvelope envelope;
};

// A running delivery of events. Start() begins delivering batches to the handler from a
// thread of the feed's own; a handler error stops the feed (the event is not skipped) and
// is kept in status(). Stop() waits for that thread. Thread-safe.
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
};

// Applies delivered events to a consumer's store: per batch one transaction that skips
// anything at or below the stored cursor of its (source, partition), calls `apply` for the
// rest, and stores the new cursors in the same WriteBatch. Thread-safe.
class FeedConsumer {
 public:
  using Apply = std::function<absl::Status(const FeedEvent&, Tx&)>;
  FeedConsumer(EventStore* store, Apply apply) : store_(store), apply_(std::move(apply)) {}

  // Runs the feed into this consumer.
  [[nodiscard]] absl::Status Run(Feed& feed);
  // One batch, as a feed's handler would deliver it.
  [[nodiscard]] absl::Status Consume(const std::vector<FeedEvent>& batch);

 private:
  EventStore* store_;
  Apply apply_;
};

}  // namespace remiss::core
