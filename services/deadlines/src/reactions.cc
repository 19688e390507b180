#include "remiss/deadlines/reactions.h"

#include <set>

#include "remiss/core/civil_date.h"
#include "remiss/core/projection.h"
#include "remiss/deadlines/domain.h"
#include "remiss/deadlines/projector.h"

namespace remiss::deadlines {
namespace {

using remiss::v1::DeadlineEvent;
using remiss::v1::EventEnvelope;

absl::Status Append(core::Tx& tx, const std::string& referral_id, const std::string& org_id,
                    const std::vector<DeadlineEvent>& events, const std::string& causation) {
  if (events.empty()) return absl::OkStatus();
  std::vector<EventEnvelope> envelopes;
  for (const auto& e : events) {
    EventEnvelope& env = envelopes.emplace_back();
    *env.mutable_deadlines() = e;
    env.set_partition_key(referral_id);
    env.set_causation_id(causation);
  }
  return tx.Append(DeadlineStream(referral_id, org_id), std::nullopt, std::move(envelopes));
}

}  // namespace

absl::Status AppendToDeadline(core::Tx& tx, const std::string& referral_id,
                              const std::string& org_id, std::vector<DeadlineEvent> events,
                              const std::string& causation) {
  if (absl::Status s = Append(tx, referral_id, org_id, events, causation); !s.ok()) return s;
  std::optional<remiss::v1::Deadline> state = LoadDeadline(tx, referral_id, org_id);
  if (!state) return absl::OkStatus();
  return Append(tx, referral_id, org_id,
                CheckAtRisk(*state, MeetingDays(LoadCalendar(tx, org_id)),
                            core::StockholmDate(tx.Now())),
                causation);
}

absl::Status FollowResponses(const core::FeedEvent& fed, core::Tx& tx) {
  const EventEnvelope& source = fed.envelope;
  if (!source.has_responses()) return absl::OkStatus();
  const remiss::v1::ResponseEvent& event = source.responses();
  const std::string& referral_id = source.partition_key();

  if (event.has_round_terms_recorded()) {
    const auto& terms = event.round_terms_recorded();
    std::set<std::string> orgs;
    for (const auto& a : terms.addressees()) orgs.insert(a.org_id());
    const std::string prefix = DeadlinePrefix(referral_id);
    tx.Scan(prefix, [&](absl::string_view key, absl::string_view) {
      orgs.insert(std::string(key.substr(prefix.size())));
      return true;
    });
    for (const std::string& org : orgs) {
      std::optional<remiss::v1::Deadline> state = LoadDeadline(tx, referral_id, org);
      Events events = OnRoundTerms(terms, org, state ? &*state : nullptr);
      if (events.empty()) continue;
      if (absl::Status s = AppendToDeadline(tx, referral_id, org, std::move(events), source.event_id());
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  const std::string org = core::StringFieldOfOneof(event, "org_id");
  if (org.empty()) return absl::OkStatus();
  std::optional<remiss::v1::Deadline> state = LoadDeadline(tx, referral_id, org);
  return Append(tx, referral_id, org, OnResponseEvent(event, state ? &*state : nullptr),
                source.event_id());
}

absl::StatusOr<size_t> FireDueTimers(core::Tx& tx, absl::Time watermark, size_t max) {
  const absl::Time now = tx.Now();
  const std::string bound = TimerKeyBound(now);
  std::vector<std::string> keys;
  tx.Scan(kTimerPrefix, [&](absl::string_view key, absl::string_view) {
    if (key >= bound || keys.size() >= max) return false;
    // A due timer waits until the responses feed is known to be past its instant.
    std::optional<StoredTimer> t = ParseTimerKey(key);
    if (t && t->timer.kind == TimerKind::kDue && watermark < t->timer.at) return true;
    keys.emplace_back(key);
    return true;
  });
  size_t fired = 0;
  for (const std::string& key : keys) {
    std::optional<StoredTimer> t = ParseTimerKey(key);
    if (!t) {
      tx.Delete(key);
      continue;
    }
    ++fired;
    std::optional<remiss::v1::Deadline> state = LoadDeadline(tx, t->referral_id, t->org_id);
    if (!state) {
      tx.Delete(key);  // no deadline folded it: not a timer of the log (a stray key)
      continue;
    }
    Events events;
    switch (t->timer.kind) {
      case TimerKind::kReminder:
        events = OnReminderDue(*state, t->timer.days_before, now);
        break;
      case TimerKind::kDue:
        events = OnDue(*state);
        break;
      case TimerKind::kAtRisk:
        events = CheckAtRisk(*state, MeetingDays(LoadCalendar(tx, t->org_id)),
                             core::StockholmDate(now));
        break;
    }
    if (!events.empty()) {
      // Its facts change the deadline so that its timers no longer include this one: the
      // projector takes it down.
      if (absl::Status s = Append(tx, t->referral_id, t->org_id, events, ""); !s.ok()) return s;
      if (!tx.Get(key).has_value()) continue;
    }
    // Nothing changed (or the timer is still set): the firing itself is the fact.
    EventEnvelope fired_fact;
    *fired_fact.mutable_deadlines()->mutable_timer_fired() = FiredFact(*t);
    fired_fact.set_partition_key(t->referral_id);
    if (absl::Status s = tx.Append(absl::StrCat("timer/", t->referral_id, "/", t->org_id),
                                   std::nullopt, {std::move(fired_fact)});
        !s.ok()) {
      return s;
    }
  }
  return fired;
}

}  // namespace remiss::deadlines
