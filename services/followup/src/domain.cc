// The followup domain: folds of what the followup service observed of the referrals,
// responses and deadlines services (each source into its own record, so the result does not
// depend on how the sources' events interleave), the status board and the compilation built
// from those records, and KS's own follow-up commands. Every Decide checks in the same order:
//   1. the command's own fields (INVALID_ARGUMENT; needs no state),
//   2. the subject: the round known here (NOT_FOUND "referral_id: ..."), the org an
//      addressee of it (NOT_FOUND "org_id: ..."), the action known (NOT_FOUND "action_id: ..."),
//   3. the action's state (FAILED_PRECONDITION).
// Every message starts with the field it is about: "due_date: must be later than ...".
#include "remiss/followup/domain.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/core/base/limits.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/core/base/validation.h"
#include "remiss/views/deadline_view.h"
#include "remiss/views/response_view.h"

namespace remiss::followup {
namespace {

using remiss::v1::AnswerKind;
using remiss::v1::BoardRow;
using remiss::v1::Compilation;
using remiss::v1::Deadline;
using remiss::v1::DeadlineEvent;
using remiss::v1::DeadlineOutcome;
using remiss::v1::ExtensionState;
using remiss::v1::FollowupAction;
using remiss::v1::FollowupEvent;
using remiss::v1::Organization;
using remiss::v1::ReferralEvent;
using remiss::v1::RequestedAnswer;
using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::ResponseStage;
using remiss::v1::RoundTermsRecorded;
using remiss::v1::Standpoint;

constexpr size_t kMaxIdLength = core::limits::kId;
constexpr size_t kMaxNameLength = core::limits::kName;  // decided_by, decision_reference
constexpr size_t kMaxSummaryLength = core::limits::kOutcomeSummary;  // outcome, action
constexpr size_t kMaxNoteLength = core::limits::kNote;  // a freeze's or a report's note
constexpr size_t kMaxFeedbackLength = core::limits::kFeedback;

using core::Invalid;
using core::MaxLength;
using core::RequiredText;

// ---- words on the board ----

using views::StageOf;


std::string StandpointWords(Standpoint standpoint) {
  switch (standpoint) {
    case remiss::v1::STANDPOINT_POSITIVE:
      return "positive";
    case remiss::v1::STANDPOINT_POSITIVE_WITH_REMARKS:
      return "positive with remarks";
    case remiss::v1::STANDPOINT_NEGATIVE:
      return "negative";
    case remiss::v1::STANDPOINT_NO_OPINION:
      return "no opinion";
    default:
      return "";
  }
}

std::string OutcomeWords(DeadlineOutcome outcome) {
  switch (outcome) {
    case remiss::v1::DEADLINE_OUTCOME_OPEN:
      return "open";
    case remiss::v1::DEADLINE_OUTCOME_MET:
      return "met";
    case remiss::v1::DEADLINE_OUTCOME_MET_LATE:
      return "met late";
    case remiss::v1::DEADLINE_OUTCOME_BREACHED:
      return "breached";
    case remiss::v1::DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE:
      return "breached then answered late";
    case remiss::v1::DEADLINE_OUTCOME_DECLINED:
      return "declined";
    case remiss::v1::DEADLINE_OUTCOME_CANCELLED:
      return "cancelled";
    default:
      return "";  // the deadlines service has said nothing of this deadline yet
  }
}

std::string ExtensionWords(ExtensionState state) {
  switch (state) {
    case remiss::v1::EXTENSION_STATE_REQUESTED:
      return "requested";
    case remiss::v1::EXTENSION_STATE_GRANTED:
      return "granted";
    case remiss::v1::EXTENSION_STATE_REFUSED:
      return "refused";
    default:
      return "";
  }
}

std::string StatusWords(remiss::v1::RoundState state) {
  switch (state) {
    case remiss::v1::ROUND_STATE_OPEN:
      return "issued";
    case remiss::v1::ROUND_STATE_CLOSED:
      return "closed";
    case remiss::v1::ROUND_STATE_WITHDRAWN:
      return "withdrawn";
    default:
      return "";
  }
}

// ---- the round's addressees ----

bool AskedToAnswer(const RequestedAnswer& a) {
  return a.answer() == remiss::v1::ANSWER_KIND_REQUIRED ||
         a.answer() == remiss::v1::ANSWER_KIND_UNSPECIFIED;
}

// The addressees asked to answer, by org id (the first entry of an org counts).
std::map<std::string, const RequestedAnswer*> AskedAddressees(const RoundTermsRecorded& terms) {
  std::map<std::string, const RequestedAnswer*> asked;
  for (const RequestedAnswer& a : terms.addressees()) {
    if (AskedToAnswer(a)) asked.emplace(a.org_id(), &a);
  }
  return asked;
}

bool IsAddressee(const RoundTermsRecorded& terms, absl::string_view org_id) {
  for (const RequestedAnswer& a : terms.addressees()) {
    if (a.org_id() == org_id) return true;
  }
  return false;
}

template <typename Map>
const typename Map::mapped_type* Find(const Map& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

std::optional<absl::CivilDay> DateOf(absl::string_view text) {
  absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate("date", text);
  if (!day.ok()) return std::nullopt;
  return *day;
}

// ---- the compilation ----

std::string DecidedBy(const Response& r) {
  if (r.has_decision()) {
    const auto& d = r.decision();
    std::string by = "board";
    if (!d.paragraph().empty()) absl::StrAppend(&by, " ", d.paragraph());
    if (!d.meeting_date().empty()) absl::StrAppend(&by, ", ", d.meeting_date());
    return by;
  }
  if (r.has_delegation()) {
    const auto& d = r.delegation();
    return d.date().empty() ? "delegation" : absl::StrCat("delegation, ", d.date());
  }
  return "";
}

std::string Rfc3339(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::ToString(ts);
}

// Adds `statement` once, and its index under each of its parties (a party named twice counts
// once): a statement of twenty parties is not twenty copies of its text.
void AddUnderParties(Compilation& compilation, remiss::v1::PartyStatement statement) {
  const int index = compilation.party_statements_size();
  std::set<std::string> seen;
  for (const std::string& party : statement.parties()) {
    if (!seen.insert(party).second) continue;
    (*compilation.mutable_party_statement_refs())[party].add_indexes(index);
  }
  *compilation.add_party_statements() = std::move(statement);
}

// ---- commands ----

absl::Status RequiredId(absl::string_view field, absl::string_view value) {
  REMISS_RETURN_IF_ERROR(core::Required(field, value));
  return MaxLength(field, value, kMaxIdLength);
}

absl::Status RequireRound(absl::string_view referral_id, const RoundRecords* round) {
  if (round == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("referral_id: no round \"", referral_id, "\" is known here"));
  }
  return absl::OkStatus();
}

absl::Status RequireAddressee(const RoundRecords& round, absl::string_view org_id) {
  if (!IsAddressee(round.terms, org_id)) {
    return absl::NotFoundError(absl::StrCat("org_id: \"", org_id, "\" is not an addressee of ",
                                            round.terms.case_number().empty()
                                                ? round.terms.referral_id()
                                                : round.terms.case_number()));
  }
  return absl::OkStatus();
}

// The round's id as recorded (the command may name it by its case number).
std::string ReferralIdOf(const RoundRecords& round, absl::string_view requested) {
  return round.terms.referral_id().empty() ? std::string(requested) : round.terms.referral_id();
}

Events One(FollowupEvent event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

}  // namespace

// ---- folds of observed events ----

void FoldOrganization(Organization& org, const ReferralEvent& event) {
  auto details = [&org](const auto& e) {
    org.set_org_id(e.org_id());
    org.set_name(e.name());
    org.set_kind(e.kind());
    org.set_diary_prefix(e.diary_prefix());
    // As referrals folds it: events recorded before the field existed make the organization a
    // sender iff it is a kommunstyrelse.
    org.set_may_send_rounds(e.has_may_send_rounds()
                                ? e.may_send_rounds()
                                : e.kind() == remiss::v1::ORGANIZATION_KIND_KOMMUNSTYRELSE);
  };
  switch (event.event_case()) {
    case ReferralEvent::kOrganizationRegistered:
      details(event.organization_registered());
      org.set_registry_mailbox(event.organization_registered().registry_mailbox());
      break;
    case ReferralEvent::kRegistryMailboxSet:
      org.set_registry_mailbox(event.registry_mailbox_set().registry_mailbox());
      break;
    case ReferralEvent::kOrganizationUpdated:
      details(event.organization_updated());
      break;
    default:
      break;  // the rounds' events come to this service restated by the responses service
  }
}

// The responses service's own fold (remiss::views), at the version and time the event was
// recorded in the response's stream.
void FoldResponse(Response& summary, const ResponseEvent& event, uint64_t version,
                  absl::Time recorded_at) {
  views::EvolveResponse(summary, event, version, recorded_at);
}

// The deadlines service's own fold (remiss::views) of the events of one deadline; calendars
// and reminder policies are not one deadline's and leave the summary as it is.
void FoldDeadline(Deadline& summary, const DeadlineEvent& event, uint64_t version,
                  absl::Time recorded_at) {
  switch (event.event_case()) {
    case DeadlineEvent::kBoardMeetingsScheduled:
    case DeadlineEvent::kBoardMeetingCancelled:
    case DeadlineEvent::kReminderPolicySet:
    case DeadlineEvent::EVENT_NOT_SET:
      return;
    default:
      break;
  }
  views::EvolveDeadline(summary, event, version, recorded_at);
}

// ---- what KS sees ----

remiss::v1::StatusBoard BuildBoard(const RoundRecords& round, absl::CivilDay today) {
  const RoundTermsRecorded& terms = round.terms;
  remiss::v1::StatusBoard board;
  board.set_referral_id(terms.referral_id());
  board.set_case_number(terms.case_number());
  board.set_title(terms.title());
  board.set_status(StatusWords(terms.state()));
  board.set_deadline(terms.deadline());
  board.set_today(core::FormatCivilDate(today));
  if (round.outcome) *board.mutable_outcome() = *round.outcome;

  for (const auto& [org_id, asked] : AskedAddressees(terms)) {
    const Organization* org = Find(round.orgs, org_id);
    const Response* response = Find(round.responses, org_id);
    const Deadline* deadline = Find(round.deadlines, org_id);
    const std::string* feedback = Find(round.feedback, org_id);

    BoardRow* row = board.add_rows();
    row->set_org_id(org_id);
    if (org != nullptr) {
      row->set_org_name(org->name());
      row->set_registry_mailbox(org->registry_mailbox());
    }

    const ResponseStage stage =
        response != nullptr ? StageOf(*response) : remiss::v1::RESPONSE_STAGE_AWAITING;
    row->set_stage(std::string(views::StageWords(stage)));
    row->set_answered(views::HasAnswered(stage));
    if (response != nullptr) {
      row->set_diary_number(response->diary_number());
      row->set_case_officer(response->case_officer().name());
      // A draft's standpoint is not public until the answer is submitted (DOMAIN.md).
      if (views::HasAnswered(stage)) row->set_standpoint(StandpointWords(response->statement().standpoint()));
      if (response->has_submitted_at()) *row->mutable_submitted_at() = response->submitted_at();
    }

    row->set_stated_deadline(asked->stated_deadline().empty() ? terms.deadline()
                                                              : asked->stated_deadline());
    const bool scheduled = deadline != nullptr && !deadline->effective_date().empty();
    row->set_effective_deadline(scheduled ? deadline->effective_date() : row->stated_deadline());
    if (!views::HasAnswered(stage)) {
      if (std::optional<absl::CivilDay> due = DateOf(row->effective_deadline())) {
        row->set_days_left(static_cast<int32_t>(*due - today));
      }
    }

    if (deadline != nullptr) {
      if (!deadline->extensions().empty()) {
        row->set_extension(ExtensionWords(deadline->extensions().rbegin()->state()));
      }
      const DeadlineOutcome outcome = deadline->outcome();
      row->set_late(outcome == remiss::v1::DEADLINE_OUTCOME_MET_LATE ||
                    outcome == remiss::v1::DEADLINE_OUTCOME_BREACHED_THEN_ANSWERED_LATE);
      row->set_deadline_outcome(OutcomeWords(outcome));
      // A board that has answered or declined is no longer at risk of missing anything.
      row->set_at_risk(!deadline->at_risk_for().empty() &&
                       deadline->at_risk_for() == row->effective_deadline() &&
                       !deadline->decided() && !views::HasAnswered(stage));
    }

    if (feedback != nullptr) row->set_feedback(*feedback);
    for (const FollowupAction& action : round.actions) {
      if (action.org_id() != org_id) continue;
      FollowupAction* a = row->add_actions();
      *a = action;
      std::optional<absl::CivilDay> due = DateOf(action.due_date());
      a->set_overdue(!action.done() && due.has_value() && *due < today);
    }

    (*board.mutable_by_stage())[row->stage()] += 1;
    if (stage == remiss::v1::RESPONSE_STAGE_SUBMITTED && !row->standpoint().empty()) {
      (*board.mutable_by_standpoint())[row->standpoint()] += 1;
    }
    if (!views::HasAnswered(stage)) {
      board.add_not_answered(org_id);
      remiss::v1::NotAnsweredBody* body = board.add_not_answered_bodies();
      body->set_org_id(org_id);
      body->set_org_name(row->org_name());
      body->set_registry_mailbox(row->registry_mailbox());
      body->set_effective_deadline(row->effective_deadline());
      body->set_days_left(row->days_left());
    }
  }
  return board;
}

std::optional<remiss::v1::OrganizationItem> BuildOrganizationItem(const RoundRecords& round,
                                                                  absl::string_view org_id,
                                                                  absl::CivilDay today) {
  remiss::v1::StatusBoard board = BuildBoard(round, today);
  for (BoardRow& row : *board.mutable_rows()) {
    if (row.org_id() != org_id) continue;
    remiss::v1::OrganizationItem item;
    item.set_referral_id(round.terms.referral_id());
    item.set_case_number(round.terms.case_number());
    item.set_title(round.terms.title());
    *item.mutable_row() = std::move(row);
    return item;
  }
  return std::nullopt;
}

Compilation BuildCompilation(const RoundRecords& round) {
  const RoundTermsRecorded& terms = round.terms;
  Compilation compilation;
  compilation.set_referral_id(terms.referral_id());
  compilation.set_case_number(terms.case_number());
  compilation.set_title(terms.title());

  std::map<std::string, std::vector<remiss::v1::CompiledRemark>> remarks;  // by topic
  for (const auto& [org_id, response] : round.responses) {
    if (StageOf(response) != remiss::v1::RESPONSE_STAGE_SUBMITTED) continue;
    const remiss::v1::Statement& statement = response.statement();

    remiss::v1::CompiledAnswer* answer = compilation.add_answers();
    answer->set_org_id(org_id);
    if (const Organization* org = Find(round.orgs, org_id)) answer->set_org_name(org->name());
    answer->set_standpoint(remiss::v1::Standpoint_Name(statement.standpoint()));
    answer->set_summary(statement.summary());
    answer->set_decided_by(DecidedBy(response));
    if (response.has_submitted_at()) answer->set_submitted_at(Rfc3339(response.submitted_at()));

    if (statement.standpoint() != remiss::v1::STANDPOINT_UNSPECIFIED) {
      (*compilation.mutable_standpoints())[answer->standpoint()] += 1;
    }
    for (const remiss::v1::Remark& remark : statement.remarks()) {
      remiss::v1::CompiledRemark compiled;
      compiled.set_org_id(org_id);
      compiled.set_text(remark.text());
      remarks[remark.topic()].push_back(std::move(compiled));
    }
    if (response.has_decision()) {
      for (const remiss::v1::Reservation& r : response.decision().reservations()) {
        remiss::v1::PartyStatement s;
        s.set_org_id(org_id);
        s.set_kind("reservation");
        *s.mutable_parties() = r.parties();
        *s.mutable_members() = r.members();
        s.set_text(r.text());
        AddUnderParties(compilation, std::move(s));
      }
      for (const remiss::v1::SpecialStatement& r : response.decision().special_statements()) {
        remiss::v1::PartyStatement s;
        s.set_org_id(org_id);
        s.set_kind("special statement");
        *s.mutable_parties() = r.parties();
        *s.mutable_members() = r.members();
        s.set_text(r.text());
        AddUnderParties(compilation, std::move(s));
      }
    }
  }
  for (auto& [topic, list] : remarks) {
    remiss::v1::RemarksOnTopic* on_topic = compilation.add_remarks_by_topic();
    on_topic->set_topic(topic);
    for (auto& remark : list) *on_topic->add_remarks() = std::move(remark);
  }
  for (const auto& [org_id, asked] : AskedAddressees(terms)) {
    const Response* response = Find(round.responses, org_id);
    const ResponseStage stage =
        response != nullptr ? StageOf(*response) : remiss::v1::RESPONSE_STAGE_AWAITING;
    if (!views::HasAnswered(stage)) compilation.add_not_answered(org_id);
  }
  return compilation;
}

// ---- KS's commands ----

absl::StatusOr<Events> DecideFreeze(const remiss::v1::FreezeCompilationRequest& cmd,
                                    const RoundRecords* round, uint32_t frozen_so_far) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(MaxLength("note", cmd.note(), kMaxNoteLength));
  REMISS_RETURN_IF_ERROR(RequireRound(cmd.referral_id(), round));

