// How a feed tells a transient failure (retry the same events after a backoff) from a poison
// event (park its source/partition for an operator), and which event of a batch failed.
// Plain functions and a small value type; thread-compatible.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace remiss::core {

// UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED, DEADLINE_EXCEEDED: storage or broker trouble
// that may pass; the same events are delivered again. Anything else is about the event.
[[nodiscard]] bool IsTransient(const absl::Status& s);

// `s` marked as caused by the batch's event at `index` (FeedConsumer does this).
[[nodiscard]] absl::Status AtEvent(absl::Status s, size_t index);
// The index AtEvent marked, if any.
[[nodiscard]] std::optional<size_t> FailedEventIndex(const absl::Status& s);

// Exponential backoff for transient failures: 50 ms, doubling, at most 5 s.
class Backoff {
 public:
  absl::Duration Next() {
    const absl::Duration d = next_;
    next_ = std::min(next_ * 2, absl::Seconds(5));
    return d;
  }
  void Reset() { next_ = absl::Milliseconds(50); }

 private:
  absl::Duration next_ = absl::Milliseconds(50);
};

}  // namespace remiss::core
