#include "remiss/notices/projector.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/store/projection.h"

namespace remiss::notices {
namespace {

using remiss::v1::EventEnvelope;
using remiss::v1::Notice;

// A FactObserved's fact, folded into the rows it touches (each source only its own rows).
void ApplyFact(const remiss::v1::FactObserved& f, const std::string& key, core::ProjectionTx& tx) {
  if (f.has_referrals()) {
    const auto& e = f.referrals();
    if (e.has_organization_registered() || e.has_organization_updated() || e.has_registry_mailbox_set()) {
      core::UpdateRow<remiss::v1::Organization>(tx, absl::StrCat("org/", key), [&](auto& o) { FoldOrganization(o, e); });
    } else {
      core::UpdateRow<remiss::v1::NoticeRound>(tx, absl::StrCat("round/", key), [&](auto& r) { FoldRound(r, e); });
    }
    return;
  }
  EventEnvelope observed;
  if (f.has_responses()) *observed.mutable_responses() = f.responses();
  if (f.has_deadlines()) {
    *observed.mutable_deadlines() = f.deadlines();
    if (f.deadlines().has_deadline_scheduled() || f.deadlines().has_deadline_changed()) {
      core::UpdateRow<remiss::v1::NoticeRound>(tx, absl::StrCat("round/", key),
                                      [&](auto& r) { FoldDeadlineDate(r, f.deadlines()); });
    }
  }
  // The earliest record of the answer (responses' submission or deadlines' note of it).
  const std::string org = AnsweredBy(observed);
  if (org.empty()) return;
  const std::string answered_key = absl::StrCat("answered/", key, "/", org);
  const uint64_t at = static_cast<uint64_t>(absl::ToUnixMicros(core::FromTimestamp(f.recorded_at())));
  std::optional<std::string> before = tx.Get(answered_key);
  if (!before || core::DecodeU64(*before) > at) tx.Put(answered_key, core::EncodeU64(at));
}

void UpdateNotice(core::ProjectionTx& tx, const std::string& id, const std::function<void(Notice&)>& change) {
  const std::string key = absl::StrCat("notice/", id);
  std::optional<Notice> n = core::LoadMessage<Notice>(tx, key);
  if (!n) return;  // an event about a notice never queued: nothing to fold
  change(*n);
  tx.Put(key, core::DeterministicBytes(*n));
  const bool pending = n->state() == remiss::v1::NOTICE_STATE_QUEUED || n->state() == remiss::v1::NOTICE_STATE_DEFERRED;
  if (pending) {
    tx.Put(absl::StrCat(kOutboxPrefix, id), "");
  } else {
    tx.Delete(absl::StrCat(kOutboxPrefix, id));
  }
}

}  // namespace

std::string NoticeStream(absl::string_view notice_id) { return absl::StrCat("notice/", notice_id); }

std::optional<Notice> LoadNotice(const Reader& reader, absl::string_view id) {
  return core::ReadRow<Notice>(reader, absl::StrCat("notice/", id));
}
std::optional<remiss::v1::NoticeQueued> LoadQueued(const Reader& reader, absl::string_view id) {
  return core::ReadRow<remiss::v1::NoticeQueued>(reader, absl::StrCat("queued/", id));
}
std::optional<remiss::v1::Organization> LoadOrganization(const Reader& reader, absl::string_view org_id) {
  return core::ReadRow<remiss::v1::Organization>(reader, absl::StrCat("org/", org_id));
}

RoundView LoadRoundView(const Reader& reader, absl::string_view referral_id) {
  RoundView view;
  view.round = core::ReadRow<remiss::v1::NoticeRound>(reader, absl::StrCat("round/", referral_id));
  if (view.round) {
    std::vector<std::string> orgs = {view.round->sender_org_id()};
    for (const auto& [org, kind] : view.round->addressees()) orgs.push_back(org);
    for (const auto& org : orgs) {
      if (auto o = LoadOrganization(reader, org)) view.orgs.emplace(org, std::move(*o));
    }
  }
  const std::string answered = absl::StrCat("answered/", referral_id, "/");
  reader.scan(answered, [&](absl::string_view key, absl::string_view value) {
    view.answered[std::string(key.substr(answered.size()))] =
        absl::FromUnixMicros(static_cast<int64_t>(core::DecodeU64(value)));
    return true;
  });
  const std::string queued = absl::StrCat("by-round/", referral_id, "/");
  reader.scan(queued, [&](absl::string_view key, absl::string_view) {
    view.queued.insert(std::string(key.substr(queued.size())));
    return true;
  });
  return view;
}

std::vector<Notice> ListNotices(const Reader& reader, const std::string& prefix) {
  // The ids first, then the rows: no read from inside a scan's callback.
  std::vector<std::string> ids;
  reader.scan(prefix, [&](absl::string_view key, absl::string_view) {
    ids.emplace_back(key.substr(prefix.size()));
    return true;
  });
  std::vector<Notice> out;
  for (const std::string& id : ids) {
    if (auto n = LoadNotice(reader, id)) out.push_back(std::move(*n));
  }
  return out;
}

absl::Status NoticesProjector::Apply(const EventEnvelope& envelope, core::ProjectionTx& tx) {
  if (!envelope.has_notices()) return absl::OkStatus();
  const auto& event = envelope.notices();
  switch (event.event_case()) {
    case remiss::v1::NoticeEvent::kFactObserved:
      ApplyFact(event.fact_observed(), envelope.partition_key(), tx);
      return absl::OkStatus();
    case remiss::v1::NoticeEvent::kNoticeQueued: {
      const auto& q = event.notice_queued();
      Notice n;
      n.set_notice_id(q.notice_id());
      n.set_kind(q.kind());
      n.set_referral_id(q.referral_id());
      n.set_org_id(q.org_id());
      n.set_recipient(q.recipient());
      n.set_recipient_name(q.recipient_name());
      n.set_case_number(q.case_number());
      n.set_state(remiss::v1::NOTICE_STATE_QUEUED);
      *n.mutable_queued_at() = envelope.recorded_at();
      *n.mutable_next_try_at() = envelope.recorded_at();
      n.set_event_id(envelope.event_id());
      n.set_cause_event_id(q.cause_event_id());
      *n.mutable_cause_recorded_at() = q.cause_recorded_at();
      n.set_traceparent(envelope.traceparent());
      tx.Put(absl::StrCat("notice/", q.notice_id()), core::DeterministicBytes(n));
      tx.Put(absl::StrCat("queued/", q.notice_id()), core::DeterministicBytes(q));
      tx.Put(absl::StrCat("by-round/", q.referral_id(), "/", q.notice_id()), "");
      tx.Put(absl::StrCat("by-org/", q.org_id(), "/", q.notice_id()), "");
      tx.Put(absl::StrCat(kOutboxPrefix, q.notice_id()), "");
      return absl::OkStatus();
    }
    case remiss::v1::NoticeEvent::kNoticeDelivered: {
      const auto& d = event.notice_delivered();
      UpdateNotice(tx, d.notice_id(), [&](Notice& n) {
        n.set_state(remiss::v1::NOTICE_STATE_DELIVERED);
        n.set_message_id(d.message_id());
        n.set_attempts(d.attempt());
        n.set_last_code(d.code());
        n.set_last_reply(d.reply());
        *n.mutable_delivered_at() = d.delivered_at();
        n.clear_next_try_at();
      });
      return absl::OkStatus();
    }
    case remiss::v1::NoticeEvent::kNoticeDeferred: {
      const auto& d = event.notice_deferred();
      UpdateNotice(tx, d.notice_id(), [&](Notice& n) {
        n.set_state(remiss::v1::NOTICE_STATE_DEFERRED);
        n.set_attempts(d.attempt());
        n.set_deferrals(n.deferrals() + 1);
        n.set_last_code(d.code());
        n.set_last_reply(d.reply());
        *n.mutable_next_try_at() = d.next_try_at();
      });
      return absl::OkStatus();
    }
    case remiss::v1::NoticeEvent::kNoticeRejected: {
      const auto& r = event.notice_rejected();
      UpdateNotice(tx, r.notice_id(), [&](Notice& n) {
        n.set_state(remiss::v1::NOTICE_STATE_PARKED);
        n.set_attempts(r.attempt());
        n.set_last_code(r.code());
        n.set_last_reply(r.reply());
        n.clear_next_try_at();
      });
      return absl::OkStatus();
    }
    case remiss::v1::NoticeEvent::kNoticeRetried: {
      const auto& r = event.notice_retried();
      UpdateNotice(tx, r.notice_id(), [&](Notice& n) {
        n.set_state(remiss::v1::NOTICE_STATE_QUEUED);
        if (!r.recipient().empty()) n.set_recipient(r.recipient());
        *n.mutable_next_try_at() = envelope.recorded_at();
      });
      if (!r.recipient().empty()) {
        if (auto q = core::LoadMessage<remiss::v1::NoticeQueued>(tx, absl::StrCat("queued/", r.notice_id()))) {
          q->set_recipient(r.recipient());
          tx.Put(absl::StrCat("queued/", r.notice_id()), core::DeterministicBytes(*q));
        }
      }
      return absl::OkStatus();
    }
    case remiss::v1::NoticeEvent::kNoticeSkipped: {
      UpdateNotice(tx, event.notice_skipped().notice_id(), [&](Notice& n) {
        n.set_state(remiss::v1::NOTICE_STATE_SKIPPED);
        n.clear_next_try_at();
      });
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

}  // namespace remiss::notices
