// Distribution lists (sändlistor) as pure functions: KS saves named sets of organizations
// ("samtliga stadsdelsnämnder", "facknämnderna", "bolagen") and addresses rounds from them.
// A list is its own aggregate (stream "distribution-list/<list_id>"); a round addressed from
// it records the concrete organizations, so a later change of the list changes no round.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "remiss/referrals/domain.h"
#include "remiss/v1/referrals.pb.h"
#include "remiss/v1/referrals_events.pb.h"

namespace remiss::referrals {

// The id a list's name gives, or the id itself: lower-case a-z and digits kept, å and ä as
// a, ö as o, é as e, ü as u, each run of anything else one '-', none at either end, at most
// 64 characters: "samtliga stadsdelsnämnder" -> "samtliga-stadsdelsnamnder". Maps an id to
// itself, so a list can be named by its id or its name. May return "" (a name of no letters).
[[nodiscard]] std::string ListIdForName(absl::string_view name_or_id);
// A list id: 2-64 characters of a-z, 0-9 and '-', not starting or ending with '-'.
[[nodiscard]] absl::Status ValidateListId(absl::string_view field, absl::string_view value);

// state: nullptr when no list has the id (the request's list_id, or the one its name gives).
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::CreateDistributionListRequest& cmd,
                                            const remiss::v1::DistributionList* state,
                                            const DecisionContext& ctx);
// The same name and members again records nothing.
[[nodiscard]] absl::StatusOr<Events> Decide(const remiss::v1::ChangeDistributionListRequest& cmd,
                                            const remiss::v1::DistributionList* state,
                                            const DecisionContext& ctx);
// Applies a list event; `state` starts default-constructed.
void Evolve(remiss::v1::DistributionList& state, const remiss::v1::ReferralEvent& event);

// What addressing a round from lists and singles comes to, before the round's state is
// consulted: every body to address with the lists that named it (by org id), and the bodies
// to leave out or remove. Checks the fields (INVALID_ARGUMENT) and that every list and org
// exists (NOT_FOUND), naming the field and its index: "distribution_list_ids[1]: ...".
struct Addressing {
  std::map<std::string, std::vector<std::string>> add;  // org id -> list ids naming it
  std::vector<std::string> remove;
  std::vector<std::string> lists;  // the list ids used, in the order given
};
[[nodiscard]] absl::Status ValidateAddressingFields(
    const google::protobuf::RepeatedPtrField<std::string>& list_ids,
    const google::protobuf::RepeatedPtrField<std::string>& add_org_ids,
    const google::protobuf::RepeatedPtrField<std::string>& remove_org_ids);
[[nodiscard]] absl::StatusOr<Addressing> ResolveAddressing(
    const google::protobuf::RepeatedPtrField<std::string>& list_ids,
    const google::protobuf::RepeatedPtrField<std::string>& add_org_ids,
    const google::protobuf::RepeatedPtrField<std::string>& remove_org_ids,
    const DecisionContext& ctx);

}  // namespace remiss::referrals
