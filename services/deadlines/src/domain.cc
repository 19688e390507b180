// The deadlines domain: one deadline per (round, addressee), followed from the responses
// service's events, moved by extensions (anstånd), reminded, breached and flagged at risk by
// timers, and the boards' meeting calendars and the rounds' reminder policies.
// Every Decide checks in the same order:
//   1. the command's own fields (INVALID_ARGUMENT; needs no state),
//   2. the subject: the deadline scheduled, the extension or meeting date known (NOT_FOUND),
//      and what the command asks compared with the recorded dates (INVALID_ARGUMENT),
//   3. the deadline's state (FAILED_PRECONDITION).
// Every message starts with the field it is about: "requested_date: must be later than ...".
//
// The effective date is EffectiveDate(max(stated deadline, latest granted extension date),
// working_day_rule): "latest" is the latest date granted, so a grant never moves a deadline
// earlier. Once a deadline is settled (answered, declined, breached or cancelled) its dates
// no longer change: new terms and grants move only an open deadline.
#include "remiss/deadlines/domain.h"

#include <algorithm>
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
#include "remiss/deadlines/calendar.h"
#include "remiss/views/deadline_view.h"

namespace remiss::deadlines {
namespace {

using remiss::v1::BoardCalendar;
using remiss::v1::Deadline;
using remiss::v1::DeadlineEvent;
using remiss::v1::DeadlineOutcome;
using remiss::v1::Extension;
using remiss::v1::RequestedAnswer;
using remiss::v1::ResponseEvent;
using remiss::v1::RoundTermsRecorded;

constexpr size_t kMaxIdLength = core::limits::kId;
constexpr size_t kMaxReasonLength = core::limits::kReason;
constexpr size_t kMaxNoteLength = core::limits::kNote;
constexpr int32_t kMaxReminderDays = 365;
constexpr int kMaxMeetingDates = core::limits::kMeetingDates;
constexpr int kReminderHour = 8;  // reminders go out at 08:00 Stockholm time

using core::DateAfterToday;
using core::FromTimestamp;
using core::Invalid;
using core::IsBlank;
using core::Item;
using core::MaxLength;
using core::RequiredText;
using core::ToTimestamp;

// ---- shared validators ----

absl::Status RequiredId(absl::string_view field, absl::string_view value) {
  REMISS_RETURN_IF_ERROR(core::Required(field, value));
  return MaxLength(field, value, kMaxIdLength);
}

absl::Status RequireIds(absl::string_view referral_id, absl::string_view org_id) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", referral_id));
  return RequiredId("org_id", org_id);
}

// ---- time ----

const absl::TimeZone& Stockholm() {
  static const absl::TimeZone* zone = [] {
    auto* z = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/Stockholm", z)) {
      // No zone database (core's civil dates need the same one): fall back to CET, which is
      // an hour off in summer.
      *z = absl::FixedTimeZone(3600);
    }
    return z;
  }();
  return *zone;
}

// 08:00 Stockholm time on `day`, correct across daylight-saving changes.
absl::Time ReminderInstant(absl::CivilDay day) {
  return absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), kReminderHour),
                         Stockholm());
}

std::optional<absl::CivilDay> ParseDate(absl::string_view value) {
  absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate("date", value);
  if (!day.ok()) return std::nullopt;
  return *day;
}

// ---- the deadline's state ----

