#include "remiss/deadlines/projector.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/store/projection.h"

namespace remiss::deadlines {
namespace {

using core::LoadMessage;
using core::RecordedAt;
using remiss::v1::BoardCalendar;
using remiss::v1::Deadline;
using remiss::v1::DeadlineEvent;

std::string EncodeTime(absl::Time t) {
  return core::EncodeU64(static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMicros(t))));
}

bool Open(const Deadline& d) {
  return d.scheduled() && !d.cancelled() &&
         (d.outcome() == remiss::v1::DEADLINE_OUTCOME_OPEN ||
          d.outcome() == remiss::v1::DEADLINE_OUTCOME_BREACHED);
}

std::string DueKey(const Deadline& d) {
  return absl::StrCat(kDuePrefix, EncodeTime(core::FromTimestamp(d.due_at())), "/",
                      d.referral_id(), "/", d.org_id());
}

// Open and not yet breached: what the board still has due.
bool StillDue(const Deadline& d) {
  return d.scheduled() && !d.cancelled() && d.outcome() == remiss::v1::DEADLINE_OUTCOME_OPEN;
}

std::string DueByOrgKey(const Deadline& d) {
  return absl::StrCat(DueByOrgPrefix(d.org_id()), d.effective_date(), "/", d.referral_id());
}

// A timer that fired without anything to record (TimerFired) is marked under this key and
// never set again.
std::string FiredKey(absl::string_view timer_key) { return absl::StrCat("fired/", timer_key); }

void PutTimer(core::ProjectionTx& tx, const std::string& key) {
  if (!tx.Get(FiredKey(key)).has_value()) tx.Put(key, "");
}

// Replaces what a deadline contributes to the indexes and timers: `before` (may be null)
// by `after`.
void Reindex(core::ProjectionTx& tx, const Deadline* before, const Deadline& after) {
  const std::vector<int32_t> days = LoadReminderDays(tx, after.referral_id());
  const std::vector<absl::CivilDay> meetings = MeetingDays(LoadCalendar(tx, after.org_id()));
  if (before != nullptr) {
    for (const Timer& t : TimersFor(*before, days, meetings)) {
      tx.Delete(TimerKey({t, before->referral_id(), before->org_id()}));
    }
    if (Open(*before)) tx.Delete(DueKey(*before));
    if (StillDue(*before)) tx.Delete(DueByOrgKey(*before));
  }
  for (const Timer& t : TimersFor(after, days, meetings)) {
    PutTimer(tx, TimerKey({t, after.referral_id(), after.org_id()}));
  }
  const std::string open_key = absl::StrCat(OpenPrefix(after.org_id()), after.referral_id());
  if (Open(after)) {
    tx.Put(DueKey(after), "");
    tx.Put(open_key, "");
  } else {
    tx.Delete(open_key);
  }
  if (StillDue(after)) tx.Put(DueByOrgKey(after), "");
}

// Recomputes the timers of deadlines whose policy or calendar changes: `apply` makes the
// change between taking the old timers down and putting the new ones up.
void RetimeAll(core::ProjectionTx& tx, const std::vector<Deadline>& deadlines,
               const std::function<void()>& apply) {
  std::vector<std::vector<std::string>> old_keys;
  for (const Deadline& d : deadlines) {
    const auto days = LoadReminderDays(tx, d.referral_id());
    const auto meetings = MeetingDays(LoadCalendar(tx, d.org_id()));
    for (const Timer& t : TimersFor(d, days, meetings)) {
      tx.Delete(TimerKey({t, d.referral_id(), d.org_id()}));
    }
  }
  apply();
  for (const Deadline& d : deadlines) {
    const auto days = LoadReminderDays(tx, d.referral_id());
    const auto meetings = MeetingDays(LoadCalendar(tx, d.org_id()));
    for (const Timer& t : TimersFor(d, days, meetings)) {
      PutTimer(tx, TimerKey({t, d.referral_id(), d.org_id()}));
    }
  }
}

std::vector<Deadline> ScanDeadlines(core::ProjectionTx& tx, const std::string& index_prefix,
                                    bool index_is_open_by_org, absl::string_view id) {
  std::vector<Deadline> out;
  tx.Scan(index_prefix, [&](absl::string_view key, absl::string_view value) {
    Deadline d;
    if (index_is_open_by_org) {
      auto row = LoadDeadline(tx, key.substr(index_prefix.size()), id);
      if (row) out.push_back(std::move(*row));
    } else if (d.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      out.push_back(std::move(d));
    }
    return true;
  });
  return out;
}

}  // namespace

