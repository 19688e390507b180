#include "remiss/followup/projector.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/store/projection.h"

namespace remiss::followup {
namespace {

using remiss::v1::EventEnvelope;

absl::Status ApplyObserved(const EventEnvelope& observed, core::ProjectionTx& tx) {
  const std::string& key = observed.partition_key();
  if (observed.has_referrals()) {
    const auto& e = observed.referrals();
    if (e.has_organization_registered() || e.has_organization_updated() ||
        e.has_registry_mailbox_set()) {
      core::UpdateRow<remiss::v1::Organization>(tx, absl::StrCat("org/", key),
                                       [&](auto& org) { FoldOrganization(org, e); });
    }
    return absl::OkStatus();
  }
  if (observed.has_responses()) {
    const auto& e = observed.responses();
    if (e.has_round_terms_recorded()) {
      const auto& terms = e.round_terms_recorded();
      tx.Put(absl::StrCat("terms/", key), core::DeterministicBytes(terms));
      for (const auto& a : terms.addressees()) tx.Put(absl::StrCat("org-rounds/", a.org_id(), "/", key), "");
      if (!terms.revises_referral_id().empty()) {
        tx.Put(absl::StrCat("revises/", key), terms.revises_referral_id());
        tx.Put(absl::StrCat("revised-by/", terms.revises_referral_id(), "/", key), "");
      }
      return absl::OkStatus();
    }
    const std::string org = core::StringFieldOfOneof(e, "org_id");
    if (org.empty()) return absl::OkStatus();
    core::UpdateRow<remiss::v1::Response>(tx, absl::StrCat("resp/", key, "/", org),
                                 [&](auto& r) {
                                   FoldResponse(r, e, observed.stream_version(),
                                                core::RecordedAt(observed));
                                 });
    return absl::OkStatus();
  }
  if (observed.has_deadlines()) {
    const auto& e = observed.deadlines();
    const std::string org = core::StringFieldOfOneof(e, "org_id");
    const std::string referral = core::StringFieldOfOneof(e, "referral_id");
    if (org.empty() || referral.empty()) return absl::OkStatus();  // calendars, policies
    core::UpdateRow<remiss::v1::Deadline>(tx, absl::StrCat("dl/", referral, "/", org),
                                 [&](auto& d) {
                                   FoldDeadline(d, e, observed.stream_version(),
                                                core::RecordedAt(observed));
                                 });
  }
  return absl::OkStatus();
}

}  // namespace

std::string FollowupStream(absl::string_view referral_id) { return absl::StrCat("followup/", referral_id); }
std::string FrozenPrefix(absl::string_view referral_id) { return absl::StrCat("frozen/", referral_id, "/"); }

std::optional<RoundRecords> LoadRound(const Reader& reader, absl::string_view referral_id) {
  auto terms = core::ReadRow<remiss::v1::RoundTermsRecorded>(reader, absl::StrCat("terms/", referral_id));
  if (!terms) return std::nullopt;
  RoundRecords round;
  round.terms = std::move(*terms);
  for (const auto& a : round.terms.addressees()) {
    if (auto org = core::ReadRow<remiss::v1::Organization>(reader, absl::StrCat("org/", a.org_id()))) {
      round.orgs.emplace(a.org_id(), std::move(*org));
    }
  }
  round.responses = core::ReadRows<remiss::v1::Response>(reader, absl::StrCat("resp/", referral_id, "/"));
  round.deadlines = core::ReadRows<remiss::v1::Deadline>(reader, absl::StrCat("dl/", referral_id, "/"));
  const std::string feedback_prefix = absl::StrCat("feedback/", referral_id, "/");
  reader.scan(feedback_prefix, [&](absl::string_view key, absl::string_view value) {
    round.feedback.emplace(std::string(key.substr(feedback_prefix.size())), std::string(value));
    return true;
  });
  if (auto actions = core::ReadRow<remiss::v1::FollowupActions>(reader, absl::StrCat("actions/", referral_id))) {
    round.actions.assign(actions->actions().begin(), actions->actions().end());
  }
  round.outcome = core::ReadRow<remiss::v1::OutcomeRecorded>(reader, absl::StrCat("outcome/", referral_id));
  return round;
}

uint32_t FrozenCount(const Reader& reader, absl::string_view referral_id) {
  uint32_t n = 0;
  reader.scan(FrozenPrefix(referral_id), [&](absl::string_view, absl::string_view) {
    ++n;
    return true;
  });
  return n;
}

absl::Status FollowupProjector::Apply(const EventEnvelope& envelope, core::ProjectionTx& tx) {
  if (!envelope.has_followup()) return absl::OkStatus();
  const auto& event = envelope.followup();
  switch (event.event_case()) {
    case remiss::v1::FollowupEvent::kSourceEventObserved: {
      EventEnvelope observed;
      if (!observed.ParseFromString(event.source_event_observed().event())) {
        return absl::DataLossError(absl::StrCat("observed event ", envelope.event_id(), " does not parse"));
      }
      return ApplyObserved(observed, tx);
    }
    case remiss::v1::FollowupEvent::kFactObserved: {
      // The same fold as over a whole copied envelope: the fact, its version in its stream
      // and when its source recorded it are all it reads, with the key (this event's).
      const auto& f = event.fact_observed();
      EventEnvelope observed;
      observed.set_partition_key(envelope.partition_key());
      observed.set_stream_version(f.stream_version());
      *observed.mutable_recorded_at() = f.recorded_at();
      switch (f.fact_case()) {
        case remiss::v1::FactObserved::kReferrals: *observed.mutable_referrals() = f.referrals(); break;
        case remiss::v1::FactObserved::kResponses: *observed.mutable_responses() = f.responses(); break;
        case remiss::v1::FactObserved::kDeadlines: *observed.mutable_deadlines() = f.deadlines(); break;
        case remiss::v1::FactObserved::FACT_NOT_SET: return absl::OkStatus();
      }
      return ApplyObserved(observed, tx);
    }
    case remiss::v1::FollowupEvent::kCompilationFrozen: {
      const auto& f = event.compilation_frozen();
      tx.Put(absl::StrCat(FrozenPrefix(f.referral_id()), core::EncodeU64(f.version())),
             core::DeterministicBytes(f));
      return absl::OkStatus();
    }
    case remiss::v1::FollowupEvent::kOutcomeRecorded:
      tx.Put(absl::StrCat("outcome/", event.outcome_recorded().referral_id()),
             core::DeterministicBytes(event.outcome_recorded()));
      return absl::OkStatus();
    case remiss::v1::FollowupEvent::kFeedbackGiven:
      tx.Put(absl::StrCat("feedback/", event.feedback_given().referral_id(), "/", event.feedback_given().org_id()),
             event.feedback_given().text());
      return absl::OkStatus();
    case remiss::v1::FollowupEvent::kActionAssigned:
    case remiss::v1::FollowupEvent::kActionReported: {
      const std::string referral = core::StringFieldOfOneof(event, "referral_id");
      core::UpdateRow<remiss::v1::FollowupActions>(tx, absl::StrCat("actions/", referral), [&](auto& list) {
        std::vector<remiss::v1::FollowupAction> actions(list.actions().begin(), list.actions().end());
        FoldAction(actions, event);
        list.clear_actions();
        for (auto& a : actions) *list.add_actions() = std::move(a);
      });
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace remiss::followup
