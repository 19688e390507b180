#include "remiss/followup/observer.h"

#include "remiss/core/feeds/observed_fact.h"
#include "remiss/core/store/projection.h"

namespace remiss::followup {
namespace {

// Organizations' names and registry mailboxes from referrals (the rounds come restated through responses), every
// answer fact from responses (not its restated sending rights), every deadline fact of one (round, board) from deadlines but
// reminders (no view of this service shows them) and fired timers (the service's own).
bool Needed(const remiss::v1::EventEnvelope& e) {
  if (e.has_referrals()) {
    return e.referrals().has_organization_registered() || e.referrals().has_organization_updated() ||
           e.referrals().has_registry_mailbox_set();
  }
  // Responses' restated sending rights are for deadlines: this service follows referrals' own.
  if (e.has_responses()) return !e.responses().has_organization_sending_right();
  if (e.has_deadlines() &&
      (e.deadlines().has_timer_fired() || e.deadlines().has_reminder_issued())) {
    return false;
  }
  if (e.has_deadlines()) return !core::StringFieldOfOneof(e.deadlines(), "org_id").empty() &&
                                !core::StringFieldOfOneof(e.deadlines(), "referral_id").empty();
  return false;
}

}  // namespace

absl::Status Observe(const core::FeedEvent& fed, core::Tx& tx) {
  const remiss::v1::EventEnvelope& source = fed.envelope;
  if (!Needed(source)) return absl::OkStatus();
  remiss::v1::EventEnvelope own = core::CausedBy(source);
  *own.mutable_followup()->mutable_fact_observed() = core::ObservedFact(source);
  *own.mutable_occurred_at() = source.occurred_at();
  return tx.Append(core::ObservedStream(source), std::nullopt, {std::move(own)});
}

}  // namespace remiss::followup
