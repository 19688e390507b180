// The checks every decider of the responses domain makes after a command's own fields: the
// subject (the round known, the org an addressee asked to answer, the round's state) and the
// response's stage; plus the small helpers the deciders share. Private to the domain library.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "remiss/responses/domain.h"

namespace remiss::responses::internal {

// Whether two facts are the same (a repeated command that changes nothing records nothing).
[[nodiscard]] bool SameMessage(const google::protobuf::Message& a,
                               const google::protobuf::Message& b);
// One event as the list a decider returns.
[[nodiscard]] Events One(remiss::v1::ResponseEvent event);
// UNSPECIFIED asks for an answer, like REQUIRED.
[[nodiscard]] remiss::v1::AnswerKind ResolvedAnswer(remiss::v1::AnswerKind answer);

// ---- the subject: the round and the addressee ----
[[nodiscard]] const remiss::v1::RequestedAnswer* FindAddressee(
    const remiss::v1::RoundTermsRecorded& terms, absl::string_view org_id);
[[nodiscard]] remiss::v1::RequestedAnswer* FindAddressee(remiss::v1::RoundTermsRecorded& terms,
                                                         absl::string_view org_id);
// referral_id and org_id given (INVALID_ARGUMENT).
[[nodiscard]] absl::Status RequireIds(absl::string_view referral_id, absl::string_view org_id);

enum class RoundRule {
  kOpenOnly,   // every command that records the board's work
  kAnyState,   // a correction: the public record can always be corrected
};

// The checks common to every command, after its own fields: the round known, the org an
// addressee asked for an answer (and not removed), the round's state.
[[nodiscard]] absl::Status CheckSubject(absl::string_view referral_id, absl::string_view org_id,
                                        const Subject& subject, RoundRule rule);
// The referral id the events carry: the round's own id (the command may name the round by
// its case number).
[[nodiscard]] std::string EventReferralId(const Subject& subject,
                                          absl::string_view cmd_referral_id);

// ---- stages ----
[[nodiscard]] absl::Status WrongStage(const remiss::v1::Response& r, absl::string_view why);
// After submission only a supplement (or a correction), after a decline only a correction.
[[nodiscard]] absl::Status RequireNotFinished(const remiss::v1::Response& r);
[[nodiscard]] bool IsBefore(const remiss::v1::Response& r, remiss::v1::ResponseStage stage);
// REGISTERED..ATTESTED: the board's administration is preparing the answer.
[[nodiscard]] absl::Status RequirePreparing(const remiss::v1::Response& r, absl::string_view what);
// DRAFTED or ATTESTED, and not yet decided (ALREADY_EXISTS naming `field` otherwise).
[[nodiscard]] absl::Status RequireUndecidedStatement(const remiss::v1::Response& r,
                                                     absl::string_view field,
                                                     absl::string_view what);

}  // namespace remiss::responses::internal
