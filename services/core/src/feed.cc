#include "remiss/core/feed.h"

#include <algorithm>

namespace remiss::core {

absl::Status FeedConsumer::Consume(const std::vector<FeedEvent>& batch) {
  if (batch.empty()) return absl::OkStatus();
  auto committed = store_->Execute(CommandMeta{}, [&](Tx& tx) -> absl::Status {
    for (const FeedEvent& event : batch) {
      std::optional<FeedCursor> cursor = tx.GetFeedCursor(event.source, event.partition);
      FeedCursor next{event.offset, event.envelope.position()};
      if (cursor && event.envelope.position() <= cursor->position) {
        // A repeat (the relay sent it again): consumed, not applied.
        next = FeedCursor{std::max(cursor->offset, event.offset), cursor->position};
      } else {
        absl::Status s = apply_(event, tx);
        if (!s.ok()) return s;
      }
      tx.SetFeedCursor(event.source, event.partition, next);
    }
    return absl::OkStatus();
  });
  return committed.status();
}

absl::Status FeedConsumer::Run(Feed& feed) {
  return feed.Start(
      [this](const std::string& source, int32_t partition) {
        return store_->GetFeedCursor(source, partition);
      },
      [this](const std::vector<FeedEvent>& batch) { return Consume(batch); });
}

}  // namespace remiss::core
