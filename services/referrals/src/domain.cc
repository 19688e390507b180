// The referrals domain: decide (command + state -> events or a refusal) and evolve (state +
// event -> state), for referral rounds here; organizations are in organizations.cc, the
// distribution lists in distribution_lists.cc, a round's addressing in addressing.cc. Every
// Decide checks in the same order:
//   1. the command's own fields (INVALID_ARGUMENT; needs no state),
//   2. that the aggregate exists (NOT_FOUND) or does not (ALREADY_EXISTS, for creation),
//   3. that the round's status allows the command (FAILED_PRECONDITION),
//   4. what the command refers to (NOT_FOUND), then conflicts with the state.
// Every message starts with the field it is about: "title: is required".
#include "remiss/referrals/domain.h"

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/ids.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/base/validation.h"
#include "remiss/referrals/distribution_lists.h"
#include "round_rules.h"

namespace remiss::referrals {
namespace internal {

using remiss::v1::Addressee;
using remiss::v1::AddresseeTerms;
using remiss::v1::AnswerKind;
using remiss::v1::Referral;
using remiss::v1::ReferralEvent;
using remiss::v1::ReferralStatus;

constexpr size_t kMaxNameLength = core::limits::kName;
constexpr size_t kMaxTitleLength = core::limits::kTitle;
constexpr size_t kMaxSummaryLength = core::limits::kSummary;
constexpr size_t kMaxReasonLength = core::limits::kReason;

using core::DateAfterToday;
using core::Invalid;
using core::IsBlank;
using core::MaxLength;
using core::Required;
using core::RequiredText;
using core::ToTimestamp;

// ---- shared validators ----

// Whether a stored "YYYY-MM-DD" lies after today. Stored dates were validated on the way in;
// one that does not parse counts as not after today.
bool StoredDateIsAfter(absl::string_view date, absl::CivilDay today) {
  absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate("deadline", date);
  return day.ok() && *day > today;
}

absl::Status ValidateAnswerKind(absl::string_view field, AnswerKind answer) {
  if (!remiss::v1::AnswerKind_IsValid(answer)) {
    return Invalid(field, absl::StrCat("unknown answer kind ", static_cast<int>(answer)));
  }
  return absl::OkStatus();
}

AnswerKind ResolvedAnswer(AnswerKind answer) {
  return answer == remiss::v1::ANSWER_KIND_UNSPECIFIED ? remiss::v1::ANSWER_KIND_REQUIRED
                                                       : answer;
}

// ---- the decision context ----

absl::StatusOr<bool> OrganizationRegistered(const DecisionContext& ctx, absl::string_view id) {
  if (!ctx.organization_registered) {
    return absl::InternalError("the decision context has no organization_registered lookup");
  }
  return ctx.organization_registered(id);
}

absl::StatusOr<bool> ReferralExists(const DecisionContext& ctx, absl::string_view id) {
  if (!ctx.referral_exists) {
    return absl::InternalError("the decision context has no referral_exists lookup");
  }
  return ctx.referral_exists(id);
}

// NOT_FOUND naming `field` unless `org_id` is a registered organization.
absl::Status RequireRegistered(const DecisionContext& ctx, absl::string_view field,
                               absl::string_view org_id) {
  absl::StatusOr<bool> registered = OrganizationRegistered(ctx, org_id);
  if (!registered.ok()) return registered.status();
  if (!*registered) {
    return absl::NotFoundError(
        absl::StrCat(field, ": no organization \"", org_id, "\" is registered"));
  }
  return absl::OkStatus();
}

// ---- the round's state ----

absl::string_view StatusName(ReferralStatus status) {
  switch (status) {
    case remiss::v1::REFERRAL_STATUS_DRAFT:
      return "a draft";
    case remiss::v1::REFERRAL_STATUS_ISSUED:
      return "issued";
    case remiss::v1::REFERRAL_STATUS_CLOSED:
      return "closed";
    case remiss::v1::REFERRAL_STATUS_WITHDRAWN:
      return "withdrawn";
    default:
      return "in no known status";
  }
}

// The round must exist: NOT_FOUND naming referral_id otherwise.
absl::Status RequireRound(const Referral* state, absl::string_view referral_id) {
  if (state == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("referral_id: no round \"", referral_id, "\" exists"));
  }
  return absl::OkStatus();
}

// The round must be in one of `allowed`: FAILED_PRECONDITION otherwise, saying what it is,
// what `action` needs, and the optional `hint`.
// E.g. "status: the round is withdrawn; a document can be attached only while it is a draft
// or issued".
absl::Status RequireStatus(const Referral& state, std::initializer_list<ReferralStatus> allowed,
                           absl::string_view action, absl::string_view hint) {
  for (ReferralStatus s : allowed) {
    if (state.status() == s) return absl::OkStatus();
  }
  // "a draft", "a draft or issued", "a draft, issued or closed".
  std::string allowed_names;
  size_t i = 0;
  for (ReferralStatus s : allowed) {
    if (i > 0) absl::StrAppend(&allowed_names, i + 1 == allowed.size() ? " or " : ", ");
    absl::StrAppend(&allowed_names, StatusName(s));
    ++i;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "status: the round is ", StatusName(state.status()), "; ", action, " only while it is ",
      allowed_names, hint.empty() ? "" : "; ", hint));
}

