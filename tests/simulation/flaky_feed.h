// A feed whose consumer now and then fails a batch with a transient error (storage busy),
// as the simulation's scheduler says: the feed under it (LocalFeed or KafkaFeed) must pause
// that partition and deliver the same events again, never end the process or skip them.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "remiss/core/feeds/feed.h"

namespace remiss::sim {

// What the scheduler sets: how many of the next batches fail. Shared by a service's feeds.
struct HandlerFaults {
  std::atomic<int> fail_next{0};
  std::atomic<int64_t> failed{0};
};

class FlakyFeed final : public core::Feed {
 public:
  FlakyFeed(std::unique_ptr<core::Feed> feed, std::shared_ptr<HandlerFaults> faults)
      : feed_(std::move(feed)), faults_(std::move(faults)) {}

  absl::Status Start(CursorLookup cursors, Handler handler) override {
    return feed_->Start(std::move(cursors),
                        [faults = faults_, handler = std::move(handler)](
                            const std::vector<core::FeedEvent>& batch) -> absl::Status {
                          int n = faults->fail_next.load();
                          while (n > 0 && !faults->fail_next.compare_exchange_weak(n, n - 1)) {
                          }
                          if (n > 0) {
                            ++faults->failed;
                            return absl::UnavailableError(
                                "simulated: the store is busy (a transient handler error)");
                          }
                          return handler(batch);
                        });
  }
  void Stop() override { feed_->Stop(); }
  absl::Status status() const override { return feed_->status(); }
  absl::Time Watermark() const override { return feed_->Watermark(); }
  std::vector<core::ParkedEvent> Parked() const override { return feed_->Parked(); }
  absl::Status Resume(const std::string& source, int32_t partition) override {
    return feed_->Resume(source, partition);
  }
  std::optional<int64_t> LastOffset(const std::string& source, int32_t partition) const override {
    return feed_->LastOffset(source, partition);
  }
  std::string kind() const override { return feed_->kind(); }

 private:
  std::unique_ptr<core::Feed> feed_;
  std::shared_ptr<HandlerFaults> faults_;
};

}  // namespace remiss::sim
