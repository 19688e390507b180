#include "remiss/referrals/service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/server/caller.h"
#include "remiss/core/server/grpc_handlers.h"
#include "remiss/core/base/validation.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/server/paging.h"
#include "remiss/referrals/distribution_lists.h"
#include "remiss/referrals/domain.h"
#include "remiss/referrals/projector.h"

namespace remiss::referrals {
namespace {

using remiss::v1::EventEnvelope;
using Reactor = grpc::ServerUnaryReactor;

std::vector<EventEnvelope> Wrap(const Events& events, const std::string& partition_key) {
  std::vector<EventEnvelope> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    EventEnvelope& envelope = out.emplace_back();
    *envelope.mutable_referrals() = e;
    envelope.set_partition_key(partition_key);
  }
  return out;
}

DecisionContext ContextFor(core::Tx& tx) {
  DecisionContext ctx;
  ctx.now = tx.Now();
  ctx.today = core::StockholmDate(ctx.now);
  ctx.organization_registered = [&tx](absl::string_view id) {
    return tx.Get(OrganizationKey(id)).has_value();
  };
  ctx.referral_exists = [&tx](absl::string_view id) { return tx.Get(ReferralKey(id)).has_value(); };
  ctx.distribution_list = [&tx](absl::string_view id) { return LoadDistributionList(tx, id); };
  return ctx;
}

// Finding 5 of issue 25: a `ks` caller acts only for an organization that may send rounds
// (the referrals data says which), checked in the command's transaction; other roles pass
// (the policy table let them call at all). Nothing is recorded when it refuses.
absl::Status CheckKsCaller(const core::Caller& caller, core::Tx& tx) {
  if (caller.role != core::kRoleKs) return absl::OkStatus();
  auto org = LoadOrganization(tx, caller.org_id);
  return CheckKsMaySendRounds(caller.org_id, org ? &*org : nullptr);
}

}  // namespace

template <typename Request>
Reactor* ReferralGrpcService::OrganizationCommand(Ctx* ctx, const Request* request, Result* result) {
  const std::string& org_id = request->org_id();
  auto decide = [request, org_id, caller = core::CallerOf(*ctx)](core::Tx& tx) -> absl::Status {
    bool first_sender = false;
    if constexpr (std::is_same_v<Request, remiss::v1::RegisterOrganizationRequest>) {
      // Not through a gateway: a gateway may act as any organization's ks, a ks certificate
      // (or the development listener) only as its own.
      first_sender = caller.role == core::kRoleKs && caller.gateway.empty() &&
                     IsFirstSenderRegistration(*request, caller.org_id, AnySender(tx));
    }
    if (!first_sender) {
      REMISS_RETURN_IF_ERROR(CheckKsCaller(caller, tx));
    }
    auto state = LoadOrganization(tx, org_id);
    auto events = Decide(*request, state ? &*state : nullptr);
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    return tx.Append(OrganizationStream(org_id), core::ExpectedVersion(*request), Wrap(*events, org_id));
  };
  return core::RunCommand(store_, ctx, *request, org_id, std::move(decide), result);
}

template <typename Request>
Reactor* ReferralGrpcService::ListCommand(Ctx* ctx, const Request* request,
                                          const std::string& list_id, Result* result) {
  auto decide = [request, list_id, caller = core::CallerOf(*ctx)](core::Tx& tx) -> absl::Status {
    REMISS_RETURN_IF_ERROR(CheckKsCaller(caller, tx));
    auto state = list_id.empty() ? std::nullopt : LoadDistributionList(tx, list_id);
    Request normalized = *request;
    if (!list_id.empty()) normalized.set_list_id(list_id);
    auto events = Decide(normalized, state ? &*state : nullptr, ContextFor(tx));
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    return tx.Append(DistributionListStream(list_id), core::ExpectedVersion(*request),
                     Wrap(*events, list_id));
  };
  return core::RunCommand(store_, ctx, *request, list_id, std::move(decide), result);
}

template <typename Request>
Reactor* ReferralGrpcService::ReferralCommand(Ctx* ctx, const Request* request,
                                              const std::string& referral_id, Result* result) {
  // The domain sees the round's id even where the caller named it by its case number.
  Request normalized = *request;
  if constexpr (requires { normalized.set_referral_id(referral_id); }) {
    normalized.set_referral_id(referral_id);
  }
  if constexpr (requires { normalized.set_revises_referral_id(""); }) {
    normalized.set_revises_referral_id(core::NormalizeReferralId(normalized.revises_referral_id()));
  }
  auto decide = [normalized = std::move(normalized), referral_id,
                 caller = core::CallerOf(*ctx)](core::Tx& tx) -> absl::Status {
    REMISS_RETURN_IF_ERROR(CheckKsCaller(caller, tx));
    auto state = referral_id.empty() ? std::nullopt : LoadReferral(tx, referral_id);
    auto events = Decide(normalized, state ? &*state : nullptr, ContextFor(tx));
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    return tx.Append(ReferralStream(referral_id), core::ExpectedVersion(normalized),
                     Wrap(*events, referral_id));
  };
  return core::RunCommand(store_, ctx, *request, referral_id, std::move(decide), result);
}