std::string DeadlineKey(absl::string_view referral_id, absl::string_view org_id) {
  return absl::StrCat(DeadlinePrefix(referral_id), org_id);
}
std::string DeadlinePrefix(absl::string_view referral_id) { return absl::StrCat("dl/", referral_id, "/"); }
std::string OpenPrefix(absl::string_view org_id) { return absl::StrCat("open/", org_id, "/"); }
std::string DueByOrgPrefix(absl::string_view org_id) { return absl::StrCat("due-by-org/", org_id, "/"); }
std::string DeadlineStream(absl::string_view referral_id, absl::string_view org_id) {
  return absl::StrCat("deadline/", referral_id, "/", org_id);
}
std::string CalendarStream(absl::string_view org_id) { return absl::StrCat("calendar/", org_id); }
std::string PolicyStream(absl::string_view referral_id) { return absl::StrCat("policy/", referral_id); }
std::string SenderStream(absl::string_view org_id) { return absl::StrCat("sender/", org_id); }

std::string TimerKey(const StoredTimer& t) {
  const char kind = t.timer.kind == TimerKind::kReminder ? 'r' : t.timer.kind == TimerKind::kDue ? 'd' : 'a';
  return absl::StrCat(kTimerPrefix, EncodeTime(t.timer.at), "/", t.referral_id, "/", t.org_id, "/",
                      absl::string_view(&kind, 1), "/", t.timer.days_before);
}

std::string TimerKeyBound(absl::Time t) {
  return absl::StrCat(kTimerPrefix, EncodeTime(t + absl::Microseconds(1)));
}

StoredTimer TimerOf(const remiss::v1::TimerFired& e) {
  StoredTimer t;
  t.referral_id = e.referral_id();
  t.org_id = e.org_id();
  t.timer.at = core::FromTimestamp(e.at());
  t.timer.kind = e.kind() == "reminder" ? TimerKind::kReminder
                 : e.kind() == "due"    ? TimerKind::kDue
                                        : TimerKind::kAtRisk;
  t.timer.days_before = e.days_before();
  return t;
}

remiss::v1::TimerFired FiredFact(const StoredTimer& t) {
  remiss::v1::TimerFired e;
  e.set_referral_id(t.referral_id);
  e.set_org_id(t.org_id);
  e.set_kind(t.timer.kind == TimerKind::kReminder ? "reminder"
             : t.timer.kind == TimerKind::kDue    ? "due"
                                                  : "at_risk");
  *e.mutable_at() = core::ToTimestamp(t.timer.at);
  e.set_days_before(t.timer.days_before);
  return e;
}

std::optional<StoredTimer> ParseTimerKey(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kTimerPrefix) || key.size() < 9 || key[8] != '/') return std::nullopt;
  StoredTimer out;
  out.timer.at = absl::FromUnixMicros(static_cast<int64_t>(core::DecodeU64(key.substr(0, 8))));
  std::vector<absl::string_view> parts = absl::StrSplit(key.substr(9), '/');
  if (parts.size() != 4 || parts[2].size() != 1) return std::nullopt;
  out.referral_id = std::string(parts[0]);
  out.org_id = std::string(parts[1]);
  out.timer.kind = parts[2] == "r" ? TimerKind::kReminder : parts[2] == "d" ? TimerKind::kDue : TimerKind::kAtRisk;
  if (!absl::SimpleAtoi(parts[3], &out.timer.days_before)) return std::nullopt;
  return out;
}

std::optional<std::pair<std::string, std::string>> ParseDueKey(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kDuePrefix) || key.size() < 9) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(key.substr(9), '/');
  if (parts.size() != 2) return std::nullopt;
  return std::make_pair(std::string(parts[0]), std::string(parts[1]));
}

std::optional<std::string> ParseDueByOrgKey(absl::string_view key, absl::string_view org_id) {
  if (!absl::ConsumePrefix(&key, DueByOrgPrefix(org_id))) return std::nullopt;
  const size_t slash = key.find('/');  // after the date
  if (slash == absl::string_view::npos) return std::nullopt;
  return std::string(key.substr(slash + 1));
}

std::optional<Deadline> LoadDeadline(core::ProjectionTx& tx, absl::string_view referral_id,
                                     absl::string_view org_id) {
  return LoadMessage<Deadline>(tx, DeadlineKey(referral_id, org_id));
}

