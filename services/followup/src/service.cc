#include "remiss/followup/service.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/server/caller.h"
#include "remiss/core/server/grpc_handlers.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/server/paging.h"
#include "remiss/core/store/projection.h"
#include "remiss/followup/compilation_pages.h"
#include "remiss/followup/domain.h"
#include "remiss/followup/projector.h"

namespace remiss::followup {
namespace {

using Reactor = grpc::ServerUnaryReactor;

// A page of a compilation holds at most this much (and at most half the send limit).
constexpr size_t kCompilationPageBytes = size_t{2} << 20;

absl::CivilDay Today(const core::Clock& clock) { return core::StockholmDate(clock.Now()); }

absl::StatusOr<Events> DecideFor(const remiss::v1::FreezeCompilationRequest& r, core::Tx& tx,
                                 const RoundRecords* round) {
  return DecideFreeze(r, round, FrozenCount(ReaderOf(tx), r.referral_id()));
}
absl::StatusOr<Events> DecideFor(const remiss::v1::RecordOutcomeRequest& r, core::Tx&,
                                 const RoundRecords* round) {
  return Decide(r, round);
}
absl::StatusOr<Events> DecideFor(const remiss::v1::GiveFeedbackRequest& r, core::Tx&,
                                 const RoundRecords* round) {
  return Decide(r, round);
}
absl::StatusOr<Events> DecideFor(const remiss::v1::AssignActionRequest& r, core::Tx& tx,
                                 const RoundRecords* round) {
  return Decide(r, round, core::StockholmDate(tx.Now()));
}
absl::StatusOr<Events> DecideFor(const remiss::v1::ReportActionDoneRequest& r, core::Tx& tx,
                                 const RoundRecords* round) {
  return Decide(r, round, core::StockholmDate(tx.Now()));
}

// The organization as this service observed it from referrals (its row "org/<org_id>").
std::optional<remiss::v1::Organization> ObservedOrganization(core::Tx& tx, const std::string& org_id) {
  if (org_id.empty()) return std::nullopt;
  return core::LoadMessage<remiss::v1::Organization>(tx, absl::StrCat("org/", org_id));
}

absl::Status UnknownRound(const std::string& referral_id) {
  return absl::NotFoundError(absl::StrCat("referral_id: round ", referral_id,
                                          " is not known to the followup service (not issued yet, "
                                          "or its events have not arrived)"));
}

// The round's frozen versions, oldest first.
std::vector<remiss::v1::CompilationFrozen> FrozenVersions(const Reader& reader,
                                                          const std::string& referral_id) {
  std::vector<remiss::v1::CompilationFrozen> frozen;
  reader.scan(FrozenPrefix(referral_id), [&](absl::string_view, absl::string_view value) {
    frozen.emplace_back().ParseFromArray(value.data(), static_cast<int>(value.size()));
    return true;
  });
  return frozen;
}

}  // namespace

template <typename Request>
Reactor* FollowupGrpcService::Command(Ctx* ctx, const Request* request, Result* result) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  Request normalized = *request;
  normalized.set_referral_id(core::NormalizeReferralId(request->referral_id()));
  const std::string referral_id = normalized.referral_id();
  auto decide = [normalized = std::move(normalized), referral_id,
                 caller = core::CallerOf(*ctx)](core::Tx& tx) -> absl::Status {
    std::optional<RoundRecords> round = LoadRound(ReaderOf(tx), referral_id);
    if (caller.role == core::kRoleKs) {
      std::optional<remiss::v1::Organization> org = ObservedOrganization(tx, caller.org_id);
      if (absl::Status s = CheckKsMaySendRounds(caller.org_id, org ? &*org : nullptr); !s.ok()) return s;
    }
    if (caller.role == core::kRoleKs && round) {
      if (absl::Status s = CheckKsOwnsRound(round->terms, caller.org_id); !s.ok()) return s;
    }
    auto events = DecideFor(normalized, tx, round ? &*round : nullptr);
    if (!events.ok()) return events.status();
    std::vector<remiss::v1::EventEnvelope> envelopes;
    for (auto& e : *events) {
      auto& env = envelopes.emplace_back();
      *env.mutable_followup() = std::move(e);
      env.set_partition_key(referral_id);
    }
    return tx.Append(FollowupStream(referral_id), std::nullopt, std::move(envelopes));
  };
  return core::RunCommand(store_, ctx, *request, referral_id, std::move(decide), result);
}

