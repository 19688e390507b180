// The subject and stage checks of the responses domain's deciders (see preconditions.h).
#include "preconditions.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/base/validation.h"
#include "google/protobuf/util/message_differencer.h"
#include "remiss/views/response_view.h"
#include "domain_names.h"

namespace remiss::responses::internal {

namespace {

absl::string_view StageName(ResponseStage stage) {
  if (stage == remiss::v1::RESPONSE_STAGE_UNSPECIFIED || stage == remiss::v1::RESPONSE_STAGE_AWAITING) {
    return "awaiting registration";
  }
  if (!remiss::v1::ResponseStage_IsValid(stage)) return "in no known stage";
  return views::StageWords(stage);
}

}  // namespace

bool SameMessage(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

Events One(ResponseEvent event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

AnswerKind ResolvedAnswer(AnswerKind answer) {
  return answer == remiss::v1::ANSWER_KIND_UNSPECIFIED ? remiss::v1::ANSWER_KIND_REQUIRED
                                                       : answer;
}

// ---- the subject: the round and the addressee ----

const RequestedAnswer* FindAddressee(const RoundTermsRecorded& terms, absl::string_view org_id) {
  for (const RequestedAnswer& a : terms.addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

RequestedAnswer* FindAddressee(RoundTermsRecorded& terms, absl::string_view org_id) {
  for (RequestedAnswer& a : *terms.mutable_addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

absl::Status RequireIds(absl::string_view referral_id, absl::string_view org_id) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", referral_id));
  return Required("org_id", org_id);
}

// The checks common to every command, after its own fields: the round known, the org an
// addressee asked for an answer (and not removed), the round's state.
absl::Status CheckSubject(absl::string_view referral_id, absl::string_view org_id,
                          const Subject& subject, RoundRule rule) {
  if (subject.terms == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "referral_id: round \"", referral_id,
        "\" is not known to the responses service (not issued yet, or its events have not "
        "arrived)"));
  }
  const RoundTermsRecorded& terms = *subject.terms;
  const RequestedAnswer* addressee = FindAddressee(terms, org_id);
  if (subject.response == nullptr || (addressee == nullptr && !subject.response->removed())) {
    return absl::NotFoundError(absl::StrCat("org_id: \"", org_id,
                                            "\" is not asked to answer round \"",
                                            terms.referral_id(), "\""));
  }
  if (subject.response->removed() || addressee == nullptr) {
    return absl::NotFoundError(absl::StrCat("org_id: \"", org_id,
                                            "\" is not asked to answer round \"",
                                            terms.referral_id(),
                                            "\" any more (it was removed as an addressee)"));
  }
  if (ResolvedAnswer(addressee->answer()) == remiss::v1::ANSWER_KIND_FOR_INFORMATION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "org_id: \"", org_id, "\" receives round \"", terms.referral_id(),
        "\" for information only (för kännedom); no answer is expected"));
  }
  if (rule == RoundRule::kAnyState) return absl::OkStatus();
  auto reason = [&] {
    return terms.reason().empty() ? std::string() : absl::StrCat(" (", terms.reason(), ")");
  };
  if (terms.state() == remiss::v1::ROUND_STATE_WITHDRAWN) {
    return absl::FailedPreconditionError(
        absl::StrCat("round_state: round \"", terms.referral_id(), "\" is withdrawn", reason(),
                     "; nothing more can be recorded for it"));
  }
  if (terms.state() == remiss::v1::ROUND_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat("round_state: round \"", terms.referral_id(), "\" is closed", reason(),
                     "; only a correction of the record can be made"));
  }
  return absl::OkStatus();
}

// The referral id the events carry: the round's own id (the command may name the round by
// its case number).
std::string EventReferralId(const Subject& subject, absl::string_view cmd_referral_id) {
  if (subject.terms != nullptr && !subject.terms->referral_id().empty()) {
    return subject.terms->referral_id();
  }
  return std::string(cmd_referral_id);
}

// ---- stages ----

absl::Status WrongStage(const Response& r, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("stage: the response is ", StageName(StageOf(r)), "; ", why));
}

// The terminal stages first: after submission only a supplement (or a correction), after a
// decline nothing (but a correction).
absl::Status RequireNotFinished(const Response& r) {
  switch (StageOf(r)) {
    case remiss::v1::RESPONSE_STAGE_SUBMITTED:
      return WrongStage(r, "only a supplement or a correction can follow");
    case remiss::v1::RESPONSE_STAGE_DECLINED:
      return WrongStage(r, "only a correction can follow");
    default:
      return absl::OkStatus();
  }
}

bool IsBefore(const Response& r, ResponseStage stage) { return StageOf(r) < stage; }

// REGISTERED..ATTESTED: the board's administration is preparing the answer.
absl::Status RequirePreparing(const Response& r, absl::string_view what) {
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_REGISTERED)) {
    return WrongStage(r, absl::StrCat(what, " once the response is registered; register it "
                                            "first"));
  }
  if (StageOf(r) == remiss::v1::RESPONSE_STAGE_DECIDED) {
    return WrongStage(r, absl::StrCat(what, " only before the decision; correct a recorded fact "
                                            "with CorrectFact"));
  }
  return absl::OkStatus();
}

// DRAFTED or ATTESTED, and not yet decided (ALREADY_EXISTS naming `field` otherwise).
absl::Status RequireUndecidedStatement(const Response& r, absl::string_view field,
                                       absl::string_view what) {
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (StageOf(r) == remiss::v1::RESPONSE_STAGE_DECIDED) {
    std::string by = r.decision_version() != 0
                         ? absl::StrCat("by the board (", r.decision().paragraph(), ", ",
                                        r.decision().meeting_date(), ")")
                         : absl::StrCat("by delegation (", r.delegation().decided_by_title(),
                                        ", ", r.delegation().date(), ")");
    return absl::AlreadyExistsError(absl::StrCat(field, ": the response is already decided ",
                                                 by, "; use CorrectFact to correct the decision"));
  }
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_DRAFTED)) {
    return WrongStage(r, absl::StrCat(what, " needs a drafted statement; record the statement "
                                            "first"));
  }
  return absl::OkStatus();
}

}  // namespace remiss::responses::internal
