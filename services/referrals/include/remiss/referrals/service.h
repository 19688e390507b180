// The ReferralService gRPC API: thin handlers that read the request, run the domain's
// Decide on the writer thread against the current projections, and finish when the events
// are durable. Queries read the committed projections. Thread-safe; the store must outlive
// the service.
#pragma once

#include "remiss/core/store/event_store.h"
#include "remiss/v1/referrals.grpc.pb.h"

namespace remiss::referrals {

class ReferralGrpcService final : public remiss::v1::ReferralService::CallbackService {
 public:
  explicit ReferralGrpcService(core::EventStore* store) : store_(store) {}

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  using Result = remiss::v1::CommandResult;

  Reactor* RegisterOrganization(Ctx*, const remiss::v1::RegisterOrganizationRequest*, Result*) override;
  Reactor* UpdateOrganization(Ctx*, const remiss::v1::UpdateOrganizationRequest*, Result*) override;
  Reactor* GetOrganization(Ctx*, const remiss::v1::GetOrganizationRequest*,
                           remiss::v1::Organization*) override;
  Reactor* ListOrganizations(Ctx*, const remiss::v1::ListOrganizationsRequest*,
                             remiss::v1::ListOrganizationsResponse*) override;
  Reactor* SetRegistryMailbox(Ctx*, const remiss::v1::SetRegistryMailboxRequest*, Result*) override;

  Reactor* CreateDistributionList(Ctx*, const remiss::v1::CreateDistributionListRequest*,
                                  Result*) override;
  Reactor* ChangeDistributionList(Ctx*, const remiss::v1::ChangeDistributionListRequest*,
                                  Result*) override;
  Reactor* GetDistributionList(Ctx*, const remiss::v1::GetDistributionListRequest*,
                               remiss::v1::DistributionList*) override;
  Reactor* ListDistributionLists(Ctx*, const remiss::v1::ListDistributionListsRequest*,
                                 remiss::v1::ListDistributionListsResponse*) override;

  Reactor* CreateReferral(Ctx*, const remiss::v1::CreateReferralRequest*, Result*) override;
  Reactor* AttachDocument(Ctx*, const remiss::v1::AttachDocumentRequest*, Result*) override;
  Reactor* AddAddressee(Ctx*, const remiss::v1::AddAddresseeRequest*, Result*) override;
  Reactor* RemoveAddressee(Ctx*, const remiss::v1::RemoveAddresseeRequest*, Result*) override;
  Reactor* AddressReferral(Ctx*, const remiss::v1::AddressReferralRequest*, Result*) override;
  Reactor* SetDeadline(Ctx*, const remiss::v1::SetDeadlineRequest*, Result*) override;
  Reactor* IssueReferral(Ctx*, const remiss::v1::IssueReferralRequest*, Result*) override;
  Reactor* MoveDeadline(Ctx*, const remiss::v1::MoveDeadlineRequest*, Result*) override;
  Reactor* CloseReferral(Ctx*, const remiss::v1::CloseReferralRequest*, Result*) override;
  Reactor* WithdrawReferral(Ctx*, const remiss::v1::WithdrawReferralRequest*, Result*) override;
  Reactor* LinkRevision(Ctx*, const remiss::v1::LinkRevisionRequest*, Result*) override;

  Reactor* GetReferral(Ctx*, const remiss::v1::GetReferralRequest*, remiss::v1::Referral*) override;
  Reactor* ListReferrals(Ctx*, const remiss::v1::ListReferralsRequest*,
                         remiss::v1::ListReferralsResponse*) override;
  Reactor* ListReferralsForOrganization(
      Ctx*, const remiss::v1::ListReferralsForOrganizationRequest*,
      remiss::v1::ListReferralsForOrganizationResponse*) override;

 private:
  template <typename Request>
  Reactor* OrganizationCommand(Ctx* ctx, const Request* request, Result* result);
  template <typename Request>
  Reactor* ListCommand(Ctx* ctx, const Request* request, const std::string& list_id,
                       Result* result);
  template <typename Request>
  Reactor* ReferralCommand(Ctx* ctx, const Request* request, const std::string& referral_id,
                           Result* result);

  core::EventStore* store_;
};

}  // namespace remiss::referrals