Events One(DeadlineEvent event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

DeadlineOutcome OutcomeOf(const Deadline& d) {
  return d.outcome() == remiss::v1::DEADLINE_OUTCOME_UNSPECIFIED ? remiss::v1::DEADLINE_OUTCOME_OPEN
                                                                 : d.outcome();
}

// Scheduled and not cancelled: the deadline exists for the addressee.
bool IsActive(const Deadline& d) { return d.scheduled() && !d.cancelled(); }

bool IsOpen(const Deadline& d) {
  return IsActive(d) && OutcomeOf(d) == remiss::v1::DEADLINE_OUTCOME_OPEN;
}

// Active and still awaiting the answer: open, or breached and not yet answered.
bool IsAwaitingAnswer(const Deadline& d) {
  if (!IsActive(d)) return false;
  DeadlineOutcome outcome = OutcomeOf(d);
  return outcome == remiss::v1::DEADLINE_OUTCOME_OPEN ||
         outcome == remiss::v1::DEADLINE_OUTCOME_BREACHED;
}

absl::string_view OutcomeName(DeadlineOutcome outcome) {
  switch (outcome) {
    case remiss::v1::DEADLINE_OUTCOME_UNSPECIFIED:
    case remiss::v1::DEADLINE_OUTCOME_OPEN:
      return "open";
    case remiss::v1::DEADLINE_OUTCOME_MET:
      return "met (answered in time)";
    case remiss::v1::DEADLINE_OUTCOME_MET_LATE:
      return "answered late";
    case remiss::v1::DEADLINE_OUTCOME_BREACHED:
      return "breached";
    case remiss::v1::DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE:
      return "breached and then answered late";
    case remiss::v1::DEADLINE_OUTCOME_DECLINED:
      return "declined";
    case remiss::v1::DEADLINE_OUTCOME_CANCELLED:
      return "cancelled";
    default:
      return "in no known state";
  }
}

bool ReminderIssued(const Deadline& d, int32_t days_before) {
  return std::find(d.reminders_issued().begin(), d.reminders_issued().end(), days_before) !=
         d.reminders_issued().end();
}

// The latest date granted among the deadline's extensions, if any.
std::optional<absl::CivilDay> LatestGrantedDate(const Deadline& d) {
  std::optional<absl::CivilDay> latest;
  for (const Extension& e : d.extensions()) {
    if (e.state() != remiss::v1::EXTENSION_STATE_GRANTED) continue;
    std::optional<absl::CivilDay> day = ParseDate(e.granted_date());
    if (day && (!latest || *day > *latest)) latest = day;
  }
  return latest;
}

absl::CivilDay ComputeEffectiveDate(absl::CivilDay stated, std::optional<absl::CivilDay> granted,
                                    bool working_day_rule) {
  absl::CivilDay counted = granted && *granted > stated ? *granted : stated;
  return EffectiveDate(counted, working_day_rule);
}

const Extension* FindExtension(const Deadline& d, absl::string_view id) {
  for (const Extension& e : d.extensions()) {
    if (e.extension_id() == id) return &e;
  }
  return nullptr;
}

const Extension* PendingExtension(const Deadline& d) {
  for (const Extension& e : d.extensions()) {
    if (e.state() == remiss::v1::EXTENSION_STATE_REQUESTED) return &e;
  }
  return nullptr;
}

absl::Status NoDeadline(absl::string_view referral_id, absl::string_view org_id,
                        const Deadline* state) {
  if (state == nullptr || !state->scheduled()) {
    return absl::NotFoundError(absl::StrCat("org_id: no deadline for \"", org_id,
                                            "\" in round \"", referral_id,
                                            "\" (not an addressee asked to answer, or its terms "
                                            "have not arrived)"));
  }
  return absl::OkStatus();
}

absl::Status RequireOpen(const Deadline& d, absl::string_view what) {
  if (IsOpen(d)) return absl::OkStatus();
  std::string detail;
  if (d.cancelled() && !d.cancel_reason().empty()) detail = absl::StrCat(" (", d.cancel_reason(), ")");
  return absl::FailedPreconditionError(absl::StrCat("outcome: the deadline is ",
                                                    OutcomeName(OutcomeOf(d)), detail, "; ", what,
                                                    " only while it is open"));
}

const RequestedAnswer* FindAddressee(const RoundTermsRecorded& terms, absl::string_view org_id) {
  for (const RequestedAnswer& a : terms.addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

bool ExpectsAnswer(const RequestedAnswer* a) {
  return a != nullptr && a->answer() != remiss::v1::ANSWER_KIND_FOR_INFORMATION;
}

DeadlineEvent Cancelled(absl::string_view referral_id, absl::string_view org_id,
                        std::string reason) {
  DeadlineEvent event;
  auto* e = event.mutable_deadline_cancelled();
  e->set_referral_id(std::string(referral_id));
  e->set_org_id(std::string(org_id));
  e->set_reason(std::move(reason));
  return event;
}

}  // namespace

const std::vector<int32_t>& DefaultReminderDays() {
  static const std::vector<int32_t> days = {14, 3, -1};
  return days;
}

// ---- following the responses service ----

Events OnRoundTerms(const RoundTermsRecorded& terms, absl::string_view org_id,
                    const Deadline* state) {
  const RequestedAnswer* addressee = FindAddressee(terms, org_id);
  const bool active = state != nullptr && IsActive(*state);
  const std::string& referral_id = terms.referral_id();

  if (terms.state() == remiss::v1::ROUND_STATE_WITHDRAWN) {
    if (!active || !IsAwaitingAnswer(*state)) return {};
    return One(Cancelled(referral_id, org_id,
                         terms.reason().empty()
                             ? std::string("the round was withdrawn")
                             : absl::StrCat("the round was withdrawn: ", terms.reason())));
  }

  if (!ExpectsAnswer(addressee)) {
    if (!active || !IsAwaitingAnswer(*state)) return {};
    return One(Cancelled(referral_id, org_id,
                         addressee == nullptr
                             ? "the addressee was removed"
                             : "the addressee receives the round for information only"));
  }

  // A closed round changes no deadline (but an addressee removed from it is cancelled above).
  if (terms.state() == remiss::v1::ROUND_STATE_CLOSED) return {};

  const std::string& stated_text =
      addressee->stated_deadline().empty() ? terms.deadline() : addressee->stated_deadline();
  std::optional<absl::CivilDay> stated = ParseDate(stated_text);
  if (!stated) return {};  // the responses service validated it; nothing sensible to schedule

  if (!active) {
    std::optional<absl::CivilDay> granted =
        state != nullptr ? LatestGrantedDate(*state) : std::nullopt;
    absl::CivilDay effective = ComputeEffectiveDate(*stated, granted, terms.working_day_rule());
    DeadlineEvent event;
    auto* e = event.mutable_deadline_scheduled();
    e->set_referral_id(referral_id);
    e->set_org_id(std::string(org_id));
    e->set_case_number(terms.case_number());
    e->set_title(terms.title());
    e->set_stated_deadline(core::FormatCivilDate(*stated));
    e->set_working_day_rule(terms.working_day_rule());
    e->set_effective_date(core::FormatCivilDate(effective));
    *e->mutable_due_at() = ToTimestamp(core::EndOfStockholmDay(effective));
    e->set_owner_org_id(terms.owner_org_id());
    return One(std::move(event));
  }

  // Settled deadlines (answered, declined, breached) keep their dates.
  if (!IsOpen(*state)) return {};
  absl::CivilDay effective =
      ComputeEffectiveDate(*stated, LatestGrantedDate(*state), terms.working_day_rule());
  std::string stated_now = core::FormatCivilDate(*stated);
  std::string effective_now = core::FormatCivilDate(effective);
  if (stated_now == state->stated_deadline() && effective_now == state->effective_date()) {
    return {};
  }
  DeadlineEvent event;
  auto* e = event.mutable_deadline_changed();
  e->set_referral_id(referral_id);
  e->set_org_id(std::string(org_id));
  e->set_stated_deadline(stated_now);
  e->set_effective_date(effective_now);
  *e->mutable_due_at() = ToTimestamp(core::EndOfStockholmDay(effective));
  e->set_cause(remiss::v1::DEADLINE_CHANGE_CAUSE_STATED_DEADLINE_MOVED);
  e->set_previous_effective_date(state->effective_date());
  return One(std::move(event));
}

Events OnResponseEvent(const ResponseEvent& event, const Deadline* state) {
  if (state == nullptr || !IsAwaitingAnswer(*state)) return {};
  const Deadline& d = *state;
  auto decision_noted = [&]() -> Events {
    if (d.decided()) return {};
    DeadlineEvent out;
    auto* e = out.mutable_board_decision_noted();
    e->set_referral_id(d.referral_id());
    e->set_org_id(d.org_id());
    return One(std::move(out));
  };
  switch (event.event_case()) {
    case ResponseEvent::kResponseSubmitted: {
      const auto& submitted = event.response_submitted();
      absl::Time at = FromTimestamp(submitted.submitted_at());
      DeadlineOutcome outcome;
      if (OutcomeOf(d) == remiss::v1::DEADLINE_OUTCOME_BREACHED) {
        outcome = remiss::v1::DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE;
      } else if (at < FromTimestamp(d.due_at())) {
        outcome = remiss::v1::DEADLINE_OUTCOME_MET;
      } else {
        outcome = remiss::v1::DEADLINE_OUTCOME_MET_LATE;
      }
      DeadlineEvent out;
      auto* e = out.mutable_response_received();
      e->set_referral_id(d.referral_id());
      e->set_org_id(d.org_id());
      *e->mutable_submitted_at() = submitted.submitted_at();
      e->set_outcome(outcome);
      return One(std::move(out));
    }
    case ResponseEvent::kResponseDeclined: {
      DeadlineEvent out;
      auto* e = out.mutable_response_declined_noted();
      e->set_referral_id(d.referral_id());
      e->set_org_id(d.org_id());
      *e->mutable_declined_at() = event.response_declined().declined_at();
      return One(std::move(out));
    }
    case ResponseEvent::kBoardDecisionRecorded:
    case ResponseEvent::kDelegationDecisionRecorded:
      return decision_noted();
    case ResponseEvent::kFactCorrected: {
      // A correction that records a decision (e.g. one that was missed) counts as one; a
      // correction never takes a decision away.
      const auto& c = event.fact_corrected();
      if (c.has_board_decision_recorded() || c.has_delegation_decision_recorded()) {
        return decision_noted();
      }
      return {};
    }
    default:
      return {};
  }
}

// ---- timers ----

std::vector<Timer> TimersFor(const Deadline& state, const std::vector<int32_t>& reminder_days,
                             const std::vector<absl::CivilDay>& meetings) {
  std::vector<Timer> timers;
  if (!IsAwaitingAnswer(state)) return timers;
  std::optional<absl::CivilDay> effective = ParseDate(state.effective_date());
  if (!effective) return timers;

  const std::vector<int32_t>& policy = reminder_days.empty() ? DefaultReminderDays() : reminder_days;
  std::set<int32_t> listed;
  for (int32_t days : policy) {
    if (ReminderIssued(state, days) || !listed.insert(days).second) continue;
    timers.push_back(Timer{ReminderInstant(*effective - days), TimerKind::kReminder, days});
  }

  if (IsOpen(state)) {
    timers.push_back(Timer{FromTimestamp(state.due_at()), TimerKind::kDue, 0});
    if (!state.decided() && state.at_risk_for() != state.effective_date() && !meetings.empty()) {
      std::optional<absl::CivilDay> last;
      for (absl::CivilDay m : meetings) {
        if (m <= *effective && (!last || m > *last)) last = m;
      }
      if (!last) {
        // No meeting on or before the effective date: at risk already; check at once.
        timers.push_back(Timer{absl::UnixEpoch(), TimerKind::kAtRisk, 0});
      } else if (*last < *effective) {
        // A meeting on the effective date itself leaves nothing to check before the due time.
        timers.push_back(Timer{core::EndOfStockholmDay(*last), TimerKind::kAtRisk, 0});
      }
    }
  }
  std::stable_sort(timers.begin(), timers.end(),
                   [](const Timer& a, const Timer& b) { return a.at < b.at; });
  return timers;
}

Events OnReminderDue(const Deadline& state, int32_t days_before, absl::Time now) {
  if (!IsAwaitingAnswer(state) || ReminderIssued(state, days_before)) return {};
  DeadlineEvent out;
  auto* e = out.mutable_reminder_issued();
  e->set_referral_id(state.referral_id());
  e->set_org_id(state.org_id());
  e->set_days_before(days_before);
  e->set_effective_date(state.effective_date());
  *e->mutable_reminded_at() = ToTimestamp(now);
  return One(std::move(out));
}

Events OnDue(const Deadline& state) {
  if (!IsOpen(state)) return {};
  DeadlineEvent out;
  auto* e = out.mutable_deadline_breached();
  e->set_referral_id(state.referral_id());
  e->set_org_id(state.org_id());
  e->set_effective_date(state.effective_date());
  *e->mutable_due_at() = state.due_at();
  return One(std::move(out));
}

Events CheckAtRisk(const Deadline& state, const std::vector<absl::CivilDay>& meetings,
                   absl::CivilDay today) {
  if (!IsOpen(state) || state.decided() || meetings.empty()) return {};
  if (state.at_risk_for() == state.effective_date()) return {};
  std::optional<absl::CivilDay> effective = ParseDate(state.effective_date());
  // Past the effective date the deadline is overdue, not at risk: the breach says so.
  if (!effective || today > *effective) return {};
  std::optional<absl::CivilDay> last_before;
  for (absl::CivilDay m : meetings) {
    if (m >= today && m <= *effective) return {};  // a meeting can still decide in time
    if (m < today && (!last_before || m > *last_before)) last_before = m;
  }
  DeadlineEvent out;
  auto* e = out.mutable_deadline_at_risk();
  e->set_referral_id(state.referral_id());
  e->set_org_id(state.org_id());
  e->set_effective_date(state.effective_date());
  if (last_before) e->set_last_meeting(core::FormatCivilDate(*last_before));
  return One(std::move(out));
}

// ---- commands ----

absl::StatusOr<Events> Decide(const remiss::v1::RequestExtensionRequest& cmd,
                              const Deadline* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  absl::StatusOr<absl::CivilDay> requested =
      DateAfterToday("requested_date", cmd.requested_date(), ctx.today);
  if (!requested.ok()) return requested.status();
  REMISS_RETURN_IF_ERROR(RequiredText("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(NoDeadline(cmd.referral_id(), cmd.org_id(), state));
  const Deadline& d = *state;
  std::optional<absl::CivilDay> effective = ParseDate(d.effective_date());
  if (effective && *requested <= *effective) {
    return Invalid("requested_date",
                   absl::StrCat("must be later than the current effective date ",
                                d.effective_date(), " (got ", cmd.requested_date(), ")"));
  }

  REMISS_RETURN_IF_ERROR(RequireOpen(d, "more time can be asked for"));
  if (const Extension* pending = PendingExtension(d)) {
    return absl::FailedPreconditionError(
        absl::StrCat("extensions: ", pending->extension_id(), " (until ",
                     pending->requested_date(), ") is still pending; KS decides it first"));
  }

  DeadlineEvent out;
  auto* e = out.mutable_extension_requested();
  e->set_referral_id(d.referral_id());
  e->set_org_id(d.org_id());
  e->set_extension_id(absl::StrCat("anstand-", d.extensions_size() + 1));
  e->set_requested_date(core::FormatCivilDate(*requested));
  e->set_reason(std::string(absl::StripAsciiWhitespace(cmd.reason())));
  return One(std::move(out));
}

absl::StatusOr<Events> Decide(const remiss::v1::DecideExtensionRequest& cmd,
                              const Deadline* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredId("extension_id", cmd.extension_id()));
  std::optional<absl::CivilDay> granted_date;
  if (cmd.grant()) {
    if (!cmd.granted_date().empty()) {
      absl::StatusOr<absl::CivilDay> day =
          DateAfterToday("granted_date", cmd.granted_date(), ctx.today);
      if (!day.ok()) return day.status();
      granted_date = *day;
    }
    REMISS_RETURN_IF_ERROR(MaxLength("note", cmd.note(), kMaxNoteLength));
  } else {
    if (!cmd.granted_date().empty()) {
      return Invalid("granted_date", absl::StrCat("must be empty when the request is refused "
                                                  "(got \"",
                                                  cmd.granted_date(), "\")"));
    }
    if (IsBlank(cmd.note())) {
      return Invalid("note", "is required when the request is refused (the reason)");
    }
    REMISS_RETURN_IF_ERROR(MaxLength("note", cmd.note(), kMaxNoteLength));
  }

  REMISS_RETURN_IF_ERROR(NoDeadline(cmd.referral_id(), cmd.org_id(), state));
  const Deadline& d = *state;
  const Extension* extension = FindExtension(d, cmd.extension_id());
  if (extension == nullptr) {
    return absl::NotFoundError(absl::StrCat("extension_id: \"", cmd.extension_id(),
                                            "\" was never requested for this deadline"));
  }
  if (extension->state() != remiss::v1::EXTENSION_STATE_REQUESTED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "extension_id: ", extension->extension_id(), " is already ",
        extension->state() == remiss::v1::EXTENSION_STATE_GRANTED
            ? absl::StrCat("granted (until ", extension->granted_date(), ")")
            : std::string("refused")));
  }

  std::string note(absl::StripAsciiWhitespace(cmd.note()));
  if (!cmd.grant()) {
    DeadlineEvent out;
    auto* e = out.mutable_extension_refused();
    e->set_referral_id(d.referral_id());
    e->set_org_id(d.org_id());
    e->set_extension_id(extension->extension_id());
    e->set_reason(std::move(note));
    return One(std::move(out));
  }

  REMISS_RETURN_IF_ERROR(RequireOpen(d, "an extension can be granted"));
  if (!granted_date) {
    std::optional<absl::CivilDay> asked = ParseDate(extension->requested_date());
    if (!asked) {
      return Invalid("granted_date", absl::StrCat("is required: the request's date \"",
                                                  extension->requested_date(),
                                                  "\" is not a date"));
    }
    granted_date = *asked;
  }
  Events events;
  DeadlineEvent granted;
  auto* g = granted.mutable_extension_granted();
  g->set_referral_id(d.referral_id());
  g->set_org_id(d.org_id());
  g->set_extension_id(extension->extension_id());
  g->set_granted_date(core::FormatCivilDate(*granted_date));
  g->set_note(note);
  events.push_back(std::move(granted));

  std::optional<absl::CivilDay> stated = ParseDate(d.stated_deadline());
  std::optional<absl::CivilDay> latest = LatestGrantedDate(d);
  if (!latest || *granted_date > *latest) latest = granted_date;
  if (stated) {
    absl::CivilDay effective = ComputeEffectiveDate(*stated, latest, d.working_day_rule());
    std::string effective_now = core::FormatCivilDate(effective);
    if (effective_now != d.effective_date()) {
      DeadlineEvent changed;
      auto* c = changed.mutable_deadline_changed();
      c->set_referral_id(d.referral_id());
      c->set_org_id(d.org_id());
      c->set_stated_deadline(d.stated_deadline());
      c->set_effective_date(effective_now);
      *c->mutable_due_at() = ToTimestamp(core::EndOfStockholmDay(effective));
      c->set_cause(remiss::v1::DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED);
      c->set_previous_effective_date(d.effective_date());
      events.push_back(std::move(changed));
    }
  }
  return events;
}

absl::StatusOr<Events> Decide(const remiss::v1::SetReminderPolicyRequest& cmd) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(
      core::MaxCount("days_before", cmd.days_before_size(), core::limits::kReminderOffsets));
  std::set<int32_t> seen;
  for (int i = 0; i < cmd.days_before_size(); ++i) {
    int32_t days = cmd.days_before(i);
    if (days < -kMaxReminderDays || days > kMaxReminderDays) {
      return Invalid(Item("days_before", i),
                     absl::StrCat("must be between ", -kMaxReminderDays, " and ",
                                  kMaxReminderDays, " (got ", days, ")"));
    }
    if (!seen.insert(days).second) {
      return Invalid(Item("days_before", i), absl::StrCat(days, " is given more than once"));
    }
  }
  DeadlineEvent out;
  auto* e = out.mutable_reminder_policy_set();
  e->set_referral_id(cmd.referral_id());
  if (cmd.days_before().empty()) {
    for (int32_t days : DefaultReminderDays()) e->add_days_before(days);
  } else {
    *e->mutable_days_before() = cmd.days_before();
  }
  return One(std::move(out));
}

