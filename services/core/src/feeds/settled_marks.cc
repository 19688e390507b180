#include "remiss/core/feeds/settled_marks.h"

#include <algorithm>

namespace remiss::core {

void SettledMarks::Offer(SettledMark mark) {
  if (mark.until <= reached_) return;
  if (!marks_.empty()) {
    SettledMark& last = marks_.back();
    if (mark.until <= last.until) return;  // a later look at an earlier instant adds nothing
    if (mark.position <= last.position) {  // the same log, a later instant: it replaces
      last.until = mark.until;
      return;
    }
  }
  marks_.push_back(mark);
  if (marks_.size() > max_) {
    // Thin out the middle: the oldest (reached next) and the newest stay.
    std::deque<SettledMark> thinned;
    for (size_t i = 0; i < marks_.size(); ++i) {
      if (i == 0 || i + 1 == marks_.size() || i % 2 == 0) thinned.push_back(marks_[i]);
    }
    marks_ = std::move(thinned);
  }
}

absl::Time SettledMarks::Reached(uint64_t handled) {
  while (!marks_.empty() && marks_.front().position <= handled) {
    reached_ = std::max(reached_, marks_.front().until);
    marks_.pop_front();
  }
  return reached_;
}

}  // namespace remiss::core
