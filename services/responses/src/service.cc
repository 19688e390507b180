#include "remiss/responses/service.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/server/grpc_handlers.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/server/paging.h"
#include "remiss/responses/domain.h"
#include "remiss/responses/projector.h"
#include "remiss/responses/visibility.h"
#include "remiss/core/server/caller.h"

namespace remiss::responses {
namespace {

using remiss::v1::EventEnvelope;
using Reactor = grpc::ServerUnaryReactor;

// Who reads: what the caller may see of a response (visibility.h).
Viewer ViewerOf(const grpc::CallbackServerContext& ctx) {
  const core::Caller caller = core::CallerOf(ctx);
  return Viewer{caller.org_id, caller.role};
}

DecisionContext ContextFor(const core::Tx& tx) {
  return DecisionContext{.now = tx.Now(), .today = core::StockholmDate(tx.Now())};
}

std::vector<EventEnvelope> Wrap(const Events& events, const std::string& referral_id) {
  std::vector<EventEnvelope> out;
  for (const auto& e : events) {
    EventEnvelope& envelope = out.emplace_back();
    *envelope.mutable_responses() = e;
    envelope.set_partition_key(referral_id);
  }
  return out;
}

// Decide for every command but a correction.
template <typename Request>
absl::StatusOr<Events> DecideFor(const Request& request, const Subject& subject, core::Tx& tx,
                                 const std::string&) {
  return Decide(request, subject, ContextFor(tx));
}

// A correction also needs the event it corrects.
absl::StatusOr<Events> DecideFor(const remiss::v1::CorrectFactRequest& request,
                                 const Subject& subject, core::Tx& tx, const std::string& stream) {
  std::optional<remiss::v1::ResponseEvent> corrected;
  if (request.corrects_version() > 0 && request.corrects_version() <= tx.StreamVersion(stream)) {
    auto events = tx.ReadStream(stream);
    if (!events.ok()) return events.status();
    corrected = (*events)[request.corrects_version() - 1].responses();
  }
  return Decide(request, subject, corrected ? &*corrected : nullptr, ContextFor(tx));
}

absl::Status RequireIds(const std::string& referral_id, const std::string& org_id) {
  if (referral_id.empty()) return absl::InvalidArgumentError("referral_id: is required");
  if (org_id.empty()) return absl::InvalidArgumentError("org_id: is required");
  return absl::OkStatus();
}

}  // namespace

template <typename Request>
Reactor* ResponseGrpcService::Command(Ctx* ctx, const Request* request, Result* result) {
  if (absl::Status s = RequireIds(request->referral_id(), request->org_id()); !s.ok()) {
    return core::FinishCall(ctx, s);
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  const std::string& org_id = request->org_id();
  // The domain sees the round's id even where the caller named it by its case number.
  Request normalized = *request;
  normalized.set_referral_id(referral_id);
  auto decide = [normalized = std::move(normalized), referral_id, org_id](core::Tx& tx) -> absl::Status {
    const std::string stream = ResponseStream(referral_id, org_id);
    std::optional<remiss::v1::RoundTermsRecorded> terms = LoadTerms(tx, referral_id);
    std::optional<remiss::v1::Response> response = LoadResponse(tx, referral_id, org_id);
    Subject subject{terms ? &*terms : nullptr, response ? &*response : nullptr};
    auto events = DecideFor(normalized, subject, tx, stream);
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    return tx.Append(stream, core::ExpectedVersion(normalized), Wrap(*events, referral_id));
  };
  return core::RunCommand(store_, ctx, *request,
                          absl::StrCat(referral_id, "/", org_id), std::move(decide), result);
}

#define REMISS_RESPONSE_COMMAND(Name, Request)                                            \
  Reactor* ResponseGrpcService::Name(Ctx* ctx, const remiss::v1::Request* request,        \
                                     Result* result) {                                    \
    return Command(ctx, request, result);                                                 \
  }

REMISS_RESPONSE_COMMAND(RegisterResponse, RegisterResponseRequest)
REMISS_RESPONSE_COMMAND(AssignCaseOfficer, AssignCaseOfficerRequest)
REMISS_RESPONSE_COMMAND(RecordConsultation, RecordConsultationRequest)
REMISS_RESPONSE_COMMAND(RecordStatement, RecordStatementRequest)
REMISS_RESPONSE_COMMAND(AttestStatement, AttestStatementRequest)
REMISS_RESPONSE_COMMAND(RecordBoardDecision, RecordBoardDecisionRequest)
REMISS_RESPONSE_COMMAND(RecordDelegationDecision, RecordDelegationDecisionRequest)
REMISS_RESPONSE_COMMAND(SubmitResponse, SubmitResponseRequest)
REMISS_RESPONSE_COMMAND(DeclineResponse, DeclineResponseRequest)
REMISS_RESPONSE_COMMAND(SupplementResponse, SupplementResponseRequest)
REMISS_RESPONSE_COMMAND(CorrectFact, CorrectFactRequest)
#undef REMISS_RESPONSE_COMMAND

// ---- queries ----

Reactor* ResponseGrpcService::GetResponse(Ctx* ctx, const remiss::v1::GetResponseRequest* request,
                                          remiss::v1::Response* response) {
  if (absl::Status s = RequireIds(request->referral_id(), request->org_id()); !s.ok()) {
    return core::FinishCall(ctx, s);
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  auto read = store_->ReadProjection(ResponseKey(referral_id, request->org_id()));
  if (!read.ok()) return core::FinishCall(ctx, read.status());  // unreadable is not absent
  const std::optional<std::string>& bytes = *read;
  if (!bytes || !response->ParseFromString(*bytes)) {
    return core::FinishCall(
        ctx, absl::NotFoundError(absl::StrCat("org_id: ", request->org_id(),
                                              " is not asked to answer round ", referral_id,
                                              " (or the round has not reached this service)")));
  }
  *response = AsSeenBy(std::move(*response), ViewerOf(*ctx));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ResponseGrpcService::GetResponseTimeline(Ctx* ctx,
                                                  const remiss::v1::GetResponseRequest* request,
                                                  remiss::v1::ResponseTimeline* timeline) {
  if (absl::Status s = RequireIds(request->referral_id(), request->org_id()); !s.ok()) {
    return core::FinishCall(ctx, s);
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  auto read = store_->ReadProjection(ResponseKey(referral_id, request->org_id()));
  if (!read.ok()) return core::FinishCall(ctx, read.status());  // unreadable is not absent
  const std::optional<std::string>& bytes = *read;
  if (!bytes || !timeline->mutable_response()->ParseFromString(*bytes)) {
    return core::FinishCall(ctx, absl::NotFoundError(absl::StrCat(
                                     "org_id: ", request->org_id(), " is not asked to answer round ",
                                     referral_id)));
  }
  auto events = store_->ReadStream(ResponseStream(referral_id, request->org_id()));
  if (!events.ok()) return core::FinishCall(ctx, events.status());
  const Viewer viewer = ViewerOf(*ctx);
  for (auto& e : *events) {
    RedactEvent(timeline->response(), viewer, &e);
    *timeline->add_events() = std::move(e);
  }
  *timeline->mutable_response() = AsSeenBy(std::move(*timeline->mutable_response()), viewer);
  return core::FinishCall(ctx, absl::OkStatus());
}

namespace {

std::optional<remiss::v1::Response> ParseResponse(absl::string_view bytes) {
  remiss::v1::Response r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  return r;
}

}  // namespace

Reactor* ResponseGrpcService::ListResponsesForRound(
    Ctx* ctx, const remiss::v1::ListResponsesForRoundRequest* request,
    remiss::v1::ListResponsesResponse* out) {
  if (request->referral_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required"));
  }
  const std::string referral_id = core::NormalizeReferralId(request->referral_id());
  if (!store_->GetProjection(RoundKey(referral_id))) {
    return core::FinishCall(ctx, absl::NotFoundError(absl::StrCat(
                                     "referral_id: round ", referral_id,
                                     " is not known to the responses service (not issued yet, or "
                                     "its events have not arrived)")));
  }
  auto page = core::StartPage({.name = "ListResponsesForRound", .prefix = ResponsePrefix(referral_id)},
                              request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  const Viewer viewer = ViewerOf(*ctx);
  auto row_of = [&viewer](absl::string_view, absl::string_view value) -> std::optional<remiss::v1::Response> {
    std::optional<remiss::v1::Response> r = ParseResponse(value);
    if (r) r = AsSeenBy(std::move(*r), viewer);
    return r;
  };
  out->set_next_page_token(core::ScanRows(*store_, *page, row_of, out->mutable_responses()));
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* ResponseGrpcService::ListResponsesForOrganization(
    Ctx* ctx, const remiss::v1::ListResponsesForOrganizationRequest* request,
    remiss::v1::ListResponsesResponse* out) {
  const std::string& org_id = request->org_id();
  if (org_id.empty()) return core::FinishCall(ctx, absl::InvalidArgumentError("org_id: is required"));
  const std::string prefix = OrganizationPrefix(org_id);
  auto page = core::StartPage({.name = "ListResponsesForOrganization", .prefix = prefix},
                              request->page_size(), request->page_token());
  if (!page.ok()) return core::FinishCall(ctx, page.status());
  const Viewer viewer = ViewerOf(*ctx);
  auto row_of = [&](absl::string_view key, absl::string_view) -> std::optional<remiss::v1::Response> {
    auto bytes = store_->GetProjection(ResponseKey(key.substr(prefix.size()), org_id));
    if (!bytes) return std::nullopt;
    std::optional<remiss::v1::Response> r = ParseResponse(*bytes);
    if (r) r = AsSeenBy(std::move(*r), viewer);
    return r;
  };
  out->set_next_page_token(core::ScanRows(*store_, *page, row_of, out->mutable_responses()));
  return core::FinishCall(ctx, absl::OkStatus());
}

}  // namespace remiss::responses
