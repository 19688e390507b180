// libFuzzer: the referrals domain's Decide on arbitrary requests of every command type,
// against an arbitrary round (or none), then Evolve over what it decided. Decide may refuse;
// it must never crash or trip a sanitizer, and what it accepts must fold.
#include <fuzzer/FuzzedDataProvider.h>

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <string>

#include "remiss/referrals/distribution_lists.h"
#include "remiss/referrals/domain.h"
#include "remiss/v1/referrals.pb.h"

namespace {

using namespace remiss::v1;
using remiss::referrals::DecisionContext;
using remiss::referrals::Events;

template <typename Request>
absl::StatusOr<Events> DecideOn(const std::string& bytes, const Referral* round,
                                const DecisionContext& ctx) {
  Request request;
  if (!request.ParseFromString(bytes)) return absl::InvalidArgumentError("unparsable");
  return remiss::referrals::Decide(request, round, ctx);
}

}  // namespace

// Quiet: protobuf logs every string field with invalid UTF-8 it refuses to parse.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int command = in.ConsumeIntegralInRange<int>(0, 13);
  const bool known = in.ConsumeBool();
  DecisionContext ctx{
      .now = absl::FromUnixSeconds(in.ConsumeIntegralInRange<int64_t>(0, 4102444800)),
      .today = absl::CivilDay(2021, 2, 1),
      .organization_registered = [known](absl::string_view) { return known; },
      .referral_exists = [known](absl::string_view) { return known; },
      .distribution_list = [known](absl::string_view id) -> std::optional<DistributionList> {
        if (!known) return std::nullopt;
        DistributionList list;
        list.set_list_id(std::string(id));
        list.set_name("samtliga stadsdelsnämnder");
        list.add_member_org_ids("bromma-sdn");
        list.add_member_org_ids("sodermalm-sdn");
        return list;
      },
  };
  Referral round;
  const bool has_round = in.ConsumeBool() && round.ParseFromString(in.ConsumeRandomLengthString(2048));
  const Referral* state = has_round ? &round : nullptr;
  const std::string bytes = in.ConsumeRemainingBytesAsString();

  absl::StatusOr<Events> events;
  switch (command) {
    case 0: {
      RegisterOrganizationRequest r;
      if (r.ParseFromString(bytes)) (void)remiss::referrals::Decide(r, nullptr);
      return 0;
    }
    case 1: events = DecideOn<CreateReferralRequest>(bytes, state, ctx); break;
    case 2: events = DecideOn<AttachDocumentRequest>(bytes, state, ctx); break;
    case 3: events = DecideOn<AddAddresseeRequest>(bytes, state, ctx); break;
    case 4: events = DecideOn<RemoveAddresseeRequest>(bytes, state, ctx); break;
    case 5: events = DecideOn<SetDeadlineRequest>(bytes, state, ctx); break;
    case 6: events = DecideOn<IssueReferralRequest>(bytes, state, ctx); break;
    case 7: events = DecideOn<MoveDeadlineRequest>(bytes, state, ctx); break;
    case 8: events = DecideOn<CloseReferralRequest>(bytes, state, ctx); break;
    case 9: events = DecideOn<WithdrawReferralRequest>(bytes, state, ctx); break;
    case 10: events = DecideOn<LinkRevisionRequest>(bytes, state, ctx); break;
    case 11: events = DecideOn<AddressReferralRequest>(bytes, state, ctx); break;
    case 12: {  // an organization's registry mailbox, on an organization or none
      SetRegistryMailboxRequest r;
      Organization org;
      org.set_org_id("bromma-sdn");
      if (!r.ParseFromString(bytes)) return 0;
      auto decided = remiss::referrals::Decide(r, known ? &org : nullptr);
      if (decided.ok()) for (const ReferralEvent& e : *decided) remiss::referrals::Evolve(org, e);
      return 0;
    }
    default: {  // a distribution list, created or changed, then folded
      DistributionList list;
      list.set_list_id("samtliga-stadsdelsnamnder");
      list.set_name("samtliga stadsdelsnämnder");
      list.add_member_org_ids("bromma-sdn");
      absl::StatusOr<Events> decided;
      CreateDistributionListRequest create;
      ChangeDistributionListRequest change;
      if (has_round && create.ParseFromString(bytes)) {
        decided = remiss::referrals::Decide(create, known ? &list : nullptr, ctx);
      } else if (change.ParseFromString(bytes)) {
        decided = remiss::referrals::Decide(change, known ? &list : nullptr, ctx);
      }
      if (decided.ok()) for (const ReferralEvent& e : *decided) remiss::referrals::Evolve(list, e);
      return 0;
    }
  }
  if (events.ok()) {
    Referral folded = has_round ? round : Referral();
    for (const ReferralEvent& e : *events) remiss::referrals::Evolve(folded, e, ctx.now);
  }
  return 0;
}