#define REMISS_FOLLOWUP_COMMAND(Name)                                                       \
  Reactor* FollowupGrpcService::Name(Ctx* ctx, const remiss::v1::Name##Request* request,    \
                                     Result* result) {                                      \
    return Command(ctx, request, result);                                                   \
  }
REMISS_FOLLOWUP_COMMAND(FreezeCompilation)
REMISS_FOLLOWUP_COMMAND(RecordOutcome)
REMISS_FOLLOWUP_COMMAND(GiveFeedback)
REMISS_FOLLOWUP_COMMAND(AssignAction)
REMISS_FOLLOWUP_COMMAND(ReportActionDone)
#undef REMISS_FOLLOWUP_COMMAND

Reactor* FollowupGrpcService::GetStatusBoard(Ctx* ctx, const remiss::v1::GetStatusBoardRequest* request,
                                             remiss::v1::StatusBoard* board) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  auto round = LoadRound(ReaderOf(*store_), referral_id);
  if (!round) return core::FinishCall(ctx, UnknownRound(referral_id));
  *board = BuildBoard(*round, Today(store_->clock()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* FollowupGrpcService::GetOrganizationView(Ctx* ctx,
                                                  const remiss::v1::GetOrganizationViewRequest* request,
                                                  remiss::v1::OrganizationView* view) {
  const std::string& org_id = request->org_id();
  if (org_id.empty()) return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  const Reader reader = ReaderOf(*store_);
  remiss::v1::Organization org;
  const bool known = [&] {
    auto bytes = reader.get(absl::StrCat("org/", org_id));
    return bytes && org.ParseFromString(*bytes);
  }();
  view->set_org_id(org_id);
  view->set_org_name(org.name());
  const std::string prefix = absl::StrCat("org-rounds/", org_id, "/");
  auto page = core::StartPage({.name = "GetOrganizationView", .prefix = prefix}, request->page_size(),
                              request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  const absl::CivilDay today = Today(store_->clock());
  auto item_of = [&](absl::string_view key, absl::string_view) -> std::optional<remiss::v1::OrganizationItem> {
    const std::string referral_id(key.substr(prefix.size()));
    auto round = LoadRound(reader, referral_id);
    if (!round) return std::nullopt;
    auto item = BuildOrganizationItem(*round, org_id, today);
    if (item) item->set_referral_id(referral_id);
    return item;
  };
  // By referral id, which orders rounds as their case numbers do.
  view->set_next_page_token(core::ScanRows(*store_, *page, item_of, view->mutable_items()));
  if (!known && request->page_token().empty() && view->items().empty() && view->next_page_token().empty()) {
    return core::FinishCall(ctx, absl::NotFoundError(absl::StrCat("org_id: no organization \"", org_id,
                                                                  "\" is known to the followup service")));
  }
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* FollowupGrpcService::GetCompilation(Ctx* ctx, const remiss::v1::GetCompilationRequest* request,
                                             remiss::v1::CompilationView* view) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  const Reader reader = ReaderOf(*store_);
  auto round = LoadRound(reader, referral_id);
  if (!round) return core::FinishCall(ctx, UnknownRound(referral_id));
  *view->mutable_live() = BuildCompilation(*round);
  for (auto& frozen : FrozenVersions(reader, referral_id)) *view->add_frozen() = std::move(frozen);
  // Over the send limit gRPC would fail the call with a generic status after the work; say
  // what to do instead.
  if (const size_t bytes = view->ByteSizeLong(); bytes > max_send_bytes_) {
    view->Clear();
    return core::FinishCall(
        ctx, absl::ResourceExhaustedError(absl::StrCat(
                 "referral_id: the compilation of round ", referral_id, " is ", bytes,
                 " bytes with its frozen versions, over this server's send limit of ",
                 max_send_bytes_, " bytes; read it by board with GetCompilationPage")));
  }
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* FollowupGrpcService::GetCompilationPage(Ctx* ctx,
                                                 const remiss::v1::GetCompilationPageRequest* request,
                                                 remiss::v1::CompilationPage* out) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  // The token names the round and the version; it holds the org id of the last board shown.
  const core::PageQuery query{.name = "GetCompilationPage",
                              .filters = {referral_id, absl::StrCat(request->version())}};
  auto page = core::StartPage(query, request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  const Reader reader = ReaderOf(*store_);
  auto round = LoadRound(reader, referral_id);
  if (!round) return core::FinishCall(ctx, UnknownRound(referral_id));
  std::vector<remiss::v1::CompilationFrozen> frozen = FrozenVersions(reader, referral_id);
  remiss::v1::Compilation whole;
  bool found = request->version() == 0;
  for (auto& f : frozen) {
    auto* v = out->add_frozen_versions();
    v->set_version(f.version());
    v->set_note(f.note());
    if (request->version() != 0 && f.version() == request->version()) {
      whole = std::move(*f.mutable_compilation());
      out->set_note(f.note());
      found = true;
    }
  }
  if (request->version() == 0) {
    whole = BuildCompilation(*round);
  } else if (!found) {
    return core::FinishCall(
        ctx, absl::NotFoundError(absl::StrCat("version: round ", referral_id, " has no frozen version ",
                                              request->version(), " (it has ", frozen.size(),
                                              frozen.size() == 1 ? " version" : " versions",
                                              "; 0 is the live compilation)")));
  }
  out->set_version(request->version());
  // The parts every page carries, and room for the token; with the boards at most half the
  // send limit, and at most kCompilationPageBytes (a client at gRPC's default receive limit,
  // 4 MiB, reads every page).
  *out->mutable_compilation() = SliceCompilation(whole, {});
  const size_t fixed = out->ByteSizeLong() + core::kMaxPageTokenBytes;
  const size_t budget = std::min(max_send_bytes_ / 2, kCompilationPageBytes);
  const CompilationPageCut cut = CutCompilationPage(whole, page->start_after, page->size, fixed, budget);
  *out->mutable_compilation() = SliceCompilation(whole, cut.org_ids);
  if (cut.more) out->set_next_page_token(core::PageTokenAfter(query, cut.last_org_id));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* FollowupGrpcService::GetRevisionChain(Ctx* ctx, const remiss::v1::GetRevisionChainRequest* request,
                                               remiss::v1::RevisionChain* chain) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  const Reader reader = ReaderOf(*store_);
  std::string root = core::NormalizeReferralId(request->referral_id());
  if (!LoadRound(reader, root)) return core::FinishCall(ctx, UnknownRound(root));
  std::set<std::string> seen{root};
  while (auto earlier = reader.get(absl::StrCat("revises/", root))) {
    if (!seen.insert(*earlier).second) break;  // a cycle would be a data error; stop
    root = *earlier;
  }
  // Oldest first, then each round's revisions in turn.
  std::vector<std::string> order{root};
  std::set<std::string> visited{root};
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string prefix = absl::StrCat("revised-by/", order[i], "/");
    reader.scan(prefix, [&](absl::string_view key, absl::string_view) {
      std::string later(key.substr(prefix.size()));
      if (visited.insert(later).second) order.push_back(later);
      return true;
    });
  }
  const absl::CivilDay today = Today(store_->clock());
  std::set<std::string> orgs;
  for (const std::string& referral_id : order) {
    auto round = LoadRound(reader, referral_id);
    if (!round) continue;
    auto* r = chain->add_rounds();
    r->set_referral_id(referral_id);
    r->set_case_number(round->terms.case_number());
    r->set_title(round->terms.title());
    const remiss::v1::StatusBoard board = BuildBoard(*round, today);
    for (const auto& row : board.rows()) {
      (*r->mutable_standpoints())[row.org_id()] = row.stage() == "submitted" ? row.standpoint() : "";
      orgs.insert(row.org_id());
    }
  }
  for (const auto& org : orgs) chain->add_org_ids(org);
  return core::FinishCall(ctx, absl::OkStatus());
}

}  // namespace remiss::followup
