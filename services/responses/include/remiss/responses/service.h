// The ResponseService gRPC API: thin handlers that run the domain's Decide on the writer
// thread against the round's terms and the response as projected, and finish when the
// events are durable. Queries read the committed projections. Thread-safe; the store must
// outlive the service.
#pragma once

#include "remiss/core/store/event_store.h"
#include "remiss/v1/responses.grpc.pb.h"

namespace remiss::responses {

class ResponseGrpcService final : public remiss::v1::ResponseService::CallbackService {
 public:
  explicit ResponseGrpcService(core::EventStore* store) : store_(store) {}

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  using Result = remiss::v1::CommandResult;

  Reactor* RegisterResponse(Ctx*, const remiss::v1::RegisterResponseRequest*, Result*) override;
  Reactor* AssignCaseOfficer(Ctx*, const remiss::v1::AssignCaseOfficerRequest*, Result*) override;
  Reactor* RecordConsultation(Ctx*, const remiss::v1::RecordConsultationRequest*, Result*) override;
  Reactor* RecordStatement(Ctx*, const remiss::v1::RecordStatementRequest*, Result*) override;
  Reactor* AttestStatement(Ctx*, const remiss::v1::AttestStatementRequest*, Result*) override;
  Reactor* RecordBoardDecision(Ctx*, const remiss::v1::RecordBoardDecisionRequest*, Result*) override;
  Reactor* RecordDelegationDecision(Ctx*, const remiss::v1::RecordDelegationDecisionRequest*,
                                    Result*) override;
  Reactor* SubmitResponse(Ctx*, const remiss::v1::SubmitResponseRequest*, Result*) override;
  Reactor* DeclineResponse(Ctx*, const remiss::v1::DeclineResponseRequest*, Result*) override;
  Reactor* SupplementResponse(Ctx*, const remiss::v1::SupplementResponseRequest*, Result*) override;
  Reactor* CorrectFact(Ctx*, const remiss::v1::CorrectFactRequest*, Result*) override;

  Reactor* GetResponse(Ctx*, const remiss::v1::GetResponseRequest*, remiss::v1::Response*) override;
  Reactor* GetResponseTimeline(Ctx*, const remiss::v1::GetResponseRequest*,
                               remiss::v1::ResponseTimeline*) override;
  Reactor* ListResponsesForRound(Ctx*, const remiss::v1::ListResponsesForRoundRequest*,
                                 remiss::v1::ListResponsesResponse*) override;
  Reactor* ListResponsesForOrganization(Ctx*, const remiss::v1::ListResponsesForOrganizationRequest*,
                                        remiss::v1::ListResponsesResponse*) override;

 private:
  template <typename Request>
  Reactor* Command(Ctx* ctx, const Request* request, Result* result);

  core::EventStore* store_;
};

}  // namespace remiss::responses
