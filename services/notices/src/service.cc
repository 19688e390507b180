#include "remiss/notices/service.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/server/grpc_handlers.h"
#include "remiss/notices/domain.h"
#include "remiss/notices/projector.h"

namespace remiss::notices {
namespace {

using Reactor = grpc::ServerUnaryReactor;

// Appends one operator event to the notice's stream.
absl::Status AppendOperatorEvent(core::Tx& tx, const remiss::v1::Notice& notice, remiss::v1::NoticeEvent event) {
  remiss::v1::EventEnvelope env;
  *env.mutable_notices() = std::move(event);
  env.set_partition_key(notice.referral_id());
  return tx.Append(NoticeStream(notice.notice_id()), std::nullopt, {std::move(env)});
}

}  // namespace

Reactor* NoticesGrpcService::ListNotices(Ctx* ctx, const remiss::v1::ListNoticesRequest* request,
                                         remiss::v1::ListNoticesResponse* response) {
  if (request->referral_id().empty() && request->org_id().empty()) {
    return core::FinishCall(ctx, absl::InvalidArgumentError("referral_id: is required (or org_id)"));
  }
  const Reader reader = ReaderOf(*store_);
  const std::string referral_id =
      request->referral_id().empty() ? "" : core::NormalizeReferralId(request->referral_id());
  const std::string prefix = referral_id.empty() ? absl::StrCat("by-org/", request->org_id(), "/")
                                                 : absl::StrCat("by-round/", referral_id, "/");
  for (auto& n : notices::ListNotices(reader, prefix)) {
    if (!request->org_id().empty() && n.org_id() != request->org_id()) continue;
    *response->add_notices() = std::move(n);
  }
  return core::FinishCall(ctx, absl::OkStatus());
}

Reactor* NoticesGrpcService::RetryNotice(Ctx* ctx, const remiss::v1::RetryNoticeRequest* request, Result* result) {
  const remiss::v1::RetryNoticeRequest r = *request;
  auto decide = [r](core::Tx& tx) -> absl::Status {
    const Reader reader = ReaderOf(tx);
    std::optional<remiss::v1::Notice> notice = LoadNotice(reader, r.notice_id());
    std::string mailbox;
    if (notice) {
      if (auto org = LoadOrganization(reader, notice->org_id())) mailbox = org->registry_mailbox();
    }
    auto retried = DecideRetry(r, notice ? &*notice : nullptr, mailbox);
    if (!retried.ok()) return retried.status();
    remiss::v1::NoticeEvent e;
    *e.mutable_notice_retried() = std::move(*retried);
    return AppendOperatorEvent(tx, *notice, std::move(e));
  };
  return core::RunCommand(store_, ctx, *request, request->notice_id(), std::move(decide), result);
}

Reactor* NoticesGrpcService::SkipNotice(Ctx* ctx, const remiss::v1::SkipNoticeRequest* request, Result* result) {
  const remiss::v1::SkipNoticeRequest r = *request;
  auto decide = [r](core::Tx& tx) -> absl::Status {
    std::optional<remiss::v1::Notice> notice = LoadNotice(ReaderOf(tx), r.notice_id());
    auto skipped = DecideSkip(r, notice ? &*notice : nullptr);
    if (!skipped.ok()) return skipped.status();
    remiss::v1::NoticeEvent e;
    *e.mutable_notice_skipped() = std::move(*skipped);
    return AppendOperatorEvent(tx, *notice, std::move(e));
  };
  return core::RunCommand(store_, ctx, *request, request->notice_id(), std::move(decide), result);
}

}  // namespace remiss::notices
