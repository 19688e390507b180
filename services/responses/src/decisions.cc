// The responses domain: the round's terms followed from the referrals service (NextTerms,
// ApplyTerms), and one board's answer: decide (command + subject -> events or a refusal) and
// evolve (state + event -> state). Every Decide checks in the same order:
//   1. the command's own fields (INVALID_ARGUMENT; needs no state),
//   2. the subject: the round known (NOT_FOUND), the org an addressee asked to answer
//      (NOT_FOUND; FAILED_PRECONDITION when it receives the round for information only), the
//      round neither withdrawn nor closed (FAILED_PRECONDITION; a correction is exempt),
//   3. the response's stage (FAILED_PRECONDITION), then conflicts with what is recorded
//      (ALREADY_EXISTS).
// Every message starts with the field it is about: "diary_number: is required".
// This file holds the deciders of a board's own commands and Evolve; the rules for each fact
// are in validation.cc, the subject and stage checks in preconditions.cc, corrections in
// corrections.cc and the round's terms in round_terms.cc.
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

// ---- one board's answer ----

absl::StatusOr<Events> Decide(const remiss::v1::RegisterResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateRegistration("", cmd.diary_number(), cmd.registered_on(),
                                              ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (!r.diary_number().empty() || !IsBefore(r, remiss::v1::RESPONSE_STAGE_REGISTERED)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "diary_number: the response is already registered as \"", r.diary_number(),
        "\" (version ", r.registered_version(), "); use CorrectFact to change it"));
  }

  ResponseEvent event;
  auto* e = event.mutable_response_registered();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_diary_number(cmd.diary_number());
  e->set_registered_on(cmd.registered_on());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::AssignCaseOfficerRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateOfficer("officer.", cmd.officer()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_REGISTERED)) {
    return WrongStage(r, "a case officer is assigned once the response is registered; "
                         "register it first");
  }
  // The same officer again changes nothing.
  if (r.case_officer_version() != 0 && SameMessage(r.case_officer(), cmd.officer())) {
    return Events{};
  }

  ResponseEvent event;
  auto* e = event.mutable_case_officer_assigned();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_officer() = cmd.officer();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordConsultationRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateConsultation("consultation.", cmd.consultation()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(RequirePreparing(*subject.response, "a consultation is recorded"));

  ResponseEvent event;
  auto* e = event.mutable_consultation_recorded();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_consultation() = cmd.consultation();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordStatementRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateStatement("statement.", cmd.statement()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequirePreparing(r, "a statement is drafted"));
  Statement statement = NormalizedStatement(cmd.statement());
  // The same draft again changes nothing (and keeps its attestations).
  if (r.statement_version() != 0 && SameMessage(r.statement(), statement)) return Events{};

  ResponseEvent event;
  auto* e = event.mutable_statement_drafted();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_statement() = std::move(statement);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::AttestStatementRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateAttestation("attestation.", cmd.attestation(), ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_DRAFTED)) {
    return WrongStage(r, "there is no statement to attest; record the statement first");
  }
  if (StageOf(r) == remiss::v1::RESPONSE_STAGE_DECIDED) {
    return WrongStage(r, "the statement can no longer be attested once decided");
  }
  for (const auto& existing : r.attestations()) {
    if (existing.attestation().name() == cmd.attestation().name() &&
        existing.attestation().title() == cmd.attestation().title()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "attestation: ", cmd.attestation().name(), ", ", cmd.attestation().title(),
          " has already attested the statement (", existing.attestation().date(), ")"));
    }
  }

  ResponseEvent event;
  auto* e = event.mutable_statement_attested();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_attestation() = cmd.attestation();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordBoardDecisionRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateBoardDecision("decision.", cmd.decision(), ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(
      RequireUndecidedStatement(*subject.response, "decision", "a board decision"));

  ResponseEvent event;
  auto* e = event.mutable_board_decision_recorded();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_decision() = NormalizedDecision(cmd.decision());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordDelegationDecisionRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateDelegation("delegation.", cmd.delegation(), ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(
      RequireUndecidedStatement(*subject.response, "delegation", "a delegation decision"));

  ResponseEvent event;
  auto* e = event.mutable_delegation_decision_recorded();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_delegation() = cmd.delegation();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::SubmitResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateDocuments("documents", cmd.documents()));
  REMISS_RETURN_IF_ERROR(MaxLength("note", cmd.note(), kMaxNoteLength));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (StageOf(r) != remiss::v1::RESPONSE_STAGE_DECIDED) {
    return WrongStage(r, "an answer is submitted once the board (or a delegate) has decided");
  }

  ResponseEvent event;
  auto* e = event.mutable_response_submitted();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_submitted_at() = ToTimestamp(ctx.now);
  *e->mutable_documents() = cmd.documents();
  NormalizeDocuments(*e->mutable_documents());
  e->set_note(cmd.note());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::DeclineResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(RequireNotFinished(*subject.response));

  ResponseEvent event;
  auto* e = event.mutable_response_declined();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_reason(cmd.reason());
  *e->mutable_declined_at() = ToTimestamp(ctx.now);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::SupplementResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("text", cmd.text(), kMaxLongText));
  REMISS_RETURN_IF_ERROR(ValidateDocuments("documents", cmd.documents()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  if (StageOf(r) != remiss::v1::RESPONSE_STAGE_SUBMITTED) {
    return WrongStage(r, "a supplement follows a submitted answer; submit it first");
  }

  ResponseEvent event;
  auto* e = event.mutable_response_supplemented();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_text(cmd.text());
  *e->mutable_documents() = cmd.documents();
  NormalizeDocuments(*e->mutable_documents());
  *e->mutable_supplemented_at() = ToTimestamp(ctx.now);
  return One(std::move(event));
}

void Evolve(Response& state, const ResponseEvent& event, uint64_t version,
            absl::Time recorded_at) {
  views::EvolveResponse(state, event, version, recorded_at);
}

}  // namespace remiss::responses