absl::StatusOr<Events> Decide(const remiss::v1::RegisterBoardMeetingsRequest& cmd,
                              const BoardCalendar& calendar) {
  REMISS_RETURN_IF_ERROR(RequiredId("org_id", cmd.org_id()));
  if (cmd.dates().empty()) return Invalid("dates", "at least one date is required");
  if (cmd.dates_size() > kMaxMeetingDates) {
    return Invalid("dates", absl::StrCat("at most ", kMaxMeetingDates,
                                         " dates at a time (got ", cmd.dates_size(), ")"));
  }
  std::set<absl::CivilDay> dates;
  for (int i = 0; i < cmd.dates_size(); ++i) {
    absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate(Item("dates", i), cmd.dates(i));
    if (!day.ok()) return day.status();
    dates.insert(*day);
  }
  std::set<std::string> known(calendar.meeting_dates().begin(), calendar.meeting_dates().end());
  DeadlineEvent out;
  auto* e = out.mutable_board_meetings_scheduled();
  e->set_org_id(cmd.org_id());
  for (absl::CivilDay day : dates) {
    std::string text = core::FormatCivilDate(day);
    if (known.count(text) == 0) e->add_dates(std::move(text));
  }
  if (e->dates().empty()) return Events{};
  return One(std::move(out));
}

