#include "remiss/followup/observer.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/projection.h"

namespace remiss::followup {
namespace {

// Organizations' names from referrals (the rounds come restated through responses), every
// answer fact from responses, every deadline (not calendars or policies) from deadlines.
bool Needed(const remiss::v1::EventEnvelope& e) {
  if (e.has_referrals()) {
    return e.referrals().has_organization_registered() || e.referrals().has_organization_updated();
  }
  if (e.has_responses()) return true;
  if (e.has_deadlines() && e.deadlines().has_timer_fired()) return false;  // the service's own
  if (e.has_deadlines()) return !core::StringFieldOfOneof(e.deadlines(), "org_id").empty() &&
                                !core::StringFieldOfOneof(e.deadlines(), "referral_id").empty();
  return false;
}

}  // namespace

absl::Status Observe(const core::FeedEvent& fed, core::Tx& tx) {
  const remiss::v1::EventEnvelope& source = fed.envelope;
  if (!Needed(source)) return absl::OkStatus();
  remiss::v1::EventEnvelope own;
  auto* observed = own.mutable_followup()->mutable_source_event_observed();
  observed->set_event(source.SerializeAsString());
  observed->set_source(source.source());
  observed->set_position(source.position());
  own.set_partition_key(source.partition_key());
  *own.mutable_occurred_at() = source.occurred_at();
  own.set_causation_id(source.event_id());
  own.set_correlation_id(source.correlation_id());
  own.set_traceparent(source.traceparent());
  return tx.Append(absl::StrCat("observed/", source.source(), "/", source.partition_key()),
                   std::nullopt, {std::move(own)});
}

}  // namespace remiss::followup
