// The watermarks a reader of a store may publish as it goes: it takes the store's Settled()
// marks now and then and, once everything up to a mark's position is handled (delivered,
// confirmed), may claim that mark's instant. That lets a watermark advance under steady load,
// not only when the reader has caught up. Bounded; not thread-safe (one reader's thread).
#pragma once

#include <cstdint>
#include <deque>

#include "absl/time/time.h"
#include "remiss/core/store/event_store.h"

namespace remiss::core {

class SettledMarks {
 public:
  explicit SettledMarks(size_t max = 256) : max_(max < 2 ? 2 : max) {}

  // Remembers a mark (one that adds nothing to the newest kept is dropped).
  void Offer(SettledMark mark);
  // The newest instant whose mark is at or below `handled` (InfinitePast: none yet); marks
  // up to it are forgotten. Never goes back.
  absl::Time Reached(uint64_t handled);

 private:
  size_t max_;
  std::deque<SettledMark> marks_;  // positions and instants increasing
  absl::Time reached_ = absl::InfinitePast();
};

}  // namespace remiss::core
