#include "remiss/core/feeds/feed_failures.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace remiss::core {
namespace {
constexpr char kFailedEvent[] = "remiss.core/failed-event-index";
}  // namespace

bool IsTransient(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

absl::Status AtEvent(absl::Status s, size_t index) {
  if (!s.ok()) s.SetPayload(kFailedEvent, absl::Cord(absl::StrCat(index)));
  return s;
}

std::optional<size_t> FailedEventIndex(const absl::Status& s) {
  auto payload = s.GetPayload(kFailedEvent);
  if (!payload) return std::nullopt;
  size_t index = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &index)) return std::nullopt;
  return index;
}

}  // namespace remiss::core
