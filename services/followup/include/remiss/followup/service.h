// The FollowupService gRPC API: KS's follow-up commands on the store's writer, and the
// status board, organization view, compilation and revision chain built from the committed
// projections on the day of the call. Thread-safe; the store must outlive the service.
#pragma once

#include "remiss/core/base/byte_budget.h"
#include "remiss/core/store/event_store.h"
#include "remiss/v1/followup.grpc.pb.h"

namespace remiss::followup {

class FollowupGrpcService final : public remiss::v1::FollowupService::CallbackService {
 public:
  explicit FollowupGrpcService(core::EventStore* store) : store_(store) {}

  // The largest answer the host sends (ServiceHost::max_send_message_bytes); set before the
  // host starts. GetCompilation refuses a compilation over it, and GetCompilationPage cuts
  // its pages well under it.
  void set_max_send_bytes(size_t bytes) { max_send_bytes_ = bytes; }

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  using Result = remiss::v1::CommandResult;

  Reactor* FreezeCompilation(Ctx*, const remiss::v1::FreezeCompilationRequest*, Result*) override;
  Reactor* RecordOutcome(Ctx*, const remiss::v1::RecordOutcomeRequest*, Result*) override;
  Reactor* GiveFeedback(Ctx*, const remiss::v1::GiveFeedbackRequest*, Result*) override;
  Reactor* AssignAction(Ctx*, const remiss::v1::AssignActionRequest*, Result*) override;
  Reactor* ReportActionDone(Ctx*, const remiss::v1::ReportActionDoneRequest*, Result*) override;

  Reactor* GetStatusBoard(Ctx*, const remiss::v1::GetStatusBoardRequest*, remiss::v1::StatusBoard*) override;
  Reactor* GetOrganizationView(Ctx*, const remiss::v1::GetOrganizationViewRequest*,
                               remiss::v1::OrganizationView*) override;
  Reactor* GetCompilation(Ctx*, const remiss::v1::GetCompilationRequest*,
                          remiss::v1::CompilationView*) override;
  Reactor* GetCompilationPage(Ctx*, const remiss::v1::GetCompilationPageRequest*,
                              remiss::v1::CompilationPage*) override;
  Reactor* GetRevisionChain(Ctx*, const remiss::v1::GetRevisionChainRequest*,
                            remiss::v1::RevisionChain*) override;

 private:
  template <typename Request>
  Reactor* Command(Ctx* ctx, const Request* request, Result* result);

  core::EventStore* store_;
  size_t max_send_bytes_ = 4 * static_cast<size_t>(core::kDefaultMaxRequestBytes);
};

}  // namespace remiss::followup
