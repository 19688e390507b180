#include "remiss/deadlines/scheduler.h"

#include <algorithm>
#include <iostream>

#include "remiss/core/telemetry/log.h"
#include "remiss/deadlines/reactions.h"

namespace remiss::deadlines {

absl::StatusOr<size_t> Scheduler::FireAllDue(size_t batch) {
  size_t total = 0;
  while (true) {
    size_t fired = 0;
    const absl::Time watermark = feed_->Watermark();
    auto r = store_->Execute({}, [&](core::Tx& tx) -> absl::Status {
      auto n = FireDueTimers(tx, watermark, batch);
      if (!n.ok()) return n.status();
      fired = *n;
      return absl::OkStatus();
    });
    if (!r.ok()) return r.status();
    total += fired;
    if (fired < batch) {
      absl::MutexLock lock(&mu_);
      fired_through_ = std::max(fired_through_, watermark);
      return total;
    }
  }
}

absl::Time Scheduler::FiredThrough() const {
  absl::MutexLock lock(&mu_);
  return fired_through_;
}

void Scheduler::Start() {
  stop_.Reset();
  thread_ = std::thread([this] {
    do {
      if (auto fired = FireAllDue(); !fired.ok()) {
        core::LogMessage("deadlines", "timers_failed", fired.status().ToString());
      }
    } while (stop_.SleepFor(absl::Milliseconds(100)));
  });
}

void Scheduler::Stop() {
  stop_.Stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace remiss::deadlines