BoardCalendar LoadCalendar(core::ProjectionTx& tx, absl::string_view org_id) {
  auto calendar = LoadMessage<BoardCalendar>(tx, absl::StrCat("cal/", org_id));
  if (calendar) return *calendar;
  BoardCalendar empty;
  empty.set_org_id(std::string(org_id));
  return empty;
}

std::vector<absl::CivilDay> MeetingDays(const BoardCalendar& calendar) {
  std::vector<absl::CivilDay> days;
  for (const auto& d : calendar.meeting_dates()) {
    if (auto day = core::ParseCivilDate("meeting_dates", d); day.ok()) days.push_back(*day);
  }
  return days;
}

std::vector<int32_t> LoadReminderDays(core::ProjectionTx& tx, absl::string_view referral_id) {
  auto policy =
      LoadMessage<remiss::v1::ReminderPolicySet>(tx, absl::StrCat("policy/", referral_id));
  if (!policy || policy->days_before().empty()) return DefaultReminderDays();
  return {policy->days_before().begin(), policy->days_before().end()};
}

std::string LoadOwner(core::ProjectionTx& tx, absl::string_view referral_id) {
  return tx.Get(absl::StrCat("owner/", referral_id)).value_or("");
}

std::optional<remiss::v1::SenderRightObserved> LoadSenderRight(core::ProjectionTx& tx,
                                                               absl::string_view org_id) {
  return LoadMessage<remiss::v1::SenderRightObserved>(tx, absl::StrCat("sender/", org_id));
}

absl::Status DeadlinesProjector::Apply(const remiss::v1::EventEnvelope& envelope,
                                       core::ProjectionTx& tx) {
  if (!envelope.has_deadlines()) return absl::OkStatus();
  const DeadlineEvent& event = envelope.deadlines();

  if (event.has_timer_fired()) {  // it is down for good, also through later re-indexing
    const std::string key = TimerKey(TimerOf(event.timer_fired()));
    tx.Delete(key);
    tx.Put(FiredKey(key), "");
    return absl::OkStatus();
  }

  if (event.has_board_meetings_scheduled() || event.has_board_meeting_cancelled()) {
    const std::string org_id = event.has_board_meetings_scheduled()
                                   ? event.board_meetings_scheduled().org_id()
                                   : event.board_meeting_cancelled().org_id();
    const std::string prefix = OpenPrefix(org_id);
    RetimeAll(tx, ScanDeadlines(tx, prefix, /*index_is_open_by_org=*/true, org_id), [&] {
      BoardCalendar calendar = LoadCalendar(tx, org_id);
      Evolve(calendar, event);
      tx.Put(absl::StrCat("cal/", org_id), calendar.SerializeAsString());
    });
    return absl::OkStatus();
  }
  if (event.has_sender_right_observed()) {
    const auto& observed = event.sender_right_observed();
    tx.Put(absl::StrCat("sender/", observed.org_id()), observed.SerializeAsString());
    return absl::OkStatus();
  }
  if (event.has_reminder_policy_set()) {
    const std::string& referral_id = event.reminder_policy_set().referral_id();
    RetimeAll(tx, ScanDeadlines(tx, DeadlinePrefix(referral_id), false, ""), [&] {
      tx.Put(absl::StrCat("policy/", referral_id), event.reminder_policy_set().SerializeAsString());
    });
    return absl::OkStatus();
  }

  // Every deadline event's message carries the deadline's referral_id and org_id.
  const std::string referral_id = core::StringFieldOfOneof(event, "referral_id");
  const std::string org_id = core::StringFieldOfOneof(event, "org_id");
  std::optional<Deadline> before = LoadDeadline(tx, referral_id, org_id);
  Deadline after = before.value_or(Deadline());
  if (!before) {
    after.set_referral_id(referral_id);
    after.set_org_id(org_id);
  }
  Evolve(after, event, envelope.stream_version(), RecordedAt(envelope));
  Reindex(tx, before ? &*before : nullptr, after);
  tx.Put(DeadlineKey(referral_id, org_id), after.SerializeAsString());
  if (event.has_deadline_scheduled() && !event.deadline_scheduled().owner_org_id().empty()) {
    tx.Put(absl::StrCat("owner/", referral_id), event.deadline_scheduled().owner_org_id());
  }
  return absl::OkStatus();
}

}  // namespace remiss::deadlines
