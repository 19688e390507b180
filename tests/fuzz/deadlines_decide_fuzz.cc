// libFuzzer: the deadlines domain's Decide on arbitrary requests of every command type,
// against an arbitrary deadline (or none) and board calendar, then Evolve over what it
// decided, and the timers of the result. Never a crash or a sanitizer report.
#include <fuzzer/FuzzedDataProvider.h>

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "remiss/deadlines/domain.h"

namespace {

using namespace remiss::v1;
using remiss::deadlines::DecisionContext;
using remiss::deadlines::Events;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int command = in.ConsumeIntegralInRange<int>(0, 4);
  const absl::Time now = absl::FromUnixSeconds(in.ConsumeIntegralInRange<int64_t>(0, 4102444800));
  const DecisionContext ctx{.now = now, .today = absl::ToCivilDay(now, absl::UTCTimeZone())};
  Deadline deadline;
  const bool has_deadline =
      in.ConsumeBool() && deadline.ParseFromString(in.ConsumeRandomLengthString(2048));
  BoardCalendar calendar;
  if (in.ConsumeBool()) (void)calendar.ParseFromString(in.ConsumeRandomLengthString(1024));
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  const Deadline* state = has_deadline ? &deadline : nullptr;

  absl::StatusOr<Events> events = absl::InvalidArgumentError("unparsable");
  switch (command) {
    case 0: {
      RequestExtensionRequest r;
      if (r.ParseFromString(bytes)) events = remiss::deadlines::Decide(r, state, ctx);
      break;
    }
    case 1: {
      DecideExtensionRequest r;
      if (r.ParseFromString(bytes)) events = remiss::deadlines::Decide(r, state, ctx);
      break;
    }
    case 2: {
      SetReminderPolicyRequest r;
      if (r.ParseFromString(bytes)) events = remiss::deadlines::Decide(r);
      break;
    }
    case 3: {
      RegisterBoardMeetingsRequest r;
      if (r.ParseFromString(bytes)) events = remiss::deadlines::Decide(r, calendar);
      break;
    }
    default: {
      CancelBoardMeetingRequest r;
      if (r.ParseFromString(bytes)) events = remiss::deadlines::Decide(r, calendar);
    }
  }
  if (!events.ok()) return 0;
  Deadline folded = has_deadline ? deadline : Deadline();
  uint64_t version = 1;
  for (const DeadlineEvent& e : *events) {
    remiss::deadlines::Evolve(folded, e, version++, now);
    remiss::deadlines::Evolve(calendar, e);
  }
  (void)remiss::deadlines::TimersFor(folded, remiss::deadlines::DefaultReminderDays(), {});
  return 0;
}