  FollowupEvent event;
  auto* e = event.mutable_compilation_frozen();
  e->set_referral_id(ReferralIdOf(*round, cmd.referral_id()));
  e->set_version(frozen_so_far + 1);
  *e->mutable_compilation() = BuildCompilation(*round);
  e->set_note(cmd.note());
  if (const size_t bytes = e->ByteSizeLong(); bytes > kMaxFrozenCompilationBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "referral_id: the compilation of round ", e->referral_id(), " is ", bytes,
        " bytes, more than the ", kMaxFrozenCompilationBytes,
        " bytes a frozen version may copy (it is recorded as one event), so it cannot be frozen; "
        "it is still read live, by board, with GetCompilationPage"));
  }
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordOutcomeRequest& cmd,
                              const RoundRecords* round) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("decided_by", cmd.decided_by(), kMaxNameLength));
  absl::StatusOr<absl::CivilDay> date = core::ParseCivilDate("decision_date", cmd.decision_date());
  if (!date.ok()) return date.status();
  REMISS_RETURN_IF_ERROR(
      MaxLength("decision_reference", cmd.decision_reference(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(RequiredText("summary", cmd.summary(), kMaxSummaryLength));
  REMISS_RETURN_IF_ERROR(RequireRound(cmd.referral_id(), round));

  FollowupEvent event;
  auto* e = event.mutable_outcome_recorded();
  e->set_referral_id(ReferralIdOf(*round, cmd.referral_id()));
  e->set_decided_by(cmd.decided_by());
  e->set_decision_date(core::FormatCivilDate(*date));
  e->set_decision_reference(cmd.decision_reference());
  e->set_summary(cmd.summary());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::GiveFeedbackRequest& cmd,
                              const RoundRecords* round) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequiredId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("text", cmd.text(), kMaxFeedbackLength));
  REMISS_RETURN_IF_ERROR(RequireRound(cmd.referral_id(), round));
  REMISS_RETURN_IF_ERROR(RequireAddressee(*round, cmd.org_id()));

  FollowupEvent event;
  auto* e = event.mutable_feedback_given();
  e->set_referral_id(ReferralIdOf(*round, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_text(cmd.text());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::AssignActionRequest& cmd,
                              const RoundRecords* round, absl::CivilDay today) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequiredId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("description", cmd.description(), kMaxSummaryLength));
  absl::StatusOr<absl::CivilDay> due = core::DateAfterToday("due_date", cmd.due_date(), today);
  if (!due.ok()) return due.status();
  REMISS_RETURN_IF_ERROR(RequireRound(cmd.referral_id(), round));
  REMISS_RETURN_IF_ERROR(RequireAddressee(*round, cmd.org_id()));

  FollowupEvent event;
  auto* e = event.mutable_action_assigned();
  e->set_referral_id(ReferralIdOf(*round, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_action_id(absl::StrCat("action-", round->actions.size() + 1));
  e->set_description(cmd.description());
  e->set_due_date(core::FormatCivilDate(*due));
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::ReportActionDoneRequest& cmd,
                              const RoundRecords* round, absl::CivilDay today) {
  REMISS_RETURN_IF_ERROR(RequiredId("referral_id", cmd.referral_id()));
  REMISS_RETURN_IF_ERROR(RequiredId("org_id", cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredId("action_id", cmd.action_id()));
  REMISS_RETURN_IF_ERROR(MaxLength("note", cmd.note(), kMaxNoteLength));
  absl::CivilDay done_on = today;
  if (!cmd.done_on().empty()) {
    absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate("done_on", cmd.done_on());
    if (!day.ok()) return day.status();
    if (*day > today) {
      return Invalid("done_on",
                     absl::StrCat("must not be after today (", core::FormatCivilDate(*day),
                                  " is after ", core::FormatCivilDate(today), ")"));
    }
    done_on = *day;
  }
  REMISS_RETURN_IF_ERROR(RequireRound(cmd.referral_id(), round));

  const FollowupAction* action = nullptr;
  for (const FollowupAction& a : round->actions) {
    if (a.action_id() == cmd.action_id() && a.org_id() == cmd.org_id()) action = &a;
  }
  if (action == nullptr) {
    return absl::NotFoundError(absl::StrCat("action_id: \"", cmd.org_id(), "\" has no action \"",
                                            cmd.action_id(), "\" in this round"));
  }
  if (action->done()) {
    return absl::FailedPreconditionError(absl::StrCat("action_id: \"", cmd.action_id(),
                                                      "\" was reported done on ",
                                                      action->done_on()));
  }

  FollowupEvent event;
  auto* e = event.mutable_action_reported();
  e->set_referral_id(ReferralIdOf(*round, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_action_id(cmd.action_id());
  e->set_note(cmd.note());
  e->set_done_on(core::FormatCivilDate(done_on));
  return One(std::move(event));
}

void FoldAction(std::vector<FollowupAction>& actions, const FollowupEvent& event) {
  switch (event.event_case()) {
    case FollowupEvent::kActionAssigned: {
      const auto& e = event.action_assigned();
      FollowupAction& a = actions.emplace_back();
      a.set_action_id(e.action_id());
      a.set_org_id(e.org_id());
      a.set_description(e.description());
      a.set_due_date(e.due_date());
      break;
    }
    case FollowupEvent::kActionReported: {
      const auto& e = event.action_reported();
      for (FollowupAction& a : actions) {
        if (a.action_id() == e.action_id() && a.org_id() == e.org_id()) {
          a.set_done(true);
          a.set_done_on(e.done_on());
          a.set_note(e.note());
        }
      }
      break;
    }
    default:
      break;
  }
}

absl::Status CheckKsMaySendRounds(absl::string_view caller_org_id, const Organization* caller_org) {
  if (caller_org == nullptr || caller_org->may_send_rounds()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ks: organization \"", caller_org_id,
      "\" may not send rounds (may_send_rounds is not set for it in referrals); its ks does not act "
      "on rounds"));
}

absl::Status CheckKsOwnsRound(const RoundTermsRecorded& terms, absl::string_view caller_org_id) {
  if (terms.owner_org_id().empty() || terms.owner_org_id() == caller_org_id) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "role ks: round ", terms.referral_id(), " is run by organization \"", terms.owner_org_id(),
      "\"; a ks of \"", caller_org_id, "\" does not act on it"));
}

}  // namespace remiss::followup
