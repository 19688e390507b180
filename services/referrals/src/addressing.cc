// Addressing a round in one command: distribution lists plus single bodies, minus single
// bodies (AddressReferral, and CreateReferral's addressing fields). The lists are resolved to
// their members when the command is decided; the events name the concrete organizations and,
// for provenance, the lists that named each.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/validation.h"
#include "remiss/referrals/distribution_lists.h"
#include "remiss/referrals/domain.h"
#include "round_rules.h"

namespace remiss::referrals {
namespace internal {

absl::StatusOr<Events> AddressingEvents(const remiss::v1::Referral& state,
                                        const Addressing& addressing,
                                        absl::string_view deadline_override,
                                        remiss::v1::AnswerKind answer, absl::string_view reason,
                                        const DecisionContext& ctx) {
  Events events;
  int count = state.addressees_size();
  for (const std::string& org_id : addressing.remove) {
    if (FindAddressee(state, org_id) == nullptr) continue;  // not addressed: nothing to do
    if (state.status() == remiss::v1::REFERRAL_STATUS_ISSUED && core::IsBlank(reason)) {
      return core::Invalid("reason", absl::StrCat("is required to remove \"", org_id,
                                                  "\" once the round is issued"));
    }
    remiss::v1::ReferralEvent event;
    auto* e = event.mutable_addressee_removed();
    e->set_referral_id(state.referral_id());
    e->set_org_id(org_id);
    e->set_reason(std::string(reason));
    events.push_back(std::move(event));
    --count;
  }
  const bool issued = state.status() == remiss::v1::REFERRAL_STATUS_ISSUED;
  for (const auto& [org_id, lists] : addressing.add) {
    if (FindAddressee(state, org_id) != nullptr) continue;  // already addressed: kept as it is
    if (++count > core::limits::kAddresseesPerRound) {
      return core::Invalid("addressees", absl::StrCat("a round has at most ",
                                                      core::limits::kAddresseesPerRound,
                                                      " addressees; this would have more"));
    }
    if (issued) {  // once issued, a new addressee must still have time to answer
      if (!deadline_override.empty()) {
        REMISS_RETURN_IF_ERROR(
            core::DateAfterToday("deadline_override", deadline_override, ctx.today).status());
      } else if (!StoredDateIsAfter(state.deadline(), ctx.today)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "deadline: the round's deadline ", state.deadline(), " is not after today (",
            core::FormatCivilDate(ctx.today), "); give the addressees a deadline_override"));
      }
    }
    remiss::v1::ReferralEvent event;
    auto* e = event.mutable_addressee_added();
    e->set_referral_id(state.referral_id());
    remiss::v1::AddresseeTerms* terms = e->mutable_addressee();
    terms->set_org_id(org_id);
    terms->set_deadline_override(std::string(deadline_override));
    terms->set_answer(ResolvedAnswer(answer));
    for (const std::string& list : lists) e->add_distribution_list_ids(list);
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace internal

using namespace internal;  // NOLINT: the domain's own rules

absl::StatusOr<Events> Decide(const remiss::v1::AddressReferralRequest& cmd,
                              const remiss::v1::Referral* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(core::Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(ValidateAddressingFields(cmd.distribution_list_ids(), cmd.add_org_ids(),
                                                  cmd.remove_org_ids()));
  if (cmd.distribution_list_ids().empty() && cmd.add_org_ids().empty() &&
      cmd.remove_org_ids().empty()) {
    return core::Invalid("distribution_list_ids",
                         "name at least one list, or bodies in add_org_ids or remove_org_ids");
  }
  if (!cmd.deadline_override().empty()) {
    REMISS_RETURN_IF_ERROR(
        core::ParseCivilDate("deadline_override", cmd.deadline_override()).status());
  }
  REMISS_RETURN_IF_ERROR(ValidateAnswerKind("answer", cmd.answer()));
  REMISS_RETURN_IF_ERROR(core::MaxLength("reason", cmd.reason(), core::limits::kReason));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(*state,
                                       {remiss::v1::REFERRAL_STATUS_DRAFT,
                                        remiss::v1::REFERRAL_STATUS_ISSUED},
                                       "the round can be addressed"));
  absl::StatusOr<Addressing> addressing = ResolveAddressing(
      cmd.distribution_list_ids(), cmd.add_org_ids(), cmd.remove_org_ids(), ctx);
  if (!addressing.ok()) return addressing.status();
  return AddressingEvents(*state, *addressing, cmd.deadline_override(), cmd.answer(),
                          cmd.reason(), ctx);
}

}  // namespace remiss::referrals
