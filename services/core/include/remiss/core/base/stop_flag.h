// A stop flag for a thread that sleeps between turns: Stop() wakes a SleepFor at once, so a
// service stops in the time its threads take to finish a turn, not a polling interval.
#pragma once

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace remiss::core {

class StopFlag {
 public:
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }
  void Reset() {
    absl::MutexLock lock(&mu_);
    stopped_ = false;
  }
  // Sleeps for `d`, or until Stop(). Whether the thread should go on (not stopped).
  bool SleepFor(absl::Duration d) const {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopped_), d);
    return !stopped_;
  }

 private:
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace remiss::core
