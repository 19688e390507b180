#include "remiss/notices/observer.h"

#include "remiss/core/feeds/observed_fact.h"
#include "remiss/notices/projector.h"

namespace remiss::notices {
namespace {

// The facts notices are decided from: organizations and rounds (referrals), answers
// (responses), a body's dates, reminders, breaches, extensions and answers (deadlines).
bool Needed(const remiss::v1::EventEnvelope& e) {
  if (e.has_referrals()) {
    using E = remiss::v1::ReferralEvent;
    switch (e.referrals().event_case()) {
      case E::kOrganizationRegistered: case E::kOrganizationUpdated: case E::kRegistryMailboxSet:
      case E::kReferralDrafted: case E::kDocumentAttached: case E::kAddresseeAdded:
      case E::kAddresseeRemoved: case E::kDeadlineSet: case E::kReferralIssued:
      case E::kDeadlineMoved: case E::kReferralClosed: case E::kReferralWithdrawn:
        return true;
      default:
        return false;
    }
  }
  if (e.has_responses()) return e.responses().has_response_submitted() || e.responses().has_response_declined();
  if (e.has_deadlines()) {
    using E = remiss::v1::DeadlineEvent;
    switch (e.deadlines().event_case()) {
      case E::kDeadlineScheduled: case E::kDeadlineChanged: case E::kReminderIssued:
      case E::kDeadlineBreached: case E::kExtensionRefused: case E::kResponseReceived:
      case E::kResponseDeclinedNoted:
        return true;
      default:
        return false;
    }
  }
  return false;
}

bool IsOrganizationEvent(const remiss::v1::EventEnvelope& e) {
  return e.has_referrals() && (e.referrals().has_organization_registered() ||
                               e.referrals().has_organization_updated() || e.referrals().has_registry_mailbox_set());
}

}  // namespace

absl::Status Observe(const NoticeSettings& settings, const core::FeedEvent& fed, core::Tx& tx) {
  const remiss::v1::EventEnvelope& source = fed.envelope;
  if (!Needed(source)) return absl::OkStatus();
  remiss::v1::EventEnvelope own = core::CausedBy(source);
  *own.mutable_notices()->mutable_fact_observed() = core::ObservedFact(source);
  *own.mutable_occurred_at() = source.occurred_at();
  if (absl::Status s = tx.Append(core::ObservedStream(source), std::nullopt, {std::move(own)}); !s.ok()) {
    return s;
  }
  if (IsOrganizationEvent(source)) return absl::OkStatus();
  const std::string& referral_id = source.partition_key();
  auto notices = NoticesFor(source, LoadRoundView(ReaderOf(tx), referral_id), settings);
  if (!notices.ok()) return notices.status();
  for (auto& n : *notices) {
    remiss::v1::EventEnvelope env = core::CausedBy(source);
    const std::string id = n.notice_id();
    *env.mutable_notices()->mutable_notice_queued() = std::move(n);
    if (absl::Status s = tx.Append(NoticeStream(id), std::nullopt, {std::move(env)}); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace remiss::notices
