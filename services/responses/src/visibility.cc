#include "remiss/responses/visibility.h"

namespace remiss::responses {
namespace {

bool IsTheBoardItself(const remiss::v1::Response& response, const Viewer& viewer) {
  return !viewer.org_id.empty() && viewer.org_id == response.org_id() &&
         (viewer.role == "board" || viewer.role == "reader");
}

bool IsPublic(const remiss::v1::Response& response) {
  return response.stage() == remiss::v1::RESPONSE_STAGE_SUBMITTED ||
         response.stage() == remiss::v1::RESPONSE_STAGE_DECLINED;
}

void HideContactDetails(remiss::v1::CaseOfficer* officer) {
  officer->clear_phone();
  officer->clear_email();
}

}  // namespace

bool SeesContent(const remiss::v1::Response& response, const Viewer& viewer) {
  return IsPublic(response) || IsTheBoardItself(response, viewer);
}

bool SeesContactDetails(const remiss::v1::Response& response, const Viewer& viewer) {
  return viewer.role == "ks" || IsTheBoardItself(response, viewer);
}

remiss::v1::Response AsSeenBy(remiss::v1::Response response, const Viewer& viewer) {
  if (!SeesContactDetails(response, viewer)) HideContactDetails(response.mutable_case_officer());
  if (!SeesContent(response, viewer)) {
    response.clear_consultations();
    response.clear_statement();
    response.clear_attestations();
    response.clear_decision();
    response.clear_delegation();
    response.clear_submitted_documents();
    response.clear_submission_note();
    response.clear_supplements();
    response.clear_corrections();
  }
  return response;
}

void RedactEvent(const remiss::v1::Response& response, const Viewer& viewer, remiss::v1::EventEnvelope* event) {
  if (!event->has_responses()) return;
  remiss::v1::ResponseEvent* e = event->mutable_responses();
  if (!SeesContactDetails(response, viewer)) {
    if (e->has_case_officer_assigned()) HideContactDetails(e->mutable_case_officer_assigned()->mutable_officer());
    if (e->has_fact_corrected() && e->fact_corrected().has_case_officer_assigned()) {
      HideContactDetails(e->mutable_fact_corrected()->mutable_case_officer_assigned()->mutable_officer());
    }
  }
  if (SeesContent(response, viewer)) return;
  using E = remiss::v1::ResponseEvent;
  switch (e->event_case()) {
    case E::kConsultationRecorded:
      e->mutable_consultation_recorded()->clear_consultation();
      break;
    case E::kStatementDrafted:
      e->mutable_statement_drafted()->clear_statement();
      break;
    case E::kStatementAttested:
      e->mutable_statement_attested()->clear_attestation();
      break;
    case E::kBoardDecisionRecorded:
      e->mutable_board_decision_recorded()->clear_decision();
      break;
    case E::kDelegationDecisionRecorded:
      e->mutable_delegation_decision_recorded()->clear_delegation();
      break;
    case E::kFactCorrected:
      e->mutable_fact_corrected()->clear_reason();
      e->mutable_fact_corrected()->clear_replacement();
      break;
    default:
      break;
  }
}

}  // namespace remiss::responses