const Addressee* FindAddressee(const Referral& state, absl::string_view org_id) {
  for (const Addressee& a : state.addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

Addressee* FindAddressee(Referral& state, absl::string_view org_id) {
  for (Addressee& a : *state.mutable_addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

// The deadline the round states for an addressee: its override, else the round's deadline.
std::string StatedDeadline(const Referral& state, absl::string_view deadline_override) {
  return deadline_override.empty() ? state.deadline() : std::string(deadline_override);
}

void RecomputeStatedDeadlines(Referral& state) {
  for (Addressee& a : *state.mutable_addressees()) {
    a.set_stated_deadline(StatedDeadline(state, a.deadline_override()));
  }
}

Events One(ReferralEvent event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

}  // namespace internal

using namespace internal;  // NOLINT: the domain's own rules, shared with addressing.cc

// ---- ids and validation ----

std::string ReferralIdForCaseNumber(absl::string_view case_number) {
  return core::NormalizeReferralId(case_number);
}

absl::Status ValidateCaseNumber(absl::string_view field, absl::string_view value) {
  return core::ValidateDiaryNumber(field, value);
}

int RoundYear(absl::string_view case_number, absl::CivilDay created_on) {
  const int year = core::DiaryNumberYear(case_number);
  return year != 0 ? year : static_cast<int>(created_on.year());
}

// ---- referral rounds ----

absl::StatusOr<Events> Decide(const remiss::v1::CreateReferralRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(ValidateCaseNumber("case_number", cmd.case_number()));
  REMISS_RETURN_IF_ERROR(RequiredText("title", cmd.title(), kMaxTitleLength));
  REMISS_RETURN_IF_ERROR(MaxLength("summary", cmd.summary(), kMaxSummaryLength));
  REMISS_RETURN_IF_ERROR(ValidateOrgId("sender_org_id", cmd.sender_org_id()));
  const auto& contact = cmd.contact();
  REMISS_RETURN_IF_ERROR(MaxLength("contact.name", contact.name(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(core::ValidateEmail("contact.email", contact.email()));
  REMISS_RETURN_IF_ERROR(core::ValidatePhone("contact.phone", contact.phone()));
  REMISS_RETURN_IF_ERROR(ValidateAddressingFields(cmd.distribution_list_ids(), cmd.add_org_ids(),
                                                  cmd.remove_org_ids()));

  std::string referral_id = ReferralIdForCaseNumber(cmd.case_number());
  if (state != nullptr) {
    if (state->case_number() != cmd.case_number()) {
      // Case numbers that differ only in case or punctuation give one id: refused, not merged.
      return absl::AlreadyExistsError(absl::StrCat(
          "case_number: \"", cmd.case_number(), "\" gives the id \"", referral_id,
          "\", which already belongs to the round with case number \"", state->case_number(),
          "\"; a round whose case number differs only in case or punctuation cannot be told "
          "apart from it"));
    }
    return absl::AlreadyExistsError(absl::StrCat("case_number: a round for ", cmd.case_number(),
                                                 " already exists (\"", referral_id, "\")"));
  }
  REMISS_RETURN_IF_ERROR(RequireRegistered(ctx, "sender_org_id", cmd.sender_org_id()));

  ReferralEvent event;
  auto* e = event.mutable_referral_drafted();
  e->set_referral_id(referral_id);
  e->set_case_number(cmd.case_number());
  e->set_title(cmd.title());
  e->set_summary(cmd.summary());
  e->set_sender_org_id(cmd.sender_org_id());
  if (cmd.has_contact()) *e->mutable_contact() = cmd.contact();
  e->set_year(RoundYear(cmd.case_number(), ctx.today));
  if (cmd.distribution_list_ids().empty() && cmd.add_org_ids().empty()) {
    return One(std::move(event));
  }
  // Addressed at once: the draft as it stands after ReferralDrafted, then its addressees.
  absl::StatusOr<Addressing> addressing = ResolveAddressing(
      cmd.distribution_list_ids(), cmd.add_org_ids(), cmd.remove_org_ids(), ctx);
  if (!addressing.ok()) return addressing.status();
  Referral draft;
  Evolve(draft, event, ctx.now);
  absl::StatusOr<Events> added =
      AddressingEvents(draft, *addressing, "", remiss::v1::ANSWER_KIND_REQUIRED, "", ctx);
  if (!added.ok()) return added.status();
  Events events = One(std::move(event));
  for (auto& a : *added) events.push_back(std::move(a));
  return events;
}

absl::StatusOr<Events> Decide(const remiss::v1::AttachDocumentRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  const auto& doc = cmd.document();
  REMISS_RETURN_IF_ERROR(core::ValidateDocument("document", doc));
  REMISS_RETURN_IF_ERROR(Required("document.sha256", doc.sha256()));  // required here

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(*state,
                                       {remiss::v1::REFERRAL_STATUS_DRAFT,
                                        remiss::v1::REFERRAL_STATUS_ISSUED},
                                       "a document can be attached"));
  if (state->documents_size() >= core::limits::kDocuments) {
    return Invalid("documents", absl::StrCat("a round has at most ", core::limits::kDocuments,
                                             " documents; this one has ",
                                             state->documents_size()));
  }
  for (const auto& existing : state->documents()) {
    if (existing.id() == doc.id()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "document.id: the round already has a document \"", doc.id(), "\""));
    }
  }

  ReferralEvent event;
  auto* e = event.mutable_document_attached();
  e->set_referral_id(cmd.referral_id());
  *e->mutable_document() = doc;
  e->mutable_document()->set_sha256(absl::AsciiStrToLower(doc.sha256()));
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::AddAddresseeRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(ValidateOrgId("org_id", cmd.org_id()));
  if (!cmd.deadline_override().empty()) {
    REMISS_RETURN_IF_ERROR(
        core::ParseCivilDate("deadline_override", cmd.deadline_override()).status());
  }
  REMISS_RETURN_IF_ERROR(ValidateAnswerKind("answer", cmd.answer()));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(*state,
                                       {remiss::v1::REFERRAL_STATUS_DRAFT,
                                        remiss::v1::REFERRAL_STATUS_ISSUED},
                                       "an addressee can be added"));
  REMISS_RETURN_IF_ERROR(RequireRegistered(ctx, "org_id", cmd.org_id()));
  if (FindAddressee(*state, cmd.org_id()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat("org_id: \"", cmd.org_id(), "\" is already an addressee of the round"));
  }
  if (state->addressees_size() >= core::limits::kAddresseesPerRound) {
    return Invalid("addressees", absl::StrCat("a round has at most ",
                                              core::limits::kAddresseesPerRound,
                                              " addressees; this one has ",
                                              state->addressees_size()));
  }
  // Once issued, a new addressee must still have time to answer. A draft is checked at issue.
  if (state->status() == remiss::v1::REFERRAL_STATUS_ISSUED) {
    if (!cmd.deadline_override().empty()) {
      REMISS_RETURN_IF_ERROR(
          DateAfterToday("deadline_override", cmd.deadline_override(), ctx.today).status());
    } else if (!StoredDateIsAfter(state->deadline(), ctx.today)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "deadline: the round's deadline ", state->deadline(), " is not after today (",
          core::FormatCivilDate(ctx.today), "); give the addressee a deadline_override"));
    }
  }

  ReferralEvent event;
  auto* e = event.mutable_addressee_added();
  e->set_referral_id(cmd.referral_id());
  AddresseeTerms* terms = e->mutable_addressee();
  terms->set_org_id(cmd.org_id());
  terms->set_deadline_override(cmd.deadline_override());
  terms->set_answer(ResolvedAnswer(cmd.answer()));
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RemoveAddresseeRequest& cmd,
                              const Referral* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(ValidateOrgId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(MaxLength("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(*state,
                                       {remiss::v1::REFERRAL_STATUS_DRAFT,
                                        remiss::v1::REFERRAL_STATUS_ISSUED},
                                       "an addressee can be removed"));
  if (state->status() == remiss::v1::REFERRAL_STATUS_ISSUED && IsBlank(cmd.reason())) {
    return Invalid("reason", "is required once the round is issued");
  }
  if (FindAddressee(*state, cmd.org_id()) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("org_id: \"", cmd.org_id(), "\" is not an addressee of the round"));
  }

  ReferralEvent event;
  auto* e = event.mutable_addressee_removed();
  e->set_referral_id(cmd.referral_id());
  e->set_org_id(cmd.org_id());
  e->set_reason(cmd.reason());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::SetDeadlineRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(DateAfterToday("deadline", cmd.deadline(), ctx.today).status());

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(
      *state, {remiss::v1::REFERRAL_STATUS_DRAFT}, "the deadline can be set",
      state->status() == remiss::v1::REFERRAL_STATUS_ISSUED
          ? "use MoveDeadline to move the deadline of an issued round"
          : ""));

  ReferralEvent event;
  auto* e = event.mutable_deadline_set();
  e->set_referral_id(cmd.referral_id());
  e->set_deadline(cmd.deadline());
  e->set_working_day_rule(cmd.working_day_rule());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::IssueReferralRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(
      RequireStatus(*state, {remiss::v1::REFERRAL_STATUS_DRAFT}, "the round can be issued"));
  if (state->addressees().empty()) {
    return absl::FailedPreconditionError(
        "addressees: the round has none; add at least one addressee before issuing");
  }
  const std::string today = core::FormatCivilDate(ctx.today);
  if (state->deadline().empty()) {
    return absl::FailedPreconditionError(
        "deadline: is not set; set it with SetDeadline before issuing");
  }
  if (!StoredDateIsAfter(state->deadline(), ctx.today)) {
    return absl::FailedPreconditionError(absl::StrCat("deadline: must be after today (",
                                                      state->deadline(), " is not after ",
                                                      today, "); set a later deadline"));
  }
  for (const Addressee& a : state->addressees()) {
    if (!a.deadline_override().empty() && !StoredDateIsAfter(a.deadline_override(), ctx.today)) {
      return absl::FailedPreconditionError(
          absl::StrCat("addressees: the deadline_override of \"", a.org_id(),
                       "\" must be after today (", a.deadline_override(), " is not after ",
                       today, ")"));
    }
  }

  ReferralEvent event;
  auto* e = event.mutable_referral_issued();
  e->set_referral_id(cmd.referral_id());
  e->set_case_number(state->case_number());
  e->set_title(state->title());
  e->set_sender_org_id(state->sender_org_id());
  e->set_deadline(state->deadline());
  e->set_working_day_rule(state->working_day_rule());
  for (const Addressee& a : state->addressees()) {
    AddresseeTerms* terms = e->add_addressees();
    terms->set_org_id(a.org_id());
    terms->set_deadline_override(a.deadline_override());
    terms->set_answer(ResolvedAnswer(a.answer()));
  }
  *e->mutable_issued_at() = ToTimestamp(ctx.now);
  e->set_revises_referral_id(state->revises_referral_id());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::MoveDeadlineRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  if (!cmd.org_id().empty()) REMISS_RETURN_IF_ERROR(ValidateOrgId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(DateAfterToday("deadline", cmd.deadline(), ctx.today).status());
  REMISS_RETURN_IF_ERROR(MaxLength("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(
      *state, {remiss::v1::REFERRAL_STATUS_ISSUED}, "a deadline can be moved",
      state->status() == remiss::v1::REFERRAL_STATUS_DRAFT
          ? "use SetDeadline to set the deadline of a draft"
          : ""));

  std::string previous;
  if (cmd.org_id().empty()) {
    previous = state->deadline();
    if (previous == cmd.deadline()) {
      return absl::FailedPreconditionError(
          absl::StrCat("deadline: the round's deadline is already ", previous));
    }
  } else {
    const Addressee* addressee = FindAddressee(*state, cmd.org_id());
    if (addressee == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("org_id: \"", cmd.org_id(), "\" is not an addressee of the round"));
    }
    previous = StatedDeadline(*state, addressee->deadline_override());
    if (previous == cmd.deadline()) {
      return absl::FailedPreconditionError(absl::StrCat("deadline: the deadline of \"",
                                                        cmd.org_id(), "\" is already ",
                                                        previous));
    }
  }

  ReferralEvent event;
  auto* e = event.mutable_deadline_moved();
  e->set_referral_id(cmd.referral_id());
  e->set_org_id(cmd.org_id());
  e->set_previous_deadline(previous);
  e->set_deadline(cmd.deadline());
  e->set_reason(cmd.reason());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::CloseReferralRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(MaxLength("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(
      *state, {remiss::v1::REFERRAL_STATUS_ISSUED}, "the round can be closed",
      state->status() == remiss::v1::REFERRAL_STATUS_DRAFT ? "withdraw a draft instead" : ""));

  ReferralEvent event;
  auto* e = event.mutable_referral_closed();
  e->set_referral_id(cmd.referral_id());
  e->set_reason(cmd.reason());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::WithdrawReferralRequest& cmd,
                              const Referral* state, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(*state,
                                       {remiss::v1::REFERRAL_STATUS_DRAFT,
                                        remiss::v1::REFERRAL_STATUS_ISSUED},
                                       "the round can be withdrawn"));

  ReferralEvent event;
  auto* e = event.mutable_referral_withdrawn();
  e->set_referral_id(cmd.referral_id());
  e->set_reason(cmd.reason());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::LinkRevisionRequest& cmd, const Referral* state,
                              const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(Required("revises_referral_id", cmd.revises_referral_id()));
  if (cmd.revises_referral_id() == cmd.referral_id()) {
    return Invalid("revises_referral_id", "a round cannot revise itself");
  }

  REMISS_RETURN_IF_ERROR(RequireRound(state, cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequireStatus(*state,
                                       {remiss::v1::REFERRAL_STATUS_DRAFT,
                                        remiss::v1::REFERRAL_STATUS_ISSUED,
                                        remiss::v1::REFERRAL_STATUS_CLOSED},
                                       "a revision can be linked"));
  absl::StatusOr<bool> exists = ReferralExists(ctx, cmd.revises_referral_id());
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    return absl::NotFoundError(absl::StrCat("revises_referral_id: no round \"",
                                            cmd.revises_referral_id(), "\" exists"));
  }
  if (!state->revises_referral_id().empty()) {
    return absl::FailedPreconditionError(absl::StrCat("revises_referral_id: the round already "
                                                      "revises \"",
                                                      state->revises_referral_id(), "\""));
  }

  ReferralEvent event;
  auto* e = event.mutable_revision_linked();
  e->set_referral_id(cmd.referral_id());
  e->set_revises_referral_id(cmd.revises_referral_id());
  return One(std::move(event));
}

