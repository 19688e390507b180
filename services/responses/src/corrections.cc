// The responses domain's corrections: CorrectFact names a recorded fact by its event's
// stream version and replaces it with a corrected one (FactCorrected), with a reason; the
// original stays in the record. Any fact in force can be corrected in any round state.
#include "remiss/responses/domain.h"

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
#include "remiss/views/response_view.h"
#include "google/protobuf/util/message_differencer.h"
#include "preconditions.h"
#include "validation.h"
#include "domain_names.h"

namespace remiss::responses {

using namespace internal;  // NOLINT: the domain's own private helpers

namespace {

using views::FactName;
using views::ReplacementKind;

absl::string_view EventName(const ResponseEvent& event) {
  if (event.event_case() == ResponseEvent::EVENT_NOT_SET) return "an empty event";
  const auto* field = ResponseEvent::descriptor()->FindFieldByNumber(event.event_case());
  return field != nullptr ? absl::string_view(field->message_type()->name())
                          : absl::string_view("an unknown event");
}

// Whether the fact recorded at `version` still counts in `state` (a superseded draft, or an
// attestation of a superseded draft, does not).
bool InForce(const Response& state, ResponseEvent::EventCase kind, uint64_t version) {
  switch (kind) {
    case ResponseEvent::kResponseRegistered:
      return state.registered_version() == version;
    case ResponseEvent::kCaseOfficerAssigned:
      return state.case_officer_version() == version;
    case ResponseEvent::kStatementDrafted:
      return state.statement_version() == version;
    case ResponseEvent::kBoardDecisionRecorded:
      return state.decision_version() == version;
    case ResponseEvent::kDelegationDecisionRecorded:
      return state.delegation_version() == version;
    case ResponseEvent::kConsultationRecorded:
      for (const auto& c : state.consultations()) {
        if (c.recorded_version() == version) return true;
      }
      return false;
    case ResponseEvent::kStatementAttested:
      for (const auto& a : state.attestations()) {
        if (a.recorded_version() == version) return true;
      }
      return false;
    default:
      return false;
  }
}

// The version of the fact of `kind` in force now (0: none), to name in a refusal.
uint64_t CurrentVersion(const Response& state, ResponseEvent::EventCase kind) {
  switch (kind) {
    case ResponseEvent::kResponseRegistered:
      return state.registered_version();
    case ResponseEvent::kCaseOfficerAssigned:
      return state.case_officer_version();
    case ResponseEvent::kStatementDrafted:
      return state.statement_version();
    case ResponseEvent::kBoardDecisionRecorded:
      return state.decision_version();
    case ResponseEvent::kDelegationDecisionRecorded:
      return state.delegation_version();
    default:
      return 0;
  }
}

}  // namespace

absl::StatusOr<Events> Decide(const remiss::v1::CorrectFactRequest& cmd, const Subject& subject,
                              const ResponseEvent* corrected, const DecisionContext& ctx) {
  using Request = remiss::v1::CorrectFactRequest;
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("reason", cmd.reason(), kMaxReasonLength));
  // The replacement must satisfy its own command's rules (not its stage rules).
  switch (cmd.replacement_case()) {
    case Request::kRegistered:
      REMISS_RETURN_IF_ERROR(ValidateRegistration("registered.", cmd.registered().diary_number(),
                                                  cmd.registered().registered_on(), ctx.today));
      break;
    case Request::kCaseOfficerAssigned:
      REMISS_RETURN_IF_ERROR(
          ValidateOfficer("case_officer_assigned.officer.", cmd.case_officer_assigned().officer()));
      break;
    case Request::kConsultationRecorded:
      REMISS_RETURN_IF_ERROR(ValidateConsultation("consultation_recorded.consultation.",
                                                  cmd.consultation_recorded().consultation()));
      break;
    case Request::kStatementDrafted:
      REMISS_RETURN_IF_ERROR(ValidateStatement("statement_drafted.statement.",
                                               cmd.statement_drafted().statement()));
      break;
    case Request::kStatementAttested:
      REMISS_RETURN_IF_ERROR(ValidateAttestation(
          "statement_attested.attestation.", cmd.statement_attested().attestation(), ctx.today));
      break;
    case Request::kBoardDecisionRecorded:
      REMISS_RETURN_IF_ERROR(ValidateBoardDecision(
          "board_decision_recorded.decision.", cmd.board_decision_recorded().decision(),
          ctx.today));
      break;
    case Request::kDelegationDecisionRecorded:
      REMISS_RETURN_IF_ERROR(ValidateDelegation("delegation_decision_recorded.delegation.",
                                                cmd.delegation_decision_recorded().delegation(),
                                                ctx.today));
      break;
    default:
      return Invalid("replacement",
                     "exactly one corrected fact is required (registered, "
                     "case_officer_assigned, consultation_recorded, statement_drafted, "
                     "statement_attested, board_decision_recorded or "
                     "delegation_decision_recorded)");
  }

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kAnyState));
  const Response& r = *subject.response;
  if (cmd.corrects_version() == 0 || corrected == nullptr) {
    return absl::NotFoundError(absl::StrCat("corrects_version: the response has no event at "
                                            "version ",
                                            cmd.corrects_version(), " (its version is ",
                                            r.version(), ")"));
  }
  const ResponseEvent::EventCase replacement_kind = ReplacementKind(cmd.replacement_case());
  if (FactName(corrected->event_case()).empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "corrects_version: version ", cmd.corrects_version(), " is ", EventName(*corrected),
        ", which cannot be corrected; correct a registration, case officer, consultation, "
        "statement, attestation or decision (name the original fact's version)"));
  }
  if (corrected->event_case() != replacement_kind) {
    return absl::FailedPreconditionError(absl::StrCat(
        "corrects_version: version ", cmd.corrects_version(), " is ", EventName(*corrected),
        ", but the replacement is ", FactName(replacement_kind),
        "; a correction replaces a fact of the same kind"));
  }
  if (!InForce(r, replacement_kind, cmd.corrects_version())) {
    uint64_t current = CurrentVersion(r, replacement_kind);
    return absl::FailedPreconditionError(absl::StrCat(
        "corrects_version: the ", FactName(replacement_kind), " of version ",
        cmd.corrects_version(), " no longer counts (superseded",
        current != 0 ? absl::StrCat(" by version ", current) : std::string(),
        "); correct the fact that counts"));
  }

  const std::string referral_id = EventReferralId(subject, cmd.referral_id());
  ResponseEvent event;
  FactCorrected* e = event.mutable_fact_corrected();
  e->set_referral_id(referral_id);
  e->set_org_id(cmd.org_id());
  e->set_corrects_version(cmd.corrects_version());
  e->set_reason(cmd.reason());
  auto stamp = [&](auto* fact) {
    fact->set_referral_id(referral_id);
    fact->set_org_id(cmd.org_id());
  };
  switch (cmd.replacement_case()) {
    case Request::kRegistered:
      *e->mutable_registered() = cmd.registered();
      stamp(e->mutable_registered());
      break;
    case Request::kCaseOfficerAssigned:
      *e->mutable_case_officer_assigned() = cmd.case_officer_assigned();
      stamp(e->mutable_case_officer_assigned());
      break;
    case Request::kConsultationRecorded:
      *e->mutable_consultation_recorded() = cmd.consultation_recorded();
      stamp(e->mutable_consultation_recorded());
      break;
    case Request::kStatementDrafted:
      *e->mutable_statement_drafted() = cmd.statement_drafted();
      *e->mutable_statement_drafted()->mutable_statement() =
          NormalizedStatement(cmd.statement_drafted().statement());
      stamp(e->mutable_statement_drafted());
      break;
    case Request::kStatementAttested:
      *e->mutable_statement_attested() = cmd.statement_attested();
      stamp(e->mutable_statement_attested());
      break;
    case Request::kBoardDecisionRecorded:
      *e->mutable_board_decision_recorded() = cmd.board_decision_recorded();
      *e->mutable_board_decision_recorded()->mutable_decision() =
          NormalizedDecision(cmd.board_decision_recorded().decision());
      stamp(e->mutable_board_decision_recorded());
      break;
    case Request::kDelegationDecisionRecorded:
      *e->mutable_delegation_decision_recorded() = cmd.delegation_decision_recorded();
      stamp(e->mutable_delegation_decision_recorded());
      break;
    default:
      break;
  }
  return One(std::move(event));
}

}  // namespace remiss::responses
