// The NoticesService gRPC API: a round's (or a body's) notices from the committed
// projections, and an operator's retry or skip of a notice on the store's writer.
// Thread-safe; the store must outlive the service.
#pragma once

#include "remiss/core/store/event_store.h"
#include "remiss/v1/notices.grpc.pb.h"

namespace remiss::notices {

class NoticesGrpcService final : public remiss::v1::NoticesService::CallbackService {
 public:
  explicit NoticesGrpcService(core::EventStore* store) : store_(store) {}

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  using Result = remiss::v1::CommandResult;

  Reactor* ListNotices(Ctx*, const remiss::v1::ListNoticesRequest*, remiss::v1::ListNoticesResponse*) override;
  Reactor* RetryNotice(Ctx*, const remiss::v1::RetryNoticeRequest*, Result*) override;
  Reactor* SkipNotice(Ctx*, const remiss::v1::SkipNoticeRequest*, Result*) override;

 private:
  core::EventStore* store_;
};

}  // namespace remiss::notices
