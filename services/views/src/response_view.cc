#include "remiss/views/response_view.h"

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "remiss/core/base/timestamps.h"

namespace remiss::views {
namespace {

using core::ToTimestamp;
using remiss::v1::FactCorrected;
using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::ResponseStage;

void Advance(Response& state, ResponseStage stage) {
  ResponseStage now = StageOf(state);
  if (now == remiss::v1::RESPONSE_STAGE_SUBMITTED || now == remiss::v1::RESPONSE_STAGE_DECLINED) {
    return;
  }
  if (now < stage) state.set_stage(stage);
}


// Applies a correction's replacement in place of the fact it corrects; the stage stays.
void ApplyReplacement(Response& state, const FactCorrected& c) {
  const uint64_t v = c.corrects_version();
  switch (c.replacement_case()) {
    case FactCorrected::kRegistered:
      if (state.registered_version() == v) {
        state.set_diary_number(c.registered().diary_number());
        state.set_registered_on(c.registered().registered_on());
      }
      break;
    case FactCorrected::kCaseOfficerAssigned:
      if (state.case_officer_version() == v) {
        *state.mutable_case_officer() = c.case_officer_assigned().officer();
      }
      break;
    case FactCorrected::kConsultationRecorded:
      for (auto& entry : *state.mutable_consultations()) {
        if (entry.recorded_version() == v) {
          *entry.mutable_consultation() = c.consultation_recorded().consultation();
        }
      }
      break;
    case FactCorrected::kStatementDrafted:
      if (state.statement_version() == v) {
        *state.mutable_statement() = c.statement_drafted().statement();
      }
      break;
    case FactCorrected::kStatementAttested:
      for (auto& entry : *state.mutable_attestations()) {
        if (entry.recorded_version() == v) {
          *entry.mutable_attestation() = c.statement_attested().attestation();
        }
      }
      break;
    case FactCorrected::kBoardDecisionRecorded:
      if (state.decision_version() == v) {
        *state.mutable_decision() = c.board_decision_recorded().decision();
      }
      break;
    case FactCorrected::kDelegationDecisionRecorded:
      if (state.delegation_version() == v) {
        *state.mutable_delegation() = c.delegation_decision_recorded().delegation();
      }
      break;
    default:
      break;
  }
}

}  // namespace

void EvolveResponse(Response& state, const ResponseEvent& event, uint64_t version,
                    absl::Time recorded_at) {
  // Fills the response's ids from the event when the state has none yet.
  auto ids = [&state](const auto& e) {
    if (state.referral_id().empty()) state.set_referral_id(e.referral_id());
    if (state.org_id().empty()) state.set_org_id(e.org_id());
  };
  switch (event.event_case()) {
    case ResponseEvent::kRoundTermsRecorded:
      return;  // the round's stream: ApplyTerms' business
    case ResponseEvent::kResponseRegistered: {
      const auto& e = event.response_registered();
      ids(e);
      state.set_diary_number(e.diary_number());
      state.set_registered_on(e.registered_on());
      state.set_registered_version(version);
      Advance(state, remiss::v1::RESPONSE_STAGE_REGISTERED);
      break;
    }
    case ResponseEvent::kCaseOfficerAssigned: {
      const auto& e = event.case_officer_assigned();
      ids(e);
      *state.mutable_case_officer() = e.officer();
      state.set_case_officer_version(version);
      Advance(state, remiss::v1::RESPONSE_STAGE_IN_PREPARATION);
      break;
    }
    case ResponseEvent::kConsultationRecorded: {
      const auto& e = event.consultation_recorded();
      ids(e);
      auto* entry = state.add_consultations();
      entry->set_recorded_version(version);
      *entry->mutable_consultation() = e.consultation();
      Advance(state, remiss::v1::RESPONSE_STAGE_IN_PREPARATION);
      break;
    }
    case ResponseEvent::kStatementDrafted: {
      const auto& e = event.statement_drafted();
      ids(e);
      *state.mutable_statement() = e.statement();
      state.set_statement_version(version);
      // A new draft supersedes the old one and the attestations of it.
      state.clear_attestations();
      if (StageOf(state) == remiss::v1::RESPONSE_STAGE_ATTESTED) {
        state.set_stage(remiss::v1::RESPONSE_STAGE_DRAFTED);
      }
      Advance(state, remiss::v1::RESPONSE_STAGE_DRAFTED);
      break;
    }
    case ResponseEvent::kStatementAttested: {
      const auto& e = event.statement_attested();
      ids(e);
      auto* entry = state.add_attestations();
      entry->set_recorded_version(version);
      *entry->mutable_attestation() = e.attestation();
      Advance(state, remiss::v1::RESPONSE_STAGE_ATTESTED);
      break;
    }
    case ResponseEvent::kBoardDecisionRecorded: {
      const auto& e = event.board_decision_recorded();
      ids(e);
      *state.mutable_decision() = e.decision();
      state.set_decision_version(version);
      Advance(state, remiss::v1::RESPONSE_STAGE_DECIDED);
      break;
    }
    case ResponseEvent::kDelegationDecisionRecorded: {
      const auto& e = event.delegation_decision_recorded();
      ids(e);
      *state.mutable_delegation() = e.delegation();
      state.set_delegation_version(version);
      Advance(state, remiss::v1::RESPONSE_STAGE_DECIDED);
      break;
    }
    case ResponseEvent::kResponseSubmitted: {
      const auto& e = event.response_submitted();
      ids(e);
      *state.mutable_submitted_at() = e.has_submitted_at() ? e.submitted_at()
                                                           : ToTimestamp(recorded_at);
      *state.mutable_submitted_documents() = e.documents();
      state.set_submission_note(e.note());
      state.set_stage(remiss::v1::RESPONSE_STAGE_SUBMITTED);
      break;
    }
    case ResponseEvent::kResponseDeclined: {
      const auto& e = event.response_declined();
      ids(e);
      state.set_decline_reason(e.reason());
      *state.mutable_declined_at() = e.has_declined_at() ? e.declined_at()
                                                         : ToTimestamp(recorded_at);
      state.set_stage(remiss::v1::RESPONSE_STAGE_DECLINED);
      break;
    }
    case ResponseEvent::kResponseSupplemented: {
      const auto& e = event.response_supplemented();
      ids(e);
      auto* entry = state.add_supplements();
      entry->set_recorded_version(version);
      entry->set_text(e.text());
      *entry->mutable_documents() = e.documents();
      *entry->mutable_supplemented_at() = e.has_supplemented_at() ? e.supplemented_at()
                                                                  : ToTimestamp(recorded_at);
      break;
    }
    case ResponseEvent::kFactCorrected: {
      const auto& e = event.fact_corrected();
      ids(e);
      ApplyReplacement(state, e);
      auto* entry = state.add_corrections();
      entry->set_recorded_version(version);
      entry->set_corrects_version(e.corrects_version());
      entry->set_fact(std::string(FactName(ReplacementKind(e.replacement_case()))));
      entry->set_reason(e.reason());
      break;
    }
    default:
      break;
  }
  state.set_version(version);
}

// The name of a correctable fact, as RecordedCorrection.fact says it; empty for anything else.
absl::string_view FactName(ResponseEvent::EventCase kind) {
  switch (kind) {
    case ResponseEvent::kResponseRegistered:
      return "ResponseRegistered";
    case ResponseEvent::kCaseOfficerAssigned:
      return "CaseOfficerAssigned";
    case ResponseEvent::kConsultationRecorded:
      return "ConsultationRecorded";
    case ResponseEvent::kStatementDrafted:
      return "StatementDrafted";
    case ResponseEvent::kStatementAttested:
      return "StatementAttested";
    case ResponseEvent::kBoardDecisionRecorded:
      return "BoardDecisionRecorded";
    case ResponseEvent::kDelegationDecisionRecorded:
      return "DelegationDecisionRecorded";
    default:
      return "";
  }
}

// What kind of event a replacement is (FactCorrected's and CorrectFactRequest's oneofs share
// their field numbers, so one mapping serves both).
ResponseEvent::EventCase ReplacementKind(int replacement_field_number) {
  switch (replacement_field_number) {
    case FactCorrected::kRegisteredFieldNumber:
      return ResponseEvent::kResponseRegistered;
    case FactCorrected::kCaseOfficerAssignedFieldNumber:
      return ResponseEvent::kCaseOfficerAssigned;
    case FactCorrected::kConsultationRecordedFieldNumber:
      return ResponseEvent::kConsultationRecorded;
    case FactCorrected::kStatementDraftedFieldNumber:
      return ResponseEvent::kStatementDrafted;
    case FactCorrected::kStatementAttestedFieldNumber:
      return ResponseEvent::kStatementAttested;
    case FactCorrected::kBoardDecisionRecordedFieldNumber:
      return ResponseEvent::kBoardDecisionRecorded;
    case FactCorrected::kDelegationDecisionRecordedFieldNumber:
      return ResponseEvent::kDelegationDecisionRecorded;
    default:
      return ResponseEvent::EVENT_NOT_SET;
  }
}

ResponseStage StageOf(const Response& r) {
  return r.stage() == remiss::v1::RESPONSE_STAGE_UNSPECIFIED ? remiss::v1::RESPONSE_STAGE_AWAITING
                                                             : r.stage();
}

bool HasAnswered(ResponseStage stage) {
  return stage == remiss::v1::RESPONSE_STAGE_SUBMITTED ||
         stage == remiss::v1::RESPONSE_STAGE_DECLINED;
}

absl::string_view StageWords(ResponseStage stage) {
  switch (stage) {
    case remiss::v1::RESPONSE_STAGE_REGISTERED:
      return "registered";
    case remiss::v1::RESPONSE_STAGE_IN_PREPARATION:
      return "in preparation";
    case remiss::v1::RESPONSE_STAGE_DRAFTED:
      return "drafted";
    case remiss::v1::RESPONSE_STAGE_ATTESTED:
      return "attested";
    case remiss::v1::RESPONSE_STAGE_DECIDED:
      return "decided";
    case remiss::v1::RESPONSE_STAGE_SUBMITTED:
      return "submitted";
    case remiss::v1::RESPONSE_STAGE_DECLINED:
      return "declined";
    default:
      return "awaiting";
  }
}

}  // namespace remiss::views
