// The folds of each service's public events into its public view message, owned by the
// publishing service and used by it and by its consumers: here the responses service's
// remiss.v1.ResponseEvent into its remiss.v1.Response. Pure functions: no I/O, no clock.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "remiss/v1/responses.pb.h"
#include "remiss/v1/responses_events.pb.h"

namespace remiss::views {

// Applies a response event recorded as stream version `version` (of the response's stream)
// at `recorded_at`. Ignores RoundTermsRecorded (the round's stream, not the response's).
// referral_id and org_id are filled from the event while the view has none; a FactCorrected
// replaces the fact it names if that fact is still in force; submitted_at, declined_at and
// supplemented_at default to `recorded_at` when the event carries none.
void EvolveResponse(remiss::v1::Response& state, const remiss::v1::ResponseEvent& event,
                    uint64_t version, absl::Time recorded_at);

// The response's stage; AWAITING for a view nothing has been recorded in yet.
[[nodiscard]] remiss::v1::ResponseStage StageOf(const remiss::v1::Response& r);

// Whether the body has answered: it submitted its answer, or declared that it declines
// (avstår; a body that declines HAS answered). Its negation is "ej inkommit" (not received).
// The one definition that the status board, the compilation, the organization view, their
// totals and remissctl use.
[[nodiscard]] bool HasAnswered(remiss::v1::ResponseStage stage);

// A stage in words, as the status board shows it: "awaiting", "registered", "in preparation",
// "drafted", "attested", "decided", "submitted", "declined" ("awaiting" for anything else).
[[nodiscard]] absl::string_view StageWords(remiss::v1::ResponseStage stage);

// The name of a correctable fact, as RecordedCorrection.fact says it ("ResponseRegistered",
// ...); empty for an event that cannot be corrected.
[[nodiscard]] absl::string_view FactName(remiss::v1::ResponseEvent::EventCase kind);

// What kind of event a correction's replacement is (FactCorrected's and CorrectFactRequest's
// oneofs share their field numbers, so one mapping serves both).
[[nodiscard]] remiss::v1::ResponseEvent::EventCase ReplacementKind(int replacement_field_number);

}  // namespace remiss::views