Reactor* ReferralGrpcService::RegisterOrganization(
    Ctx* ctx, const remiss::v1::RegisterOrganizationRequest* request, Result* result) {
  return OrganizationCommand(ctx, request, result);
}

Reactor* ReferralGrpcService::UpdateOrganization(
    Ctx* ctx, const remiss::v1::UpdateOrganizationRequest* request, Result* result) {
  return OrganizationCommand(ctx, request, result);
}

Reactor* ReferralGrpcService::SetRegistryMailbox(
    Ctx* ctx, const remiss::v1::SetRegistryMailboxRequest* request, Result* result) {
  return OrganizationCommand(ctx, request, result);
}

// The list's id is the one given, else the one its name gives; Decide refuses a bad one.
Reactor* ReferralGrpcService::CreateDistributionList(
    Ctx* ctx, const remiss::v1::CreateDistributionListRequest* request, Result* result) {
  std::string id = request->list_id().empty() ? ListIdForName(request->name()) : request->list_id();
  if (!ValidateListId("list_id", id).ok()) id.clear();  // Decide refuses it, naming why
  return ListCommand(ctx, request, id, result);
}

// The list is named by its id or its name.
Reactor* ReferralGrpcService::ChangeDistributionList(
    Ctx* ctx, const remiss::v1::ChangeDistributionListRequest* request, Result* result) {
  if (request->list_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("list_id: is required"));
  }
  return ListCommand(ctx, request, ListIdForName(request->list_id()), result);
}

Reactor* ReferralGrpcService::CreateReferral(Ctx* ctx, const remiss::v1::CreateReferralRequest* request,
                                             Result* result) {
  // The id comes from the case number; an invalid one is refused by Decide.
  std::string id = ValidateCaseNumber("case_number", request->case_number()).ok()
                       ? ReferralIdForCaseNumber(request->case_number())
                       : std::string();
  return ReferralCommand(ctx, request, id, result);
}

#define REMISS_REFERRAL_COMMAND(Name)                                                         \
  Reactor* ReferralGrpcService::Name(Ctx* ctx, const remiss::v1::Name##Request* request,      \
                                     Result* result) {                                        \
    if (request->referral_id().empty()) {                                                     \
      return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));             \
    }                                                                                         \
    return ReferralCommand(ctx, request, core::NormalizeReferralId(request->referral_id()), result); \
  }

REMISS_REFERRAL_COMMAND(AttachDocument)
REMISS_REFERRAL_COMMAND(AddAddressee)
REMISS_REFERRAL_COMMAND(RemoveAddressee)
REMISS_REFERRAL_COMMAND(AddressReferral)
REMISS_REFERRAL_COMMAND(SetDeadline)
REMISS_REFERRAL_COMMAND(IssueReferral)
REMISS_REFERRAL_COMMAND(MoveDeadline)
REMISS_REFERRAL_COMMAND(CloseReferral)
REMISS_REFERRAL_COMMAND(WithdrawReferral)
REMISS_REFERRAL_COMMAND(LinkRevision)
#undef REMISS_REFERRAL_COMMAND

// ---- queries ----

