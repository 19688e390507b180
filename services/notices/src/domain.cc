#include "remiss/notices/domain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/timestamps.h"

namespace remiss::notices {
namespace {

using remiss::v1::EventEnvelope;
using remiss::v1::NoticeKind;
using remiss::v1::NoticeQueued;
using remiss::v1::NoticeRound;

// "2021-02-26" -> "26 februari 2021"; anything else as it is.
std::string SwedishDate(const std::string& date) {
  static const char* const kMonths[] = {"januari", "februari", "mars",      "april",   "maj",      "juni",
                                        "juli",    "augusti",  "september", "oktober", "november", "december"};
  auto day = core::ParseCivilDate("date", date);
  if (!day.ok()) return date;
  return absl::StrCat(day->day(), " ", kMonths[day->month() - 1], " ", day->year());
}

bool AnswerRequired(int32_t kind) {
  return kind == remiss::v1::ANSWER_KIND_REQUIRED || kind == remiss::v1::ANSWER_KIND_UNSPECIFIED;
}

// The date that counts for `org`: the deadlines service's, else its own stated, else the round's.
std::string DeadlineOf(const NoticeRound& round, const std::string& org) {
  if (auto it = round.effective_dates().find(org); it != round.effective_dates().end()) return it->second;
  if (auto it = round.deadline_overrides().find(org); it != round.deadline_overrides().end()) return it->second;
  return round.deadline();
}

absl::Status Waiting(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, " has not arrived from the referrals service yet"));
}

class Decider {
 public:
  Decider(const EventEnvelope& observed, const RoundView& view, const NoticeSettings& settings)
      : observed_(observed), view_(view), settings_(settings) {}

  absl::StatusOr<std::vector<NoticeQueued>> Done() {
    if (!status_.ok()) return status_;
    return std::move(out_);
  }

  const NoticeRound* Round() {
    if (!view_.round || view_.round->case_number().empty()) {
      status_.Update(Waiting(absl::StrCat("the round ", observed_.partition_key())));
      return nullptr;
    }
    return &*view_.round;
  }

  // Queues one notice of `kind` to `org` (discriminated by `suffix`), with the round's fields
  // and `extra`. Nothing when it was queued already or the body has no mailbox.
  void Queue(NoticeKind kind, const std::string& org, const std::string& suffix,
             std::map<std::string, std::string> extra = {}) {
    const NoticeRound* round = Round();
    if (round == nullptr) return;
    auto o = view_.orgs.find(org);
    if (o == view_.orgs.end()) {
      status_.Update(Waiting(absl::StrCat("the organization ", org)));
      return;
    }
    std::string id = absl::StrCat(KindName(kind), ".", round->referral_id(), ".", org);
    if (!suffix.empty()) absl::StrAppend(&id, ".", suffix);
    if (view_.queued.count(id) > 0 || o->second.registry_mailbox().empty()) return;
    for (const auto& n : out_) {
      if (n.notice_id() == id) return;
    }
    NoticeQueued& n = out_.emplace_back();
    n.set_notice_id(id);
    n.set_kind(kind);
    n.set_referral_id(round->referral_id());
    n.set_org_id(org);
    n.set_recipient(o->second.registry_mailbox());
    n.set_recipient_name(o->second.name());
    n.set_case_number(round->case_number());
    n.set_cause_event_id(observed_.event_id());
    *n.mutable_cause_recorded_at() = observed_.recorded_at();
    auto& f = *n.mutable_fields();
    f["referral_id"] = round->referral_id();
    f["case_number"] = round->case_number();
    f["title"] = round->title();
    f["summary"] = round->summary();
    f["org_name"] = o->second.name().empty() ? org : o->second.name();
    auto sender = view_.orgs.find(round->sender_org_id());
    f["sender_name"] = sender != view_.orgs.end() && !sender->second.name().empty()
                           ? sender->second.name()
                           : round->sender_org_id();
    f["deadline"] = SwedishDate(DeadlineOf(*round, org));
    f["link"] = settings_.console_url.empty()
                    ? ""
                    : absl::StrCat(settings_.console_url, "/remisser/", round->referral_id(), "/svar/", org);
    std::vector<std::string> docs;
    for (const auto& d : round->documents()) {
      docs.push_back(d.uri().empty() ? d.title() : absl::StrCat(d.title(), " (", d.uri(), ")"));
    }
    f["documents"] = docs.empty() ? "(inga bilagor)" : absl::StrJoin(docs, "\n");
    std::vector<std::string> contact;
    for (const std::string* s : {&round->contact().name(), &round->contact().email(), &round->contact().phone()}) {
      if (!s->empty()) contact.push_back(*s);
    }
    f["contact"] = absl::StrJoin(contact, ", ");
    for (auto& [k, v] : extra) f[k] = std::move(v);
  }

