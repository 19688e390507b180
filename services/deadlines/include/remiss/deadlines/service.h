// The DeadlineService gRPC API: thin handlers over the domain, the store's writer for
// commands and the committed projections for queries. Thread-safe; the store must outlive it.
#pragma once

#include "remiss/core/store/event_store.h"
#include "remiss/v1/deadlines.grpc.pb.h"

namespace remiss::deadlines {

class DeadlineGrpcService final : public remiss::v1::DeadlineService::CallbackService {
 public:
  explicit DeadlineGrpcService(core::EventStore* store) : store_(store) {}

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  using Result = remiss::v1::CommandResult;

  Reactor* RequestExtension(Ctx*, const remiss::v1::RequestExtensionRequest*, Result*) override;
  Reactor* DecideExtension(Ctx*, const remiss::v1::DecideExtensionRequest*, Result*) override;
  Reactor* SetReminderPolicy(Ctx*, const remiss::v1::SetReminderPolicyRequest*, Result*) override;
  Reactor* RegisterBoardMeetings(Ctx*, const remiss::v1::RegisterBoardMeetingsRequest*, Result*) override;
  Reactor* CancelBoardMeeting(Ctx*, const remiss::v1::CancelBoardMeetingRequest*, Result*) override;

  Reactor* GetDeadline(Ctx*, const remiss::v1::GetDeadlineRequest*, remiss::v1::Deadline*) override;
  Reactor* ListDeadlinesForRound(Ctx*, const remiss::v1::ListDeadlinesForRoundRequest*,
                                 remiss::v1::ListDeadlinesResponse*) override;
  Reactor* ListOverdue(Ctx*, const remiss::v1::ListOverdueRequest*,
                       remiss::v1::ListDeadlinesResponse*) override;
  Reactor* ListDueForOrganization(Ctx*, const remiss::v1::ListDueForOrganizationRequest*,
                                  remiss::v1::ListDeadlinesResponse*) override;
  Reactor* GetBoardCalendar(Ctx*, const remiss::v1::GetBoardCalendarRequest*,
                            remiss::v1::BoardCalendar*) override;

 private:
  template <typename Request>
  Reactor* ExtensionCommand(Ctx* ctx, const Request* request, Result* result);
  template <typename Request>
  Reactor* CalendarCommand(Ctx* ctx, const Request* request, Result* result);
  // The deadline with days_left filled for today, or nullopt.
  std::optional<remiss::v1::Deadline> Read(absl::string_view referral_id, absl::string_view org_id) const;

  core::EventStore* store_;
};

}  // namespace remiss::deadlines