Reactor* ReferralGrpcService::GetOrganization(Ctx* ctx,
                                              const remiss::v1::GetOrganizationRequest* request,
                                              remiss::v1::Organization* response) {
  if (request->org_id().empty()) return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  auto read = store_->ReadProjection(OrganizationKey(request->org_id()));
  if (!read.ok()) return core::FinishCall(ctx, read.status());  // unreadable is not absent
  const std::optional<std::string>& bytes = *read;
  if (!bytes || !response->ParseFromString(*bytes)) {
    return core::FinishCall(ctx, absl::NotFoundError(
                           absl::StrCat("org_id: no organization \"", request->org_id(), "\" is registered")));
  }
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ReferralGrpcService::ListOrganizations(Ctx* ctx,
                                                const remiss::v1::ListOrganizationsRequest* request,
                                                remiss::v1::ListOrganizationsResponse* response) {
  if (!remiss::v1::OrganizationKind_IsValid(request->kind())) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("kind: unknown organization kind"));
  }
  auto page = core::StartPage({.name = "ListOrganizations",
                               .filters = {absl::StrCat(request->kind())},
                               .prefix = OrganizationKey("")},
                              request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [&](absl::string_view, absl::string_view value) -> std::optional<remiss::v1::Organization> {
    remiss::v1::Organization org;
    if (!org.ParseFromArray(value.data(), static_cast<int>(value.size()))) return std::nullopt;
    if (request->kind() != remiss::v1::ORGANIZATION_KIND_UNSPECIFIED && org.kind() != request->kind()) {
      return std::nullopt;
    }
    return org;
  };
  response->set_next_page_token(core::ScanRows(*store_, *page, row_of, response->mutable_organizations()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ReferralGrpcService::GetDistributionList(
    Ctx* ctx, const remiss::v1::GetDistributionListRequest* request,
    remiss::v1::DistributionList* response) {
  if (request->list_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("list_id: is required"));
  }
  auto read = store_->ReadProjection(DistributionListKey(ListIdForName(request->list_id())));
  if (!read.ok()) return core::FinishCall(ctx, read.status());  // unreadable is not absent
  const std::optional<std::string>& bytes = *read;
  if (!bytes || !response->ParseFromString(*bytes)) {
    return core::FinishCall(ctx, absl::NotFoundError(absl::StrCat(
                                     "list_id: no distribution list \"", request->list_id(), "\"")));
  }
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ReferralGrpcService::ListDistributionLists(
    Ctx* ctx, const remiss::v1::ListDistributionListsRequest* request,
    remiss::v1::ListDistributionListsResponse* response) {
  auto page = core::StartPage({.name = "ListDistributionLists", .prefix = DistributionListKey("")},
                              request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [](absl::string_view, absl::string_view value)
      -> std::optional<remiss::v1::DistributionList> {
    remiss::v1::DistributionList list;
    if (!list.ParseFromArray(value.data(), static_cast<int>(value.size()))) return std::nullopt;
    return list;
  };
  response->set_next_page_token(
      core::ScanRows(*store_, *page, row_of, response->mutable_distribution_lists()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ReferralGrpcService::GetReferral(Ctx* ctx, const remiss::v1::GetReferralRequest* request,
                                          remiss::v1::Referral* response) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  auto read = store_->ReadProjection(ReferralKey(core::NormalizeReferralId(request->referral_id())));
  if (!read.ok()) return core::FinishCall(ctx, read.status());  // unreadable is not absent
  const std::optional<std::string>& bytes = *read;
  if (!bytes || !response->ParseFromString(*bytes)) {
    return core::FinishCall(ctx, absl::NotFoundError(
                           absl::StrCat("referral_id: no round \"", request->referral_id(), "\"")));
  }
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ReferralGrpcService::ListReferrals(Ctx* ctx, const remiss::v1::ListReferralsRequest* request,
                                            remiss::v1::ListReferralsResponse* response) {
  if (!remiss::v1::ReferralStatus_IsValid(request->status())) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("status: unknown referral status"));
  }
  if (request->year() != 0 && (request->year() < 1900 || request->year() > 2999)) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("year: must be 0 (any) or between 1900 and 2999"));
  }
  auto page = core::StartPage(
      {.name = "ListReferrals",
       .filters = {absl::StrCat(request->status()), absl::StrCat(request->year()), request->sender_org_id()},
       .prefix = ReferralKey("")},
      request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [&](absl::string_view, absl::string_view value) -> std::optional<remiss::v1::Referral> {
    remiss::v1::Referral r;
    if (!r.ParseFromArray(value.data(), static_cast<int>(value.size()))) return std::nullopt;
    if (request->status() != remiss::v1::REFERRAL_STATUS_UNSPECIFIED && r.status() != request->status()) {
      return std::nullopt;
    }
    if (request->year() != 0 && r.year() != request->year()) return std::nullopt;
    if (!request->sender_org_id().empty() && r.sender_org_id() != request->sender_org_id()) return std::nullopt;
    return r;
  };
  response->set_next_page_token(core::ScanRows(*store_, *page, row_of, response->mutable_referrals()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ReferralGrpcService::ListReferralsForOrganization(
    Ctx* ctx, const remiss::v1::ListReferralsForOrganizationRequest* request,
    remiss::v1::ListReferralsForOrganizationResponse* response) {
  const std::string& org_id = request->org_id();
  if (org_id.empty()) return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  if (!store_->GetProjection(OrganizationKey(org_id))) {
    return core::FinishCall(ctx, absl::NotFoundError(absl::StrCat("org_id: no organization \"", org_id, "\" is registered")));
  }
  const std::string prefix = AddresseePrefix(org_id);
  auto page = core::StartPage({.name = "ListReferralsForOrganization", .prefix = prefix},
                              request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  auto row_of = [&](absl::string_view key, absl::string_view) -> std::optional<remiss::v1::AddressedReferral> {
    auto bytes = store_->GetProjection(ReferralKey(key.substr(prefix.size())));
    remiss::v1::Referral r;
    if (!bytes || !r.ParseFromString(*bytes)) return std::nullopt;
    for (const auto& a : r.addressees()) {
      if (a.org_id() != org_id) continue;
      remiss::v1::AddressedReferral out;
      out.set_referral_id(r.referral_id());
      out.set_case_number(r.case_number());
      out.set_title(r.title());
      out.set_status(r.status());
      out.set_stated_deadline(a.stated_deadline());
      out.set_answer(a.answer());
      return out;
    }
    return std::nullopt;
  };
  response->set_next_page_token(core::ScanRows(*store_, *page, row_of, response->mutable_referrals()));
  return core::FinishCall(ctx, absl::OkStatus());
}

}  // namespace remiss::referrals