  // Whether `org`'s answer was recorded before the observed event. At the same instant (a
  // clock that stands still) the event's service decided without the answer: it goes out.
  bool Answered(const std::string& org) const {
    auto it = view_.answered.find(org);
    return it != view_.answered.end() && it->second < core::FromTimestamp(observed_.recorded_at());
  }

 private:
  const EventEnvelope& observed_;
  const RoundView& view_;
  const NoticeSettings& settings_;
  absl::Status status_;
  std::vector<NoticeQueued> out_;
};

std::string ReminderWhen(int32_t days_before) {
  if (days_before > 1) return absl::StrCat("om ", days_before, " dagar");
  if (days_before == 1) return "i morgon";
  if (days_before == 0) return "i dag";
  if (days_before == -1) return "i går";
  return absl::StrCat("för ", -days_before, " dagar sedan");
}

}  // namespace

std::string KindName(NoticeKind kind) {
  switch (kind) {
    case remiss::v1::NOTICE_KIND_ROUND: return "round";
    case remiss::v1::NOTICE_KIND_REMINDER: return "reminder";
    case remiss::v1::NOTICE_KIND_OVERDUE: return "overdue";
    case remiss::v1::NOTICE_KIND_OVERDUE_SUMMARY: return "overdue_summary";
    case remiss::v1::NOTICE_KIND_RECEIPT: return "receipt";
    case remiss::v1::NOTICE_KIND_CHANGE: return "change";
    default: return "unknown";
  }
}

void FoldRound(NoticeRound& round, const remiss::v1::ReferralEvent& e) {
  using E = remiss::v1::ReferralEvent;
  switch (e.event_case()) {
    case E::kReferralDrafted: {
      const auto& d = e.referral_drafted();
      round.set_referral_id(d.referral_id());
      round.set_case_number(d.case_number());
      round.set_title(d.title());
      round.set_summary(d.summary());
      round.set_sender_org_id(d.sender_org_id());
      *round.mutable_contact() = d.contact();
      break;
    }
    case E::kDocumentAttached: {
      auto* docs = round.mutable_documents();
      auto it = std::find_if(docs->begin(), docs->end(),
                             [&](const auto& d) { return d.id() == e.document_attached().document().id(); });
      if (it != docs->end()) {
        *it = e.document_attached().document();
      } else {
        *docs->Add() = e.document_attached().document();
      }
      break;
    }
    case E::kAddresseeAdded: {
      const auto& a = e.addressee_added().addressee();
      (*round.mutable_addressees())[a.org_id()] = a.answer();
      if (!a.deadline_override().empty()) (*round.mutable_deadline_overrides())[a.org_id()] = a.deadline_override();
      break;
    }
    case E::kAddresseeRemoved:
      round.mutable_addressees()->erase(e.addressee_removed().org_id());
      round.mutable_deadline_overrides()->erase(e.addressee_removed().org_id());
      break;
    case E::kDeadlineSet:
      round.set_deadline(e.deadline_set().deadline());
      break;
    case E::kReferralIssued: {
      const auto& i = e.referral_issued();
      round.set_referral_id(i.referral_id());
      round.set_case_number(i.case_number());
      round.set_title(i.title());
      round.set_sender_org_id(i.sender_org_id());
      round.set_deadline(i.deadline());
      round.set_issued(true);
      round.clear_addressees();
      round.clear_deadline_overrides();
      for (const auto& a : i.addressees()) {
        (*round.mutable_addressees())[a.org_id()] = a.answer();
        if (!a.deadline_override().empty()) (*round.mutable_deadline_overrides())[a.org_id()] = a.deadline_override();
      }
      break;
    }
    case E::kDeadlineMoved: {
      const auto& m = e.deadline_moved();
      if (m.org_id().empty()) {
        round.set_deadline(m.deadline());
      } else {
        (*round.mutable_deadline_overrides())[m.org_id()] = m.deadline();
      }
      break;
    }
    case E::kReferralClosed:
    case E::kReferralWithdrawn:
      round.set_ended(true);
      break;
    default:
      break;
  }
}

