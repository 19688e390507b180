// libFuzzer: the responses domain's Decide on arbitrary requests of every command type,
// against arbitrary round terms and an arbitrary response so far (or none), then Evolve over
// what it decided. Decide may refuse; it must never crash or trip a sanitizer.
#include <fuzzer/FuzzedDataProvider.h>

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "remiss/responses/domain.h"

namespace {

using namespace remiss::v1;
using remiss::responses::DecisionContext;
using remiss::responses::Events;
using remiss::responses::Subject;

template <typename Request>
absl::StatusOr<Events> DecideOn(const std::string& bytes, const Subject& subject,
                                const DecisionContext& ctx) {
  Request request;
  if (!request.ParseFromString(bytes)) return absl::InvalidArgumentError("unparsable");
  return remiss::responses::Decide(request, subject, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // quiet about invalid UTF-8 it refuses
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int command = in.ConsumeIntegralInRange<int>(0, 10);
  const absl::Time now = absl::FromUnixSeconds(in.ConsumeIntegralInRange<int64_t>(0, 4102444800));
  const DecisionContext ctx{.now = now, .today = absl::ToCivilDay(now, absl::UTCTimeZone())};
  RoundTermsRecorded terms;
  Response response;
  Subject subject;
  if (in.ConsumeBool() && terms.ParseFromString(in.ConsumeRandomLengthString(2048))) subject.terms = &terms;
  if (in.ConsumeBool() && response.ParseFromString(in.ConsumeRandomLengthString(2048))) subject.response = &response;
  ResponseEvent corrected;
  const bool has_corrected =
      in.ConsumeBool() && corrected.ParseFromString(in.ConsumeRandomLengthString(1024));
  const std::string bytes = in.ConsumeRemainingBytesAsString();

  absl::StatusOr<Events> events;
  switch (command) {
    case 0: events = DecideOn<RegisterResponseRequest>(bytes, subject, ctx); break;
    case 1: events = DecideOn<AssignCaseOfficerRequest>(bytes, subject, ctx); break;
    case 2: events = DecideOn<RecordConsultationRequest>(bytes, subject, ctx); break;
    case 3: events = DecideOn<RecordStatementRequest>(bytes, subject, ctx); break;
    case 4: events = DecideOn<AttestStatementRequest>(bytes, subject, ctx); break;
    case 5: events = DecideOn<RecordBoardDecisionRequest>(bytes, subject, ctx); break;
    case 6: events = DecideOn<RecordDelegationDecisionRequest>(bytes, subject, ctx); break;
    case 7: events = DecideOn<SubmitResponseRequest>(bytes, subject, ctx); break;
    case 8: events = DecideOn<DeclineResponseRequest>(bytes, subject, ctx); break;
    case 9: events = DecideOn<SupplementResponseRequest>(bytes, subject, ctx); break;
    default: {
      CorrectFactRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      events = remiss::responses::Decide(request, subject, has_corrected ? &corrected : nullptr, ctx);
    }
  }
  if (events.ok()) {
    Response folded = subject.response != nullptr ? response : Response();
    uint64_t version = 1;
    for (const ResponseEvent& e : *events) remiss::responses::Evolve(folded, e, version++, now);
  }
  return 0;
}
