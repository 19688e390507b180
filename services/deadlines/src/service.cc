#include "remiss/deadlines/service.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/server/caller.h"
#include "remiss/core/server/grpc_handlers.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/base/validation.h"
#include "remiss/core/server/paging.h"
#include "remiss/deadlines/domain.h"
#include "remiss/deadlines/projector.h"
#include "remiss/deadlines/reactions.h"

namespace remiss::deadlines {
namespace {

using Reactor = grpc::ServerUnaryReactor;
using remiss::v1::Deadline;

constexpr int kDefaultDays = 30;
constexpr int kMaxDays = 3660;

DecisionContext ContextFor(const core::Tx& tx) {
  return DecisionContext{.now = tx.Now(), .today = core::StockholmDate(tx.Now())};
}

std::vector<remiss::v1::EventEnvelope> Wrap(const Events& events, const std::string& key) {
  std::vector<remiss::v1::EventEnvelope> out;
  for (const auto& e : events) {
    auto& env = out.emplace_back();
    *env.mutable_deadlines() = e;
    env.set_partition_key(key);
  }
  return out;
}

absl::Status RequireIds(const std::string& referral_id, const std::string& org_id) {
  if (referral_id.empty()) return absl::InvalidArgumentError("referral_id: is required");
  if (org_id.empty()) return absl::InvalidArgumentError("org_id: is required");
  return absl::OkStatus();
}

// Issue 25, finding 5: a `ks` caller acts on a round only for its owner (domain
// CheckKsRunsRound), checked in the command's transaction; other roles pass (the policy table
// let them call at all). Nothing is recorded when it refuses.
// A `ks` of an organization observed not to send rounds is refused first (domain
// CheckKsMaySendRounds), on its own rounds as well.
absl::Status CheckKsCaller(const core::Caller& caller, core::Tx& tx, const std::string& referral_id) {
  if (caller.role != core::kRoleKs) return absl::OkStatus();
  std::optional<remiss::v1::SenderRightObserved> right = LoadSenderRight(tx, caller.org_id);
  REMISS_RETURN_IF_ERROR(CheckKsMaySendRounds(
      caller.org_id, right ? std::optional<bool>(right->may_send_rounds()) : std::nullopt));
  return CheckKsRunsRound(referral_id, LoadOwner(tx, referral_id), caller.org_id);
}

bool Overdue(const Deadline& d) {
  return d.outcome() == remiss::v1::DEADLINE_OUTCOME_OPEN ||
         d.outcome() == remiss::v1::DEADLINE_OUTCOME_BREACHED;
}

}  // namespace

template <typename Request>
Reactor* DeadlineGrpcService::ExtensionCommand(Ctx* ctx, const Request* request, Result* result) {
  if (absl::Status s = RequireIds(request->referral_id(), request->org_id()); !s.ok()) {
    return core::FinishCall(ctx, s);
  }
  Request normalized = *request;
  normalized.set_referral_id(core::NormalizeReferralId(request->referral_id()));
  const std::string referral_id = normalized.referral_id();
  const std::string org_id = normalized.org_id();
  auto decide = [normalized = std::move(normalized), referral_id, org_id,
                 caller = core::CallerOf(*ctx)](core::Tx& tx) -> absl::Status {
    REMISS_RETURN_IF_ERROR(CheckKsCaller(caller, tx, referral_id));
    std::optional<Deadline> state = LoadDeadline(tx, referral_id, org_id);
    auto events = Decide(normalized, state ? &*state : nullptr, ContextFor(tx));
    if (!events.ok()) return events.status();
    if (auto expected = core::ExpectedVersion(normalized);
        expected && *expected != tx.StreamVersion(DeadlineStream(referral_id, org_id))) {
      return absl::AbortedError(absl::StrCat("expected_version: ", *expected,
                                             " but the current version is ",
                                             tx.StreamVersion(DeadlineStream(referral_id, org_id))));
    }
    return AppendToDeadline(tx, referral_id, org_id, std::move(*events));
  };
  return core::RunCommand(store_, ctx, *request, absl::StrCat(referral_id, "/", org_id),
                          std::move(decide), result);
}

template <typename Request>
Reactor* DeadlineGrpcService::CalendarCommand(Ctx* ctx, const Request* request, Result* result) {
  if (request->org_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  }
  const std::string org_id = request->org_id();
  auto decide = [request, org_id](core::Tx& tx) -> absl::Status {
    auto events = Decide(*request, LoadCalendar(tx, org_id));
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    if (absl::Status s = tx.Append(CalendarStream(org_id), std::nullopt, Wrap(*events, org_id)); !s.ok()) {
      return s;
    }
    // A calendar change can put the board's open deadlines at risk now.
    std::vector<std::string> referrals;
    const std::string prefix = OpenPrefix(org_id);
    tx.Scan(prefix, [&](absl::string_view key, absl::string_view) {
      referrals.emplace_back(key.substr(prefix.size()));
      return true;
    });
    for (const std::string& referral_id : referrals) {
      if (absl::Status s = AppendToDeadline(tx, referral_id, org_id, {}); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
  return core::RunCommand(store_, ctx, *request, org_id, std::move(decide), result);
}

Reactor* DeadlineGrpcService::RequestExtension(Ctx* ctx, const remiss::v1::RequestExtensionRequest* r,
                                               Result* result) {
  return ExtensionCommand(ctx, r, result);
}
Reactor* DeadlineGrpcService::DecideExtension(Ctx* ctx, const remiss::v1::DecideExtensionRequest* r,
                                              Result* result) {
  return ExtensionCommand(ctx, r, result);
}
Reactor* DeadlineGrpcService::RegisterBoardMeetings(
    Ctx* ctx, const remiss::v1::RegisterBoardMeetingsRequest* r, Result* result) {
  return CalendarCommand(ctx, r, result);
}
Reactor* DeadlineGrpcService::CancelBoardMeeting(Ctx* ctx, const remiss::v1::CancelBoardMeetingRequest* r,
                                                 Result* result) {
  return CalendarCommand(ctx, r, result);
}

Reactor* DeadlineGrpcService::SetReminderPolicy(Ctx* ctx, const remiss::v1::SetReminderPolicyRequest* request,
                                                Result* result) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  remiss::v1::SetReminderPolicyRequest normalized = *request;
  normalized.set_referral_id(core::NormalizeReferralId(request->referral_id()));
  const std::string referral_id = normalized.referral_id();
  auto decide = [normalized = std::move(normalized), referral_id,
                 caller = core::CallerOf(*ctx)](core::Tx& tx) -> absl::Status {
    REMISS_RETURN_IF_ERROR(CheckKsCaller(caller, tx, referral_id));
    auto events = Decide(normalized);
    if (!events.ok()) return events.status();
    return tx.Append(PolicyStream(referral_id), std::nullopt, Wrap(*events, referral_id));
  };
  return core::RunCommand(store_, ctx, *request, referral_id, std::move(decide), result);
}

// ---- queries ----

std::optional<Deadline> DeadlineGrpcService::Read(absl::string_view referral_id,
                                                  absl::string_view org_id) const {
  auto bytes = store_->GetProjection(DeadlineKey(referral_id, org_id));
  Deadline d;
  if (!bytes || !d.ParseFromString(*bytes)) return std::nullopt;
  if (d.scheduled()) {
    auto effective = core::ParseCivilDate("effective_date", d.effective_date());
    if (effective.ok()) {
      d.set_days_left(static_cast<int32_t>(*effective - core::StockholmDate(store_->clock().Now())));
    }
  }
  return d;
}

Reactor* DeadlineGrpcService::GetDeadline(Ctx* ctx, const remiss::v1::GetDeadlineRequest* request,
                                          Deadline* response) {
  if (absl::Status s = RequireIds(request->referral_id(), request->org_id()); !s.ok()) {
    return core::FinishCall(ctx, s);
  }
  auto d = Read(core::NormalizeReferralId(request->referral_id()), request->org_id());
  if (!d) {
    return core::FinishCall(ctx, absl::NotFoundError(absl::StrCat(
                                     "org_id: no deadline for ", request->org_id(), " in round ",
                                     request->referral_id())));
  }
  *response = std::move(*d);
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* DeadlineGrpcService::ListDeadlinesForRound(Ctx* ctx,
                                                    const remiss::v1::ListDeadlinesForRoundRequest* request,
                                                    remiss::v1::ListDeadlinesResponse* out) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  const std::string prefix = DeadlinePrefix(referral_id);
  auto page = core::StartPage({.name = "ListDeadlinesForRound", .prefix = prefix}, request->page_size(),
                              request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [&](absl::string_view key, absl::string_view) {
    return Read(referral_id, key.substr(prefix.size()));
  };
  out->set_next_page_token(core::ScanRows(*store_, *page, row_of, out->mutable_deadlines()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* DeadlineGrpcService::ListOverdue(Ctx* ctx, const remiss::v1::ListOverdueRequest* request,
                                          remiss::v1::ListDeadlinesResponse* out) {
  // due/ holds exactly the open and breached deadlines, by due instant: the range up to now
  // is what is overdue, and nothing else is read.
  auto page = core::StartPage(
      {.name = "ListOverdue",
       .prefix = std::string(kDuePrefix),
       .end_before = absl::StrCat(kDuePrefix, TimerKeyBound(store_->clock().Now()).substr(kTimerPrefix.size()))},
      request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [&](absl::string_view key, absl::string_view) -> std::optional<Deadline> {
    auto ids = ParseDueKey(key);
    if (!ids) return std::nullopt;
    auto d = Read(ids->first, ids->second);
    if (!d || !Overdue(*d)) return std::nullopt;
    return d;
  };
  out->set_next_page_token(core::ScanRows(*store_, *page, row_of, out->mutable_deadlines()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* DeadlineGrpcService::ListDueForOrganization(
    Ctx* ctx, const remiss::v1::ListDueForOrganizationRequest* request,
    remiss::v1::ListDeadlinesResponse* out) {
  if (request->org_id().empty()) return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  if (request->days() < 0 || request->days() > kMaxDays) {
    return core::FinishCall(ctx, absl::InvalidArgumentError(
                                     absl::StrCat("days: must be between 0 (the default, ", kDefaultDays,
                                                  ") and ", kMaxDays)));
  }
  const int days = request->days() == 0 ? kDefaultDays : request->days();
  // due-by-org/ holds the organization's open deadlines by effective date: the range up to
  // today + days is the answer, in date order.
  const std::string prefix = DueByOrgPrefix(request->org_id());
  const absl::CivilDay after_last = core::StockholmDate(store_->clock().Now()) + days + 1;
  auto page = core::StartPage({.name = "ListDueForOrganization",
                               .filters = {absl::StrCat(days)},
                               .prefix = prefix,
                               .end_before = absl::StrCat(prefix, core::FormatCivilDate(after_last))},
                              request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [&](absl::string_view key, absl::string_view) -> std::optional<Deadline> {
    auto referral_id = ParseDueByOrgKey(key, request->org_id());
    if (!referral_id) return std::nullopt;
    auto d = Read(*referral_id, request->org_id());
    if (!d || d->outcome() != remiss::v1::DEADLINE_OUTCOME_OPEN) return std::nullopt;
    return d;
  };
  out->set_next_page_token(core::ScanRows(*store_, *page, row_of, out->mutable_deadlines()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* DeadlineGrpcService::GetBoardCalendar(Ctx* ctx, const remiss::v1::GetBoardCalendarRequest* request,
                                               remiss::v1::BoardCalendar* response) {
  if (request->org_id().empty()) return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  auto read = store_->ReadProjection(absl::StrCat("cal/", request->org_id()));
  if (!read.ok()) return core::FinishCall(ctx, read.status());  // unreadable is not absent
  const std::optional<std::string>& bytes = *read;
  if (!bytes || !response->ParseFromString(*bytes)) response->set_org_id(request->org_id());
  return core::FinishCall(ctx, absl::OkStatus());
}

}  // namespace remiss::deadlines
