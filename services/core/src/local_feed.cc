#include "remiss/core/local_feed.h"

namespace remiss::core {

absl::Status LocalFeed::Start(CursorLookup cursors, Handler handler) {
  if (thread_.joinable()) return absl::FailedPreconditionError("the feed is already running");
  std::optional<FeedCursor> cursor = cursors(source_->source(), 0);
  const uint64_t next = cursor ? cursor->position + 1 : 1;
  stop_ = false;
  thread_ = std::thread([this, next, handler = std::move(handler)] { Loop(next, handler); });
  return absl::OkStatus();
}

void LocalFeed::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status LocalFeed::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::Time LocalFeed::Watermark() const {
  absl::MutexLock lock(&mu_);
  return watermark_;
}

void LocalFeed::Loop(uint64_t next, Handler handler) {
  while (!stop_) {
    // Read before looking: whatever was recorded before `settled` is committed, so once the
    // log has nothing more, everything recorded before it has been handled.
    const absl::Time settled = source_->SettledUntil();
    if (!source_->WaitForPosition(next - 1, absl::ZeroDuration())) {
      {
        absl::MutexLock lock(&mu_);
        watermark_ = std::max(watermark_, settled);
      }
      source_->WaitForPosition(next - 1, absl::Milliseconds(50));
      continue;
    }
    auto events = source_->ReadLog(next, batch_);
    absl::Status s = events.status();
    if (s.ok() && !events->empty()) {
      std::vector<FeedEvent> batch;
      batch.reserve(events->size());
      for (auto& e : *events) {
        const int64_t offset = static_cast<int64_t>(e.position());
        batch.push_back(FeedEvent{source_->source(), 0, offset, std::move(e)});
      }
      next = batch.back().envelope.position() + 1;
      s = handler(batch);
    }
    if (!s.ok()) {
      absl::MutexLock lock(&mu_);
      status_ = s;
      return;
    }
  }
}

}  // namespace remiss::core
