#include "remiss/deadlines/reactions.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

#include "remiss/core/base/civil_date.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/store/projection.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/telemetry/tracing.h"
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

// The trace that issued the round of this deadline: the context its latest DeadlineScheduled
// was recorded in (the round's issuing call, through responses' and this service's consumers).
std::string IssuingTraceparent(core::Tx& tx, const remiss::v1::Deadline& state) {
  auto events = tx.ReadStream(DeadlineStream(state.referral_id(), state.org_id()));
  if (!events.ok()) return "";
  for (auto it = events->rbegin(); it != events->rend(); ++it) {
    if (it->deadlines().has_deadline_scheduled() && !it->traceparent().empty()) return it->traceparent();
  }
  return "";
}

// A breach or a reminder as a span of its own trace (the scheduler starts no trace), linked to
// the round's issuing trace; its events carry it, so what reacts to them joins it. A breach's
// status is ERROR. Its log line has the trace's ids and no names.
core::tracing::Span BeginTimerSpan(core::Tx& tx, const remiss::v1::Deadline& state, const Events& events,
                              absl::Time now) {
  bool breached = false, reminded = false;
  for (const DeadlineEvent& e : events) {
    breached |= e.has_deadline_breached();
    reminded |= e.has_reminder_issued();
  }
  if (!breached && !reminded) return {};
  // Calendar days in Stockholm from the effective date to today: 1 on the day after it.
  auto effective = core::ParseCivilDate("effective_date", state.effective_date());
  const int64_t days_late = effective.ok() ? core::StockholmDate(now) - *effective : 0;
  const std::string due_at =
      state.has_due_at() ? absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", core::FromTimestamp(state.due_at()),
                                            absl::UTCTimeZone())
                         : std::string();
  const char* name = breached ? "deadline.breached" : "deadline.reminded";
  core::tracing::Span span;
  if (core::tracing::Enabled()) {
    span = core::tracing::Span("deadlines", name, core::tracing::Kind::kInternal);
    span.SetAttribute("remiss.referral_id", state.referral_id());
    span.SetAttribute("remiss.org_id", state.org_id());
    span.SetAttribute("remiss.due_at", due_at);
    span.SetAttribute("remiss.effective_date", state.effective_date());
    if (breached) {
      span.SetAttribute("remiss.days_late", days_late);
      span.SetError("the board's deadline passed without an answer");
    }
    span.AddLink(IssuingTraceparent(tx, state), "issued_round");
    tx.SetTraceparent(span.traceparent());
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"referral_id", state.referral_id()}, {"org_id", state.org_id()}, {"due_at", due_at},
      {"effective_date", state.effective_date()}};
  if (breached) fields.emplace_back("days_late", absl::StrCat(days_late));
  core::LogJson("deadlines", breached ? "deadline_breached" : "deadline_reminded", fields,
                         span.traceparent());
  return span;
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
  if (event.has_organization_sending_right()) {
    const auto& right = event.organization_sending_right();
    std::optional<remiss::v1::SenderRightObserved> current = LoadSenderRight(tx, right.org_id());
    std::optional<remiss::v1::SenderRightObserved> observed =
        OnSendingRight(right, current ? &*current : nullptr);
    if (!observed) return absl::OkStatus();
    EventEnvelope own;
    *own.mutable_deadlines()->mutable_sender_right_observed() = std::move(*observed);
    own.set_partition_key(right.org_id());
    own.set_causation_id(source.event_id());
    return tx.Append(SenderStream(right.org_id()), std::nullopt, {std::move(own)});
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
    // Every timer (a breach, a reminder, an at-risk check) waits until the responses feed is
    // known to be past its instant: what it decides on (an answer, a decision) may be there.
    std::optional<StoredTimer> t = ParseTimerKey(key);
    if (t && watermark < t->timer.at) return true;
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
      core::tracing::Span span = BeginTimerSpan(tx, *state, events, now);
      // Its facts change the deadline so that its timers no longer include this one: the
      // projector takes it down.
      absl::Status appended = Append(tx, t->referral_id, t->org_id, events, "");
      if (span.recording()) tx.SetTraceparent("");
      if (!appended.ok()) {
        span.SetError(appended.ToString());
        return appended;
      }
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