void FoldDeadlineDate(NoticeRound& round, const remiss::v1::DeadlineEvent& e) {
  if (e.has_deadline_scheduled()) {
    (*round.mutable_effective_dates())[e.deadline_scheduled().org_id()] = e.deadline_scheduled().effective_date();
  } else if (e.has_deadline_changed()) {
    (*round.mutable_effective_dates())[e.deadline_changed().org_id()] = e.deadline_changed().effective_date();
  }
}

void FoldOrganization(remiss::v1::Organization& org, const remiss::v1::ReferralEvent& e) {
  if (e.has_organization_registered()) {
    const auto& r = e.organization_registered();
    org.set_org_id(r.org_id());
    org.set_name(r.name());
    org.set_kind(r.kind());
    org.set_diary_prefix(r.diary_prefix());
    org.set_registry_mailbox(r.registry_mailbox());
  } else if (e.has_organization_updated()) {
    const auto& u = e.organization_updated();
    org.set_org_id(u.org_id());
    org.set_name(u.name());
    org.set_kind(u.kind());
    org.set_diary_prefix(u.diary_prefix());
  } else if (e.has_registry_mailbox_set()) {
    org.set_org_id(e.registry_mailbox_set().org_id());
    org.set_registry_mailbox(e.registry_mailbox_set().registry_mailbox());
  }
}

std::string AnsweredBy(const EventEnvelope& observed) {
  if (observed.has_responses()) {
    const auto& r = observed.responses();
    if (r.has_response_submitted()) return r.response_submitted().org_id();
    if (r.has_response_declined()) return r.response_declined().org_id();
  }
  if (observed.has_deadlines()) {
    const auto& d = observed.deadlines();
    if (d.has_response_received()) return d.response_received().org_id();
    if (d.has_response_declined_noted()) return d.response_declined_noted().org_id();
  }
  return "";
}

absl::StatusOr<std::vector<NoticeQueued>> NoticesFor(const EventEnvelope& observed, const RoundView& view,
                                                     const NoticeSettings& settings) {
  Decider d(observed, view, settings);
  if (observed.has_referrals()) {
    const auto& e = observed.referrals();
    if (e.has_referral_issued()) {
      for (const auto& a : e.referral_issued().addressees()) d.Queue(remiss::v1::NOTICE_KIND_ROUND, a.org_id(), "");
    } else if (e.has_addressee_added() && view.round && view.round->issued() && !view.round->ended()) {
      d.Queue(remiss::v1::NOTICE_KIND_ROUND, e.addressee_added().addressee().org_id(), "");
    }
    return d.Done();
  }
  if (observed.has_responses()) {
    const auto& e = observed.responses();
    if (e.has_response_submitted()) {
      const auto& s = e.response_submitted();
      d.Queue(remiss::v1::NOTICE_KIND_RECEIPT, s.org_id(), "",
              {{"submitted_on", SwedishDate(core::FormatCivilDate(core::StockholmDate(
                                    absl::FromUnixSeconds(s.submitted_at().seconds()))))}});
    }
    return d.Done();
  }
  if (!observed.has_deadlines()) return d.Done();
  const auto& e = observed.deadlines();
  if (e.has_reminder_issued()) {
    const auto& r = e.reminder_issued();
    if (!d.Answered(r.org_id())) {
      d.Queue(remiss::v1::NOTICE_KIND_REMINDER, r.org_id(), absl::StrCat(r.effective_date(), ".", r.days_before()),
              {{"days_before", absl::StrCat(r.days_before())},
               {"when", ReminderWhen(r.days_before())},
               {"deadline", SwedishDate(r.effective_date())}});
    }
  } else if (e.has_deadline_breached()) {
    const auto& b = e.deadline_breached();
    if (!d.Answered(b.org_id())) {
      d.Queue(remiss::v1::NOTICE_KIND_OVERDUE, b.org_id(), b.effective_date(),
              {{"deadline", SwedishDate(b.effective_date())}});
    }
    if (const NoticeRound* round = d.Round()) {
      std::vector<std::string> missing;
      for (const auto& [org, kind] : round->addressees()) {
        if (!AnswerRequired(kind) || d.Answered(org)) continue;
        auto o = view.orgs.find(org);
        missing.push_back(o != view.orgs.end() && !o->second.name().empty()
                              ? absl::StrCat(o->second.name(), " (", org, ")")
                              : org);
      }
      if (!missing.empty()) {
        d.Queue(remiss::v1::NOTICE_KIND_OVERDUE_SUMMARY, round->sender_org_id(), b.effective_date(),
                {{"deadline", SwedishDate(b.effective_date())},
                 {"not_answered", absl::StrJoin(missing, "\n")},
                 {"not_answered_count", absl::StrCat(missing.size())}});
      }
    }
  } else if (e.has_deadline_changed()) {
    const auto& c = e.deadline_changed();
    if (!d.Answered(c.org_id())) {
      const bool extension = c.cause() == remiss::v1::DEADLINE_CHANGE_CAUSE_EXTENSION_GRANTED;
      d.Queue(remiss::v1::NOTICE_KIND_CHANGE, c.org_id(), c.effective_date(),
              {{"change", extension ? "Anstånd har beviljats" : "Svarsdatumet har ändrats"},
               {"deadline", SwedishDate(c.effective_date())},
               {"previous_deadline", SwedishDate(c.previous_effective_date())}});
    }
  } else if (e.has_extension_refused()) {
    const auto& r = e.extension_refused();
    if (!d.Answered(r.org_id())) {
      d.Queue(remiss::v1::NOTICE_KIND_CHANGE, r.org_id(), absl::StrCat("refused.", r.extension_id()),
              {{"change", "Begäran om anstånd har avslagits"},
               {"previous_deadline", view.round ? SwedishDate(DeadlineOf(*view.round, r.org_id())) : std::string()},
               {"reason", r.reason()}});
    }
  }
  return d.Done();
}

