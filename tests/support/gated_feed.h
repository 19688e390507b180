// A Feed wrapped so that a test can hold its deliveries back (a lagging hop): while the gate
// is closed the handler waits before applying a batch, so neither the consumer's store nor
// the feed's watermark moves. Thread-safe.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "remiss/core/feeds/feed.h"

namespace remiss::testing {

class GatedFeed final : public core::Feed {
 public:
  explicit GatedFeed(std::unique_ptr<core::Feed> inner) : inner_(std::move(inner)) {}
  ~GatedFeed() override { Stop(); }

  absl::Status Start(CursorLookup cursors, Handler handler) override {
    return inner_->Start(std::move(cursors), [this, handler](const std::vector<core::FeedEvent>& b) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(&open_));
      }
      return handler(b);
    });
  }
  void Stop() override {
    Open();
    inner_->Stop();
  }
  absl::Status status() const override { return inner_->status(); }
  absl::Time Watermark() const override { return inner_->Watermark(); }
  std::vector<core::ParkedEvent> Parked() const override { return inner_->Parked(); }
  absl::Status Resume(const std::string& source, int32_t partition) override {
    return inner_->Resume(source, partition);
  }
  std::string kind() const override { return inner_->kind(); }

  void Close() {
    absl::MutexLock lock(&mu_);
    open_ = false;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }

 private:
  std::unique_ptr<core::Feed> inner_;
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace remiss::testing
