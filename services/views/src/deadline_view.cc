#include "remiss/views/deadline_view.h"

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "remiss/core/base/timestamps.h"

namespace remiss::views {
namespace {

using core::ToTimestamp;
using remiss::v1::Deadline;
using remiss::v1::DeadlineEvent;
using remiss::v1::Extension;

Extension* FindExtension(Deadline& d, absl::string_view id) {
  for (Extension& e : *d.mutable_extensions()) {
    if (e.extension_id() == id) return &e;
  }
  return nullptr;
}

}  // namespace

void EvolveDeadline(Deadline& state, const DeadlineEvent& event, uint64_t version,
                    absl::Time recorded_at) {
  state.set_version(version);
  auto ids = [&state](const std::string& referral_id, const std::string& org_id) {
    if (state.referral_id().empty()) state.set_referral_id(referral_id);
    if (state.org_id().empty()) state.set_org_id(org_id);
  };
  switch (event.event_case()) {
    case DeadlineEvent::kDeadlineScheduled: {
      const auto& e = event.deadline_scheduled();
      ids(e.referral_id(), e.org_id());
      state.set_case_number(e.case_number());
      state.set_title(e.title());
      state.set_stated_deadline(e.stated_deadline());
      state.set_working_day_rule(e.working_day_rule());
      state.set_effective_date(e.effective_date());
      *state.mutable_due_at() = e.due_at();
      state.set_outcome(remiss::v1::DEADLINE_OUTCOME_OPEN);
      state.set_scheduled(true);
      state.set_cancelled(false);
      state.clear_cancel_reason();
      break;
    }
    case DeadlineEvent::kDeadlineChanged: {
      const auto& e = event.deadline_changed();
      ids(e.referral_id(), e.org_id());
      state.set_stated_deadline(e.stated_deadline());
      state.set_effective_date(e.effective_date());
      *state.mutable_due_at() = e.due_at();
      break;
    }
    case DeadlineEvent::kDeadlineCancelled: {
      const auto& e = event.deadline_cancelled();
      ids(e.referral_id(), e.org_id());
      state.set_cancelled(true);
      state.set_cancel_reason(e.reason());
      state.set_outcome(remiss::v1::DEADLINE_OUTCOME_CANCELLED);
      break;
    }
    case DeadlineEvent::kExtensionRequested: {
      const auto& e = event.extension_requested();
      ids(e.referral_id(), e.org_id());
      Extension* x = state.add_extensions();
      x->set_extension_id(e.extension_id());
      x->set_requested_date(e.requested_date());
      x->set_reason(e.reason());
      x->set_state(remiss::v1::EXTENSION_STATE_REQUESTED);
      break;
    }
    case DeadlineEvent::kExtensionGranted: {
      const auto& e = event.extension_granted();
      ids(e.referral_id(), e.org_id());
      if (Extension* x = FindExtension(state, e.extension_id())) {
        x->set_state(remiss::v1::EXTENSION_STATE_GRANTED);
        x->set_granted_date(e.granted_date());
        x->set_decision_note(e.note());
      }
      break;
    }
    case DeadlineEvent::kExtensionRefused: {
      const auto& e = event.extension_refused();
      ids(e.referral_id(), e.org_id());
      if (Extension* x = FindExtension(state, e.extension_id())) {
        x->set_state(remiss::v1::EXTENSION_STATE_REFUSED);
        x->set_decision_note(e.reason());
      }
      break;
    }
    case DeadlineEvent::kReminderIssued: {
      const auto& e = event.reminder_issued();
      ids(e.referral_id(), e.org_id());
      state.add_reminders_issued(e.days_before());
      break;
    }
    case DeadlineEvent::kDeadlineBreached: {
      const auto& e = event.deadline_breached();
      ids(e.referral_id(), e.org_id());
      state.set_outcome(remiss::v1::DEADLINE_OUTCOME_BREACHED);
      *state.mutable_breached_at() = ToTimestamp(recorded_at);
      break;
    }
    case DeadlineEvent::kResponseReceived: {
      const auto& e = event.response_received();
      ids(e.referral_id(), e.org_id());
      state.set_outcome(e.outcome());
      *state.mutable_submitted_at() = e.submitted_at();
      break;
    }
    case DeadlineEvent::kResponseDeclinedNoted: {
      const auto& e = event.response_declined_noted();
      ids(e.referral_id(), e.org_id());
      state.set_outcome(remiss::v1::DEADLINE_OUTCOME_DECLINED);
      break;
    }
    case DeadlineEvent::kBoardDecisionNoted: {
      const auto& e = event.board_decision_noted();
      ids(e.referral_id(), e.org_id());
      state.set_decided(true);
      break;
    }
    case DeadlineEvent::kDeadlineAtRisk: {
      const auto& e = event.deadline_at_risk();
      ids(e.referral_id(), e.org_id());
      state.set_at_risk_for(e.effective_date());
      break;
    }
    default:
      break;  // calendar and policy events belong to other streams
  }
}

}  // namespace remiss::views