absl::StatusOr<remiss::v1::NoticeRetried> DecideRetry(const remiss::v1::RetryNoticeRequest& request,
                                                      const remiss::v1::Notice* notice,
                                                      absl::string_view current_mailbox) {
  if (request.notice_id().empty()) return absl::InvalidArgumentError("notice_id: is required");
  if (notice == nullptr) {
    return absl::NotFoundError(absl::StrCat("notice_id: no notice \"", request.notice_id(), "\""));
  }
  if (notice->state() != remiss::v1::NOTICE_STATE_PARKED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "notice_id: ", request.notice_id(), " is not parked (", remiss::v1::NoticeState_Name(notice->state()),
        "): only a notice the server refused waits for a retry"));
  }
  if (request.reason().size() > 500) return absl::InvalidArgumentError("reason: at most 500 characters");
  remiss::v1::NoticeRetried r;
  r.set_notice_id(notice->notice_id());
  r.set_reason(request.reason());
  r.set_recipient(current_mailbox.empty() ? notice->recipient() : std::string(current_mailbox));
  return r;
}

absl::StatusOr<remiss::v1::NoticeSkipped> DecideSkip(const remiss::v1::SkipNoticeRequest& request,
                                                     const remiss::v1::Notice* notice) {
  if (request.notice_id().empty()) return absl::InvalidArgumentError("notice_id: is required");
  if (request.reason().empty()) return absl::InvalidArgumentError("reason: is required (why the notice is not sent)");
  if (request.reason().size() > 500) return absl::InvalidArgumentError("reason: at most 500 characters");
  if (notice == nullptr) {
    return absl::NotFoundError(absl::StrCat("notice_id: no notice \"", request.notice_id(), "\""));
  }
  if (notice->state() == remiss::v1::NOTICE_STATE_DELIVERED ||
      notice->state() == remiss::v1::NOTICE_STATE_SKIPPED) {
    return absl::FailedPreconditionError(absl::StrCat("notice_id: ", request.notice_id(), " is already ",
                                                      remiss::v1::NoticeState_Name(notice->state())));
  }
  remiss::v1::NoticeSkipped s;
  s.set_notice_id(notice->notice_id());
  s.set_reason(request.reason());
  return s;
}

std::string MessageIdFor(absl::string_view event_id, absl::string_view domain) {
  return absl::StrCat("<notice.", event_id, "@", domain, ">");
}

absl::Duration BackoffAfter(uint32_t attempt, absl::Duration base, absl::Duration cap) {
  absl::Duration d = base;
  for (uint32_t i = 1; i < attempt && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

}  // namespace remiss::notices
