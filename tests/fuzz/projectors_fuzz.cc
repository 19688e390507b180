// libFuzzer: arbitrary bytes decoded as one event envelope (the seed corpus: real envelopes),
// or else as a sequence of them (FuzzedDataProvider picks the lengths), folded by each
// service's projector into an in-memory projection. A projector may refuse an event; it must never crash or trip a sanitizer.
#include <fuzzer/FuzzedDataProvider.h>

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "remiss/deadlines/projector.h"
#include "remiss/followup/projector.h"
#include "remiss/referrals/projector.h"
#include "remiss/responses/projector.h"
#include "remiss/v1/envelope.pb.h"
#include "tests/fuzz/memory_tx.h"

// Quiet: protobuf logs every string field with invalid UTF-8 it refuses to parse.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  remiss::referrals::ReferralsProjector referrals;
  remiss::responses::ResponsesProjector responses;
  remiss::deadlines::DeadlinesProjector deadlines;
  remiss::followup::FollowupProjector followup;
  remiss::core::Projector* projectors[] = {&referrals, &responses, &deadlines, &followup};
  remiss::fuzz::MemoryTx txs[4];
  remiss::v1::EventEnvelope whole;
  if (whole.ParseFromArray(data, static_cast<int>(size))) {
    for (int i = 0; i < 4; ++i) (void)projectors[i]->Apply(whole, txs[i]);
    for (int i = 0; i < 4; ++i) (void)projectors[i]->Apply(whole, txs[i]);  // and again
    return 0;
  }
  for (int n = 0; n < 16 && in.remaining_bytes() > 0; ++n) {
    const std::string bytes = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 4096));
    remiss::v1::EventEnvelope envelope;
    if (!envelope.ParseFromString(bytes)) continue;
    for (int i = 0; i < 4; ++i) (void)projectors[i]->Apply(envelope, txs[i]);
  }
  return 0;
}