void Evolve(Referral& state, const ReferralEvent& event, absl::Time recorded_at) {
  switch (event.event_case()) {
    case ReferralEvent::kReferralDrafted: {
      const auto& e = event.referral_drafted();
      state.set_referral_id(e.referral_id());
      state.set_case_number(e.case_number());
      state.set_title(e.title());
      state.set_summary(e.summary());
      state.set_sender_org_id(e.sender_org_id());
      if (e.has_contact()) *state.mutable_contact() = e.contact();
      state.set_status(remiss::v1::REFERRAL_STATUS_DRAFT);
      *state.mutable_created_at() = ToTimestamp(recorded_at);
      // Events from before the year was recorded: derived the same way, from the recording.
      state.set_year(e.year() != 0 ? e.year()
                                   : RoundYear(e.case_number(),
                                               core::StockholmDate(recorded_at)));
      break;
    }
    case ReferralEvent::kDocumentAttached:
      *state.add_documents() = event.document_attached().document();
      break;
    case ReferralEvent::kAddresseeAdded: {
      const AddresseeTerms& terms = event.addressee_added().addressee();
      Addressee* a = state.add_addressees();
      a->set_org_id(terms.org_id());
      a->set_deadline_override(terms.deadline_override());
      a->set_answer(ResolvedAnswer(terms.answer()));
      a->set_stated_deadline(StatedDeadline(state, terms.deadline_override()));
      break;
    }
    case ReferralEvent::kAddresseeRemoved: {
      auto* addressees = state.mutable_addressees();
      for (auto it = addressees->begin(); it != addressees->end(); ++it) {
        if (it->org_id() == event.addressee_removed().org_id()) {
          addressees->erase(it);
          break;
        }
      }
      break;
    }
    case ReferralEvent::kDeadlineSet:
      state.set_deadline(event.deadline_set().deadline());
      state.set_working_day_rule(event.deadline_set().working_day_rule());
      RecomputeStatedDeadlines(state);
      break;
    case ReferralEvent::kReferralIssued: {
      const auto& e = event.referral_issued();
      state.set_status(remiss::v1::REFERRAL_STATUS_ISSUED);
      *state.mutable_issued_at() = e.has_issued_at() ? e.issued_at() : ToTimestamp(recorded_at);
      break;
    }
    case ReferralEvent::kDeadlineMoved: {
      const auto& e = event.deadline_moved();
      if (e.org_id().empty()) {
        state.set_deadline(e.deadline());
      } else if (Addressee* a = FindAddressee(state, e.org_id()); a != nullptr) {
        a->set_deadline_override(e.deadline());
      }
      RecomputeStatedDeadlines(state);
      break;
    }
    case ReferralEvent::kReferralClosed:
      state.set_status(remiss::v1::REFERRAL_STATUS_CLOSED);
      *state.mutable_closed_at() = ToTimestamp(recorded_at);
      state.set_close_reason(event.referral_closed().reason());
      break;
    case ReferralEvent::kReferralWithdrawn:
      state.set_status(remiss::v1::REFERRAL_STATUS_WITHDRAWN);
      *state.mutable_withdrawn_at() = ToTimestamp(recorded_at);
      state.set_withdraw_reason(event.referral_withdrawn().reason());
      break;
    case ReferralEvent::kRevisionLinked:
      state.set_revises_referral_id(event.revision_linked().revises_referral_id());
      break;
    default:
      break;
  }
  state.set_version(state.version() + 1);
}

}  // namespace remiss::referrals
