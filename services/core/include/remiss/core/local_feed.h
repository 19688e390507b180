// A Feed that tails another EventStore in the same process (remissd). Partition 0; the
// offset is the source position.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "remiss/core/event_store.h"
#include "remiss/core/feed.h"

namespace remiss::core {

class LocalFeed final : public Feed {
 public:
  // `source` is not owned and must outlive the feed.
  explicit LocalFeed(const EventStore* source, size_t batch = 256)
      : source_(source), batch_(batch) {}
  ~LocalFeed() override { Stop(); }

  absl::Status Start(CursorLookup cursors, Handler handler) override;
  void Stop() override;
  absl::Status status() const override;
  absl::Time Watermark() const override;

 private:
  void Loop(uint64_t next, Handler handler);

  const EventStore* source_;
  size_t batch_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  absl::Time watermark_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace remiss::core