absl::StatusOr<Events> Decide(const remiss::v1::CancelBoardMeetingRequest& cmd,
                              const BoardCalendar& calendar) {
  REMISS_RETURN_IF_ERROR(RequiredId("org_id", cmd.org_id()));
  absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate("date", cmd.date());
  if (!day.ok()) return day.status();
  std::string text = core::FormatCivilDate(*day);
  const auto& dates = calendar.meeting_dates();
  if (std::find(dates.begin(), dates.end(), text) == dates.end()) {
    return absl::NotFoundError(absl::StrCat("date: \"", cmd.org_id(), "\" has no meeting on ",
                                            text));
  }
  DeadlineEvent out;
  auto* e = out.mutable_board_meeting_cancelled();
  e->set_org_id(cmd.org_id());
  e->set_date(std::move(text));
  return One(std::move(out));
}

// ---- evolve ----

void Evolve(Deadline& state, const DeadlineEvent& event, uint64_t version,
            absl::Time recorded_at) {
  views::EvolveDeadline(state, event, version, recorded_at);
}

void Evolve(BoardCalendar& calendar, const DeadlineEvent& event) {
  switch (event.event_case()) {
    case DeadlineEvent::kBoardMeetingsScheduled: {
      const auto& e = event.board_meetings_scheduled();
      if (calendar.org_id().empty()) calendar.set_org_id(e.org_id());
      std::set<std::string> dates(calendar.meeting_dates().begin(),
                                  calendar.meeting_dates().end());
      dates.insert(e.dates().begin(), e.dates().end());
      calendar.clear_meeting_dates();
      for (const std::string& d : dates) calendar.add_meeting_dates(d);
      break;
    }
    case DeadlineEvent::kBoardMeetingCancelled: {
      const auto& e = event.board_meeting_cancelled();
      if (calendar.org_id().empty()) calendar.set_org_id(e.org_id());
      auto* dates = calendar.mutable_meeting_dates();
      dates->erase(std::remove(dates->begin(), dates->end(), e.date()), dates->end());
      break;
    }
    default:
      break;
  }
}

}  // namespace remiss::deadlines
