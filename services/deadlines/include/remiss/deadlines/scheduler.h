// Fires the deadlines service's timers as the clock passes them: a thread that, a few times
// a second, runs FireDueTimers on the store's writer until nothing more is due. Every timer
// (due, reminder, at-risk) waits for the responses feed's watermark. Timers live in RocksDB: a restart fires what
// came due while the service was down, once. Thread-safe.
#pragma once

#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "remiss/core/base/stop_flag.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"

namespace remiss::deadlines {

class Scheduler {
 public:
  // Neither is owned; both must outlive the scheduler.
  Scheduler(core::EventStore* store, const core::Feed* responses_feed)
      : store_(store), feed_(responses_feed) {}
  ~Scheduler() { Stop(); }

  void Start();
  void Stop();
  // Fires everything due now, in transactions of at most `batch` timers; returns how many.
  [[nodiscard]] absl::StatusOr<size_t> FireAllDue(size_t batch = 500);
  // Every timer due before this instant has fired (the feed's watermark when FireAllDue last
  // found nothing more due); the infinite past before that.
  absl::Time FiredThrough() const;

 private:
  core::EventStore* store_;
  const core::Feed* feed_;
  mutable absl::Mutex mu_;
  absl::Time fired_through_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  core::StopFlag stop_;
  std::thread thread_;
};

}  // namespace remiss::deadlines
