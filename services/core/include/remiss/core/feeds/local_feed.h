// A Feed that tails another EventStore in the same process (remissd). Partition 0; the
// offset is the source position. Transient handler errors are retried with backoff; a poison
// event parks the feed (its one source/partition) until Resume(), and so does a consumer
// cursor past the source's last position (a source restored to an earlier point), checked
// at the start and at every resume.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"

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
  std::vector<ParkedEvent> Parked() const override;
  absl::Status Resume(const std::string& source, int32_t partition) override;
  std::string kind() const override { return "local"; }
  std::optional<int64_t> LastOffset(const std::string& source, int32_t partition) const override;

 private:
  // Where the feed goes on from: the next position (NextAfter), and the fingerprint of the
  // event the consumer applied just before it, when its cursor keeps one.
  struct From {
    uint64_t next = 1;
    std::string applied;
  };
  From FromCursor(const std::optional<FeedCursor>& cursor) const;
  void Loop(From from, Handler handler);
  // Waits (while parked) until Resume() or Stop(); true when resumed.
  bool WaitWhileParked();
  uint64_t NextAfter(const std::optional<FeedCursor>& cursor) const;
  // A park for a consumer about to read from `from.next` whose source was restored to an
  // earlier point: its cursor is past what the source holds, or the source holds another event
  // than the one the consumer applied there (it has recorded anew since). nullopt when it is
  // not; an error when the source's event could not be read. At the feed's start, a source
  // restored in this run is judged by where its restore ended, not by what it has recorded
  // since (its own feeds may have passed the cursor again already).
  absl::StatusOr<std::optional<ParkedEvent>> AheadOfSource(const From& from, bool at_start) const;

  const EventStore* source_;
  size_t batch_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mu_;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  absl::Time watermark_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::optional<ParkedEvent> parked_ ABSL_GUARDED_BY(mu_);
  bool resume_ ABSL_GUARDED_BY(mu_) = false;
  CursorLookup cursors_;  // the feed's thread only, after Start
};

}  // namespace remiss::core
