// libFuzzer: the followup domain's decisions (freeze, outcome, feedback, actions) on
// arbitrary requests against arbitrary round records (or none), then the status board and
// the compilation of the result. Never a crash or a sanitizer report.
#include <fuzzer/FuzzedDataProvider.h>

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "remiss/followup/domain.h"

namespace {

using namespace remiss::v1;
using remiss::followup::Events;
using remiss::followup::RoundRecords;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int command = in.ConsumeIntegralInRange<int>(0, 4);
  const absl::CivilDay today(in.ConsumeIntegralInRange<int>(1990, 2100),
                             in.ConsumeIntegralInRange<int>(1, 12), in.ConsumeIntegralInRange<int>(1, 28));
  RoundRecords round;
  const bool known = in.ConsumeBool();
  if (known) {
    (void)round.terms.ParseFromString(in.ConsumeRandomLengthString(2048));
    const int rows = in.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < rows; ++i) {
      const std::string org = in.ConsumeRandomLengthString(16);
      (void)round.responses[org].ParseFromString(in.ConsumeRandomLengthString(512));
      (void)round.deadlines[org].ParseFromString(in.ConsumeRandomLengthString(512));
      if (in.ConsumeBool()) round.feedback[org] = in.ConsumeRandomLengthString(64);
    }
    const int actions = in.ConsumeIntegralInRange<int>(0, 3);
    for (int i = 0; i < actions; ++i) {
      (void)round.actions.emplace_back().ParseFromString(in.ConsumeRandomLengthString(256));
    }
  }
  const uint32_t frozen = in.ConsumeIntegral<uint32_t>();
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  const RoundRecords* state = known ? &round : nullptr;

  absl::StatusOr<Events> events = absl::InvalidArgumentError("unparsable");
  switch (command) {
    case 0: {
      FreezeCompilationRequest r;
      if (r.ParseFromString(bytes)) events = remiss::followup::DecideFreeze(r, state, frozen);
      break;
    }
    case 1: {
      RecordOutcomeRequest r;
      if (r.ParseFromString(bytes)) events = remiss::followup::Decide(r, state);
      break;
    }
    case 2: {
      GiveFeedbackRequest r;
      if (r.ParseFromString(bytes)) events = remiss::followup::Decide(r, state);
      break;
    }
    case 3: {
      AssignActionRequest r;
      if (r.ParseFromString(bytes)) events = remiss::followup::Decide(r, state, today);
      break;
    }
    default: {
      ReportActionDoneRequest r;
      if (r.ParseFromString(bytes)) events = remiss::followup::Decide(r, state, today);
    }
  }
  if (events.ok()) {
    for (const FollowupEvent& e : *events) remiss::followup::FoldAction(round.actions, e);
  }
  (void)remiss::followup::BuildBoard(round, today);
  (void)remiss::followup::BuildCompilation(round);
  return 0;
}
