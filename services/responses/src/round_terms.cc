// The responses domain's view of the round: the referrals service's events restated as
// RoundTermsRecorded (NextTerms), and each addressee's response row made from them
// (ApplyTerms).
#include "remiss/responses/domain.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/base/validation.h"
#include "remiss/views/response_view.h"
#include "google/protobuf/util/message_differencer.h"
#include "preconditions.h"
#include "validation.h"
#include "domain_names.h"

namespace remiss::responses {

using namespace internal;  // NOLINT: the domain's own private helpers

// ---- the round's terms ----

std::optional<RoundTermsRecorded> NextTerms(const RoundTermsRecorded* current,
                                            const ReferralEvent& event,
                                            uint64_t referrals_position) {
  if (event.event_case() == ReferralEvent::kReferralIssued) {
    if (current != nullptr) return std::nullopt;  // a repeat: the terms are already known
    const auto& e = event.referral_issued();
    RoundTermsRecorded terms;
    terms.set_referral_id(e.referral_id());
    terms.set_case_number(e.case_number());
    terms.set_title(e.title());
    terms.set_sender_org_id(e.sender_org_id());
    terms.set_deadline(e.deadline());
    terms.set_working_day_rule(e.working_day_rule());
    terms.set_state(remiss::v1::ROUND_STATE_OPEN);
    for (const auto& a : e.addressees()) {
      if (FindAddressee(terms, a.org_id()) != nullptr) continue;
      RequestedAnswer* answer = terms.add_addressees();
      answer->set_org_id(a.org_id());
      answer->set_stated_deadline(a.deadline_override().empty() ? e.deadline()
                                                                : a.deadline_override());
      answer->set_answer(ResolvedAnswer(a.answer()));
    }
    terms.set_referrals_position(referrals_position);
    terms.set_revises_referral_id(e.revises_referral_id());
    return terms;
  }
  // Before the round is issued it is a draft: not this service's business.
  if (current == nullptr) return std::nullopt;
  // An event already followed (a redelivery) changes nothing.
  if (current->referrals_position() != 0 && referrals_position <= current->referrals_position()) {
    return std::nullopt;
  }

  RoundTermsRecorded next = *current;
  switch (event.event_case()) {
    case ReferralEvent::kAddresseeAdded: {
      const auto& terms = event.addressee_added().addressee();
      if (FindAddressee(next, terms.org_id()) != nullptr) return std::nullopt;
      RequestedAnswer* answer = next.add_addressees();
      answer->set_org_id(terms.org_id());
      answer->set_stated_deadline(terms.deadline_override().empty() ? next.deadline()
                                                                    : terms.deadline_override());
      answer->set_answer(ResolvedAnswer(terms.answer()));
      break;
    }
    case ReferralEvent::kAddresseeRemoved: {
      auto* addressees = next.mutable_addressees();
      auto it = addressees->begin();
      while (it != addressees->end() && it->org_id() != event.addressee_removed().org_id()) ++it;
      if (it == addressees->end()) return std::nullopt;
      addressees->erase(it);
      break;
    }
    case ReferralEvent::kDeadlineMoved: {
      const auto& e = event.deadline_moved();
      if (e.org_id().empty()) {
        if (e.deadline() == next.deadline()) return std::nullopt;
        // An addressee follows the round's deadline when its stated deadline is the round's.
        const std::string old_deadline = next.deadline();
        for (RequestedAnswer& a : *next.mutable_addressees()) {
          if (a.stated_deadline() == old_deadline) a.set_stated_deadline(e.deadline());
        }
        next.set_deadline(e.deadline());
      } else {
        RequestedAnswer* a = FindAddressee(next, e.org_id());
        if (a == nullptr || a->stated_deadline() == e.deadline()) return std::nullopt;
        a->set_stated_deadline(e.deadline());
      }
      break;
    }
    case ReferralEvent::kReferralClosed:
      if (next.state() == remiss::v1::ROUND_STATE_CLOSED &&
          next.reason() == event.referral_closed().reason()) {
        return std::nullopt;
      }
      next.set_state(remiss::v1::ROUND_STATE_CLOSED);
      next.set_reason(event.referral_closed().reason());
      break;
    case ReferralEvent::kReferralWithdrawn:
      if (next.state() == remiss::v1::ROUND_STATE_WITHDRAWN &&
          next.reason() == event.referral_withdrawn().reason()) {
        return std::nullopt;
      }
      next.set_state(remiss::v1::ROUND_STATE_WITHDRAWN);
      next.set_reason(event.referral_withdrawn().reason());
      break;
    case ReferralEvent::kRevisionLinked:
      if (next.revises_referral_id() == event.revision_linked().revises_referral_id()) {
        return std::nullopt;
      }
      next.set_revises_referral_id(event.revision_linked().revises_referral_id());
      break;
    default:
      return std::nullopt;
  }
  next.set_referrals_position(referrals_position);
  return next;
}

Response ApplyTerms(const RoundTermsRecorded& terms, absl::string_view org_id,
                    const Response* response) {
  Response row;
  if (response != nullptr) {
    row = *response;
  } else {
    row.set_referral_id(terms.referral_id());
    row.set_org_id(std::string(org_id));
    row.set_stage(remiss::v1::RESPONSE_STAGE_AWAITING);
    row.set_version(0);
  }
  row.set_case_number(terms.case_number());
  row.set_title(terms.title());
  row.set_round_state(terms.state());
  const RequestedAnswer* addressee = FindAddressee(terms, org_id);
  row.set_removed(addressee == nullptr);
  // A removed addressee keeps the deadline it last had, for the record.
  if (addressee != nullptr) row.set_stated_deadline(addressee->stated_deadline());
  return row;
}

}  // namespace remiss::responses
