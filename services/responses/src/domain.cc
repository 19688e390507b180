// The responses domain: the round's terms followed from the referrals service (NextTerms,
// ApplyTerms), and one board's answer: decide (command + subject -> events or a refusal) and
// evolve (state + event -> state). Every Decide checks in the same order:
//   1. the command's own fields (INVALID_ARGUMENT; needs no state),
//   2. the subject: the round known (NOT_FOUND), the org an addressee asked to answer
//      (NOT_FOUND; FAILED_PRECONDITION when it receives the round for information only), the
//      round neither withdrawn nor closed (FAILED_PRECONDITION; a correction is exempt),
//   3. the response's stage (FAILED_PRECONDITION), then conflicts with what is recorded
//      (ALREADY_EXISTS).
// Every message starts with the field it is about: "diary_number: must look like ...".
#include "remiss/responses/domain.h"

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/message_differencer.h"
#include "remiss/core/civil_date.h"
#include "remiss/core/timestamps.h"
#include "remiss/core/validation.h"
#include "remiss/views/response_view.h"

namespace remiss::responses {
namespace {

using remiss::v1::AnswerKind;
using remiss::v1::Attestation;
using remiss::v1::BoardDecision;
using remiss::v1::CaseOfficer;
using remiss::v1::Consultation;
using remiss::v1::DelegationDecision;
using remiss::v1::Document;
using remiss::v1::FactCorrected;
using remiss::v1::ReferralEvent;
using remiss::v1::RequestedAnswer;
using remiss::v1::Response;
using remiss::v1::ResponseEvent;
using remiss::v1::ResponseStage;
using remiss::v1::RoundState;
using remiss::v1::RoundTermsRecorded;
using remiss::v1::Statement;

constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxPartyLength = 50;
constexpr size_t kMaxReasonLength = 4000;
constexpr size_t kMaxNoteLength = 4000;
constexpr size_t kMaxItemLength = 10000;
constexpr size_t kMaxLongText = 100000;
constexpr size_t kMinPhoneLength = 5;
constexpr size_t kMaxPhoneLength = 30;
constexpr size_t kMaxParagraphDigits = 5;

using core::Invalid;
using core::IsAsciiDigits;
using core::IsBlank;
using core::Item;
using core::MaxLength;
using core::Required;
using core::RequiredText;
using core::ToTimestamp;

// ---- shared validators ----

// A board's diary number: a diary number (core::IsDiaryNumber), optionally after "Dnr ":
// "BRO 2020/440", "Dnr HV 2020/786".
bool IsBoardDiaryNumber(absl::string_view value) {
  absl::string_view rest = value;
  if (rest.substr(0, 4) == "Dnr ") rest.remove_prefix(4);
  return core::IsDiaryNumber(rest);
}

absl::Status ValidateDiaryNumber(absl::string_view field, absl::string_view value) {
  if (value.empty()) return Invalid(field, "is required");
  if (!IsBoardDiaryNumber(value)) {
    return Invalid(field, absl::StrCat("must look like \"BRO 2020/440\" or \"Dnr HV 2020/786\": "
                                       "1-",
                                       core::kMaxDiaryPrefixLetters,
                                       " capital letters, a space, a four-digit year, '/' and a "
                                       "serial of 1-7 digits (got \"",
                                       value, "\")"));
  }
  return absl::OkStatus();
}

// A date that must be a real date not after today (INVALID_ARGUMENT).
absl::StatusOr<absl::CivilDay> DateNotAfterToday(absl::string_view field, absl::string_view value,
                                                 absl::CivilDay today) {
  absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate(field, value);
  if (!day.ok()) return day.status();
  if (*day > today) {
    return Invalid(field, absl::StrCat("must not be after today (", core::FormatCivilDate(*day),
                                       " is after ", core::FormatCivilDate(today), ")"));
  }
  return day;
}

// Every document complete, its id unique within the list.
absl::Status ValidateDocuments(absl::string_view field,
                               const google::protobuf::RepeatedPtrField<Document>& documents) {
  std::set<std::string> ids;
  for (int i = 0; i < documents.size(); ++i) {
    const Document& doc = documents[i];
    std::string at = Item(field, i);
    // A repeated id is checked first: the id it repeats has already passed.
    if (!ids.insert(doc.id()).second) {
      return Invalid(absl::StrCat(at, ".id"),
                     absl::StrCat("\"", doc.id(), "\" is given more than once"));
    }
    REMISS_RETURN_IF_ERROR(core::ValidateDocument(at, doc));
  }
  return absl::OkStatus();
}

// The documents as recorded: sha256 in lower case.
void NormalizeDocuments(google::protobuf::RepeatedPtrField<Document>& documents) {
  for (Document& doc : documents) doc.set_sha256(absl::AsciiStrToLower(doc.sha256()));
}

// A list of party abbreviations ("S", "M", "MP"): at least one, none blank.
absl::Status ValidateParties(absl::string_view field,
                             const google::protobuf::RepeatedPtrField<std::string>& parties) {
  if (parties.empty()) return Invalid(field, "at least one party is required");
  for (int i = 0; i < parties.size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequiredText(Item(field, i), parties[i], kMaxPartyLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateMembers(absl::string_view field,
                             const google::protobuf::RepeatedPtrField<std::string>& members) {
  for (int i = 0; i < members.size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequiredText(Item(field, i), members[i], kMaxNameLength));
  }
  return absl::OkStatus();
}

// "§ 5" or "§5" (any run of spaces after the sign) -> "§ 5"; nullopt when it is no paragraph.
std::optional<std::string> NormalizedParagraph(absl::string_view value) {
  constexpr absl::string_view kSign = "§";
  if (value.substr(0, kSign.size()) != kSign) return std::nullopt;
  absl::string_view digits = value.substr(kSign.size());
  if (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
  if (!IsAsciiDigits(digits) || digits.size() > kMaxParagraphDigits) return std::nullopt;
  return absl::StrCat(kSign, " ", digits);
}

Events One(ResponseEvent event) {
  Events events;
  events.push_back(std::move(event));
  return events;
}

AnswerKind ResolvedAnswer(AnswerKind answer) {
  return answer == remiss::v1::ANSWER_KIND_UNSPECIFIED ? remiss::v1::ANSWER_KIND_REQUIRED
                                                       : answer;
}

// ---- the facts' own rules (shared by their commands and by corrections) ----
// `prefix` names where the fact sits in the request: "officer." in AssignCaseOfficer,
// "case_officer_assigned.officer." in CorrectFact.

absl::Status ValidateRegistration(absl::string_view prefix, absl::string_view diary_number,
                                  absl::string_view registered_on, absl::CivilDay today) {
  REMISS_RETURN_IF_ERROR(ValidateDiaryNumber(absl::StrCat(prefix, "diary_number"), diary_number));
  return DateNotAfterToday(absl::StrCat(prefix, "registered_on"), registered_on, today).status();
}

absl::Status ValidatePhone(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  bool ok = value.size() >= kMinPhoneLength && value.size() <= kMaxPhoneLength;
  bool digit = false;
  for (char c : value) {
    digit = digit || absl::ascii_isdigit(static_cast<unsigned char>(c));
    ok = ok && (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == ' ' || c == '+' ||
                c == '-');
  }
  if (!ok || !digit) {
    return Invalid(field, absl::StrCat("must be ", kMinPhoneLength, "-", kMaxPhoneLength,
                                       " characters of digits, spaces, '+' and '-', like "
                                       "\"08-508 301 98\" (got \"",
                                       value, "\")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOfficer(absl::string_view prefix, const CaseOfficer& officer) {
  REMISS_RETURN_IF_ERROR(
      RequiredText(absl::StrCat(prefix, "name"), officer.name(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "person_id"), officer.person_id(), kMaxIdLength));
  REMISS_RETURN_IF_ERROR(ValidatePhone(absl::StrCat(prefix, "phone"), officer.phone()));
  return core::ValidateEmail(absl::StrCat(prefix, "email"), officer.email());
}

absl::Status ValidateConsultation(absl::string_view prefix, const Consultation& c) {
  std::string body_field = absl::StrCat(prefix, "body");
  if (c.body() == remiss::v1::CONSULTATION_BODY_UNSPECIFIED) {
    return Invalid(body_field, "is required");
  }
  if (!remiss::v1::ConsultationBody_IsValid(c.body())) {
    return Invalid(body_field, absl::StrCat("unknown body ", static_cast<int>(c.body())));
  }
  std::string name_field = absl::StrCat(prefix, "body_name");
  if (c.body() == remiss::v1::CONSULTATION_BODY_OTHER && IsBlank(c.body_name())) {
    return Invalid(name_field, "is required when the body is OTHER");
  }
  REMISS_RETURN_IF_ERROR(MaxLength(name_field, c.body_name(), kMaxNameLength));
  // A future date is a planned meeting ("kommer att behandlas den 9 februari").
  REMISS_RETURN_IF_ERROR(core::ParseCivilDate(absl::StrCat(prefix, "date"), c.date()).status());
  return MaxLength(absl::StrCat(prefix, "note"), c.note(), kMaxNoteLength);
}

absl::Status ValidateStatement(absl::string_view prefix, const Statement& s) {
  std::string standpoint_field = absl::StrCat(prefix, "standpoint");
  if (s.standpoint() == remiss::v1::STANDPOINT_UNSPECIFIED) {
    return Invalid(standpoint_field, "is required");
  }
  if (!remiss::v1::Standpoint_IsValid(s.standpoint())) {
    return Invalid(standpoint_field,
                   absl::StrCat("unknown standpoint ", static_cast<int>(s.standpoint())));
  }
  std::string proposed_field = absl::StrCat(prefix, "proposed_decision");
  if (s.proposed_decision().empty()) {
    return Invalid(proposed_field, "at least one item (förslag till beslut) is required");
  }
  for (int i = 0; i < s.proposed_decision().size(); ++i) {
    REMISS_RETURN_IF_ERROR(
        RequiredText(Item(proposed_field, i), s.proposed_decision(i), kMaxItemLength));
  }
  REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(prefix, "summary"), s.summary(), kMaxLongText));
  if (!s.statement_date().empty()) {
    REMISS_RETURN_IF_ERROR(
        core::ParseCivilDate(absl::StrCat(prefix, "statement_date"), s.statement_date()).status());
  }
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "addressed_to"), s.addressed_to(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "background"), s.background(), kMaxLongText));
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "preparation"), s.preparation(), kMaxLongText));
  REMISS_RETURN_IF_ERROR(MaxLength(absl::StrCat(prefix, "views"), s.views(), kMaxLongText));
  REMISS_RETURN_IF_ERROR(MaxLength(absl::StrCat(prefix, "administration_unit"),
                                   s.administration_unit(), kMaxNameLength));
  std::string remarks_field = absl::StrCat(prefix, "remarks");
  for (int i = 0; i < s.remarks().size(); ++i) {
    std::string at = Item(remarks_field, i);
    REMISS_RETURN_IF_ERROR(
        RequiredText(absl::StrCat(at, ".topic"), s.remarks(i).topic(), kMaxNameLength));
    REMISS_RETURN_IF_ERROR(
        RequiredText(absl::StrCat(at, ".text"), s.remarks(i).text(), kMaxLongText));
  }
  if (s.standpoint() == remiss::v1::STANDPOINT_POSITIVE_WITH_REMARKS && s.remarks().empty()) {
    return Invalid(remarks_field,
                   "a standpoint positive with remarks needs at least one remark");
  }
  return ValidateDocuments(absl::StrCat(prefix, "documents"), s.documents());
}

absl::Status ValidateAttestation(absl::string_view prefix, const Attestation& a,
                                 absl::CivilDay today) {
  REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(prefix, "name"), a.name(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(prefix, "title"), a.title(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "person_id"), a.person_id(), kMaxIdLength));
  return DateNotAfterToday(absl::StrCat(prefix, "date"), a.date(), today).status();
}

absl::Status ValidateBoardDecision(absl::string_view prefix, const BoardDecision& d,
                                   absl::CivilDay today) {
  absl::StatusOr<absl::CivilDay> meeting =
      DateNotAfterToday(absl::StrCat(prefix, "meeting_date"), d.meeting_date(), today);
  if (!meeting.ok()) return meeting.status();
  std::string paragraph_field = absl::StrCat(prefix, "paragraph");
  if (d.paragraph().empty()) return Invalid(paragraph_field, "is required");
  if (!NormalizedParagraph(d.paragraph())) {
    return Invalid(paragraph_field, absl::StrCat("must look like \"§ 5\" (got \"", d.paragraph(),
                                                 "\")"));
  }
  REMISS_RETURN_IF_ERROR(
      RequiredText(absl::StrCat(prefix, "decision_text"), d.decision_text(), kMaxLongText));

  std::set<std::string> proposal_ids;
  std::string proposals_field = absl::StrCat(prefix, "proposals");
  for (int i = 0; i < d.proposals().size(); ++i) {
    const auto& p = d.proposals(i);
    std::string at = Item(proposals_field, i);
    std::string id_field = absl::StrCat(at, ".id");
    REMISS_RETURN_IF_ERROR(RequiredText(id_field, p.id(), kMaxIdLength));
    if (!proposal_ids.insert(p.id()).second) {
      return Invalid(id_field, absl::StrCat("\"", p.id(), "\" is given more than once"));
    }
    REMISS_RETURN_IF_ERROR(
        MaxLength(absl::StrCat(at, ".proposed_by"), p.proposed_by(), kMaxNameLength));
    for (int j = 0; j < p.parties().size(); ++j) {
      REMISS_RETURN_IF_ERROR(
          RequiredText(Item(absl::StrCat(at, ".parties"), j), p.parties(j), kMaxPartyLength));
    }
    REMISS_RETURN_IF_ERROR(MaxLength(absl::StrCat(at, ".text"), p.text(), kMaxLongText));
  }
  auto names_a_proposal = [&](absl::string_view id) {
    return proposal_ids.count(std::string(id)) > 0;
  };
  auto known_ids = [&] {
    std::string ids;
    for (const auto& id : proposal_ids) absl::StrAppend(&ids, ids.empty() ? "" : ", ", id);
    return ids;
  };
  if (!d.winning_proposal().empty() && !proposal_ids.empty() &&
      !names_a_proposal(d.winning_proposal())) {
    return Invalid(absl::StrCat(prefix, "winning_proposal"),
                   absl::StrCat("\"", d.winning_proposal(), "\" is none of the proposals (",
                                known_ids(), ")"));
  }
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "beslutsgang"), d.beslutsgang(), kMaxLongText));

  std::string reservations_field = absl::StrCat(prefix, "reservations");
  for (int i = 0; i < d.reservations().size(); ++i) {
    const auto& r = d.reservations(i);
    std::string at = Item(reservations_field, i);
    REMISS_RETURN_IF_ERROR(ValidateParties(absl::StrCat(at, ".parties"), r.parties()));
    REMISS_RETURN_IF_ERROR(ValidateMembers(absl::StrCat(at, ".members"), r.members()));
    if (!r.in_favour_of().empty() && !names_a_proposal(r.in_favour_of())) {
      return Invalid(absl::StrCat(at, ".in_favour_of"),
                     absl::StrCat("\"", r.in_favour_of(), "\" is none of the proposals (",
                                  proposal_ids.empty() ? "none given" : known_ids(), ")"));
    }
    REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(at, ".text"), r.text(), kMaxLongText));
  }
  std::string statements_field = absl::StrCat(prefix, "special_statements");
  for (int i = 0; i < d.special_statements().size(); ++i) {
    const auto& s = d.special_statements(i);
    std::string at = Item(statements_field, i);
    REMISS_RETURN_IF_ERROR(ValidateParties(absl::StrCat(at, ".parties"), s.parties()));
    REMISS_RETURN_IF_ERROR(ValidateMembers(absl::StrCat(at, ".members"), s.members()));
    REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(at, ".text"), s.text(), kMaxLongText));
  }

  const auto& justering = d.justering();
  std::string kind_field = absl::StrCat(prefix, "justering.kind");
  std::string date_field = absl::StrCat(prefix, "justering.date");
  switch (justering.kind()) {
    case remiss::v1::JUSTERING_KIND_UNSPECIFIED:
      return Invalid(kind_field, "is required (IMMEDIATE or ON_DATE)");
    case remiss::v1::JUSTERING_KIND_IMMEDIATE:
      if (!justering.date().empty()) {
        return Invalid(date_field, absl::StrCat("must be empty when the minutes are approved at "
                                                "once (got \"",
                                                justering.date(), "\")"));
      }
      break;
    case remiss::v1::JUSTERING_KIND_ON_DATE: {
      absl::StatusOr<absl::CivilDay> day = core::ParseCivilDate(date_field, justering.date());
      if (!day.ok()) return day.status();
      if (*day < *meeting) {
        return Invalid(date_field, absl::StrCat("must be on or after the meeting date (",
                                                justering.date(), " is before ",
                                                d.meeting_date(), ")"));
      }
      break;
    }
    default:
      return Invalid(kind_field, absl::StrCat("unknown kind ", static_cast<int>(justering.kind())));
  }
  return ValidateDocuments(absl::StrCat(prefix, "documents"), d.documents());
}

// The decision as recorded: the paragraph as "§ 5", sha256 in lower case.
BoardDecision NormalizedDecision(const BoardDecision& d) {
  BoardDecision out = d;
  if (auto paragraph = NormalizedParagraph(d.paragraph())) out.set_paragraph(*paragraph);
  NormalizeDocuments(*out.mutable_documents());
  return out;
}

Statement NormalizedStatement(const Statement& s) {
  Statement out = s;
  NormalizeDocuments(*out.mutable_documents());
  return out;
}

absl::Status ValidateDelegation(absl::string_view prefix, const DelegationDecision& d,
                                absl::CivilDay today) {
  REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(prefix, "decided_by_name"),
                                      d.decided_by_name(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(RequiredText(absl::StrCat(prefix, "decided_by_title"),
                                      d.decided_by_title(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "person_id"), d.person_id(), kMaxIdLength));
  REMISS_RETURN_IF_ERROR(DateNotAfterToday(absl::StrCat(prefix, "date"), d.date(), today).status());
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "reference"), d.reference(), kMaxNameLength));
  return RequiredText(absl::StrCat(prefix, "decision_text"), d.decision_text(), kMaxLongText);
}

// ---- the subject: the round and the addressee ----

const RequestedAnswer* FindAddressee(const RoundTermsRecorded& terms, absl::string_view org_id) {
  for (const RequestedAnswer& a : terms.addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

RequestedAnswer* FindAddressee(RoundTermsRecorded& terms, absl::string_view org_id) {
  for (RequestedAnswer& a : *terms.mutable_addressees()) {
    if (a.org_id() == org_id) return &a;
  }
  return nullptr;
}

absl::Status RequireIds(absl::string_view referral_id, absl::string_view org_id) {
  REMISS_RETURN_IF_ERROR(Required("referral_id", referral_id));
  return Required("org_id", org_id);
}

enum class RoundRule {
  kOpenOnly,   // every command that records the board's work
  kAnyState,   // a correction: the public record can always be corrected
};

// The checks common to every command, after its own fields: the round known, the org an
// addressee asked for an answer (and not removed), the round's state.
absl::Status CheckSubject(absl::string_view referral_id, absl::string_view org_id,
                          const Subject& subject, RoundRule rule) {
  if (subject.terms == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "referral_id: round \"", referral_id,
        "\" is not known to the responses service (not issued yet, or its events have not "
        "arrived)"));
  }
  const RoundTermsRecorded& terms = *subject.terms;
  const RequestedAnswer* addressee = FindAddressee(terms, org_id);
  if (subject.response == nullptr || (addressee == nullptr && !subject.response->removed())) {
    return absl::NotFoundError(absl::StrCat("org_id: \"", org_id,
                                            "\" is not asked to answer round \"",
                                            terms.referral_id(), "\""));
  }
  if (subject.response->removed() || addressee == nullptr) {
    return absl::NotFoundError(absl::StrCat("org_id: \"", org_id,
                                            "\" is not asked to answer round \"",
                                            terms.referral_id(),
                                            "\" any more (it was removed as an addressee)"));
  }
  if (ResolvedAnswer(addressee->answer()) == remiss::v1::ANSWER_KIND_FOR_INFORMATION) {
    return absl::FailedPreconditionError(absl::StrCat(
        "org_id: \"", org_id, "\" receives round \"", terms.referral_id(),
        "\" for information only (för kännedom); no answer is expected"));
  }
  if (rule == RoundRule::kAnyState) return absl::OkStatus();
  auto reason = [&] {
    return terms.reason().empty() ? std::string() : absl::StrCat(" (", terms.reason(), ")");
  };
  if (terms.state() == remiss::v1::ROUND_STATE_WITHDRAWN) {
    return absl::FailedPreconditionError(
        absl::StrCat("round_state: round \"", terms.referral_id(), "\" is withdrawn", reason(),
                     "; nothing more can be recorded for it"));
  }
  if (terms.state() == remiss::v1::ROUND_STATE_CLOSED) {
    return absl::FailedPreconditionError(
        absl::StrCat("round_state: round \"", terms.referral_id(), "\" is closed", reason(),
                     "; only a correction of the record can be made"));
  }
  return absl::OkStatus();
}

// The referral id the events carry: the round's own id (the command may name the round by
// its case number).
std::string EventReferralId(const Subject& subject, absl::string_view cmd_referral_id) {
  if (subject.terms != nullptr && !subject.terms->referral_id().empty()) {
    return subject.terms->referral_id();
  }
  return std::string(cmd_referral_id);
}

// ---- stages ----

using views::StageOf;

absl::string_view StageName(ResponseStage stage) {
  if (stage == remiss::v1::RESPONSE_STAGE_UNSPECIFIED || stage == remiss::v1::RESPONSE_STAGE_AWAITING) {
    return "awaiting registration";
  }
  if (!remiss::v1::ResponseStage_IsValid(stage)) return "in no known stage";
  return views::StageWords(stage);
}

absl::Status WrongStage(const Response& r, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("stage: the response is ", StageName(StageOf(r)), "; ", why));
}

// The terminal stages first: after submission only a supplement (or a correction), after a
// decline nothing (but a correction).
absl::Status RequireNotFinished(const Response& r) {
  switch (StageOf(r)) {
    case remiss::v1::RESPONSE_STAGE_SUBMITTED:
      return WrongStage(r, "only a supplement or a correction can follow");
    case remiss::v1::RESPONSE_STAGE_DECLINED:
      return WrongStage(r, "only a correction can follow");
    default:
      return absl::OkStatus();
  }
}

bool IsBefore(const Response& r, ResponseStage stage) { return StageOf(r) < stage; }

// REGISTERED..ATTESTED: the board's administration is preparing the answer.
absl::Status RequirePreparing(const Response& r, absl::string_view what) {
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_REGISTERED)) {
    return WrongStage(r, absl::StrCat(what, " once the response is registered; register it "
                                            "first"));
  }
  if (StageOf(r) == remiss::v1::RESPONSE_STAGE_DECIDED) {
    return WrongStage(r, absl::StrCat(what, " only before the decision; correct a recorded fact "
                                            "with CorrectFact"));
  }
  return absl::OkStatus();
}

// DRAFTED or ATTESTED, and not yet decided (ALREADY_EXISTS naming `field` otherwise).
absl::Status RequireUndecidedStatement(const Response& r, absl::string_view field,
                                       absl::string_view what) {
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (StageOf(r) == remiss::v1::RESPONSE_STAGE_DECIDED) {
    std::string by = r.decision_version() != 0
                         ? absl::StrCat("by the board (", r.decision().paragraph(), ", ",
                                        r.decision().meeting_date(), ")")
                         : absl::StrCat("by delegation (", r.delegation().decided_by_title(),
                                        ", ", r.delegation().date(), ")");
    return absl::AlreadyExistsError(absl::StrCat(field, ": the response is already decided ",
                                                 by, "; use CorrectFact to correct the decision"));
  }
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_DRAFTED)) {
    return WrongStage(r, absl::StrCat(what, " needs a drafted statement; record the statement "
                                            "first"));
  }
  return absl::OkStatus();
}

// ---- corrections ----

using views::FactName;
using views::ReplacementKind;

absl::string_view EventName(const ResponseEvent& event) {
  if (event.event_case() == ResponseEvent::EVENT_NOT_SET) return "an empty event";
  const auto* field = ResponseEvent::descriptor()->FindFieldByNumber(event.event_case());
  return field != nullptr ? absl::string_view(field->message_type()->name())
                          : absl::string_view("an unknown event");
}

// Whether the fact recorded at `version` still counts in `state` (a superseded draft, or an
// attestation of a superseded draft, does not).
bool InForce(const Response& state, ResponseEvent::EventCase kind, uint64_t version) {
  switch (kind) {
    case ResponseEvent::kResponseRegistered:
      return state.registered_version() == version;
    case ResponseEvent::kCaseOfficerAssigned:
      return state.case_officer_version() == version;
    case ResponseEvent::kStatementDrafted:
      return state.statement_version() == version;
    case ResponseEvent::kBoardDecisionRecorded:
      return state.decision_version() == version;
    case ResponseEvent::kDelegationDecisionRecorded:
      return state.delegation_version() == version;
    case ResponseEvent::kConsultationRecorded:
      for (const auto& c : state.consultations()) {
        if (c.recorded_version() == version) return true;
      }
      return false;
    case ResponseEvent::kStatementAttested:
      for (const auto& a : state.attestations()) {
        if (a.recorded_version() == version) return true;
      }
      return false;
    default:
      return false;
  }
}

// The version of the fact of `kind` in force now (0: none), to name in a refusal.
uint64_t CurrentVersion(const Response& state, ResponseEvent::EventCase kind) {
  switch (kind) {
    case ResponseEvent::kResponseRegistered:
      return state.registered_version();
    case ResponseEvent::kCaseOfficerAssigned:
      return state.case_officer_version();
    case ResponseEvent::kStatementDrafted:
      return state.statement_version();
    case ResponseEvent::kBoardDecisionRecorded:
      return state.decision_version();
    case ResponseEvent::kDelegationDecisionRecorded:
      return state.delegation_version();
    default:
      return 0;
  }
}

bool SameMessage(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

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

// ---- one board's answer ----

absl::StatusOr<Events> Decide(const remiss::v1::RegisterResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateRegistration("", cmd.diary_number(), cmd.registered_on(),
                                              ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (!r.diary_number().empty() || !IsBefore(r, remiss::v1::RESPONSE_STAGE_REGISTERED)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "diary_number: the response is already registered as \"", r.diary_number(),
        "\" (version ", r.registered_version(), "); use CorrectFact to change it"));
  }

  ResponseEvent event;
  auto* e = event.mutable_response_registered();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_diary_number(cmd.diary_number());
  e->set_registered_on(cmd.registered_on());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::AssignCaseOfficerRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateOfficer("officer.", cmd.officer()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_REGISTERED)) {
    return WrongStage(r, "a case officer is assigned once the response is registered; "
                         "register it first");
  }
  // The same officer again changes nothing.
  if (r.case_officer_version() != 0 && SameMessage(r.case_officer(), cmd.officer())) {
    return Events{};
  }

  ResponseEvent event;
  auto* e = event.mutable_case_officer_assigned();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_officer() = cmd.officer();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordConsultationRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateConsultation("consultation.", cmd.consultation()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(RequirePreparing(*subject.response, "a consultation is recorded"));

  ResponseEvent event;
  auto* e = event.mutable_consultation_recorded();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_consultation() = cmd.consultation();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordStatementRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateStatement("statement.", cmd.statement()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequirePreparing(r, "a statement is drafted"));
  Statement statement = NormalizedStatement(cmd.statement());
  // The same draft again changes nothing (and keeps its attestations).
  if (r.statement_version() != 0 && SameMessage(r.statement(), statement)) return Events{};

  ResponseEvent event;
  auto* e = event.mutable_statement_drafted();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_statement() = std::move(statement);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::AttestStatementRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateAttestation("attestation.", cmd.attestation(), ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (IsBefore(r, remiss::v1::RESPONSE_STAGE_DRAFTED)) {
    return WrongStage(r, "there is no statement to attest; record the statement first");
  }
  if (StageOf(r) == remiss::v1::RESPONSE_STAGE_DECIDED) {
    return WrongStage(r, "the statement can no longer be attested once decided");
  }
  for (const auto& existing : r.attestations()) {
    if (existing.attestation().name() == cmd.attestation().name() &&
        existing.attestation().title() == cmd.attestation().title()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "attestation: ", cmd.attestation().name(), ", ", cmd.attestation().title(),
          " has already attested the statement (", existing.attestation().date(), ")"));
    }
  }

  ResponseEvent event;
  auto* e = event.mutable_statement_attested();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_attestation() = cmd.attestation();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordBoardDecisionRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateBoardDecision("decision.", cmd.decision(), ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(
      RequireUndecidedStatement(*subject.response, "decision", "a board decision"));

  ResponseEvent event;
  auto* e = event.mutable_board_decision_recorded();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_decision() = NormalizedDecision(cmd.decision());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::RecordDelegationDecisionRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateDelegation("delegation.", cmd.delegation(), ctx.today));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(
      RequireUndecidedStatement(*subject.response, "delegation", "a delegation decision"));

  ResponseEvent event;
  auto* e = event.mutable_delegation_decision_recorded();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_delegation() = cmd.delegation();
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::SubmitResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(ValidateDocuments("documents", cmd.documents()));
  REMISS_RETURN_IF_ERROR(MaxLength("note", cmd.note(), kMaxNoteLength));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  REMISS_RETURN_IF_ERROR(RequireNotFinished(r));
  if (StageOf(r) != remiss::v1::RESPONSE_STAGE_DECIDED) {
    return WrongStage(r, "an answer is submitted once the board (or a delegate) has decided");
  }

  ResponseEvent event;
  auto* e = event.mutable_response_submitted();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  *e->mutable_submitted_at() = ToTimestamp(ctx.now);
  *e->mutable_documents() = cmd.documents();
  NormalizeDocuments(*e->mutable_documents());
  e->set_note(cmd.note());
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::DeclineResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("reason", cmd.reason(), kMaxReasonLength));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  REMISS_RETURN_IF_ERROR(RequireNotFinished(*subject.response));

  ResponseEvent event;
  auto* e = event.mutable_response_declined();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_reason(cmd.reason());
  *e->mutable_declined_at() = ToTimestamp(ctx.now);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::SupplementResponseRequest& cmd,
                              const Subject& subject, const DecisionContext& ctx) {
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("text", cmd.text(), kMaxLongText));
  REMISS_RETURN_IF_ERROR(ValidateDocuments("documents", cmd.documents()));

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kOpenOnly));
  const Response& r = *subject.response;
  if (StageOf(r) != remiss::v1::RESPONSE_STAGE_SUBMITTED) {
    return WrongStage(r, "a supplement follows a submitted answer; submit it first");
  }

  ResponseEvent event;
  auto* e = event.mutable_response_supplemented();
  e->set_referral_id(EventReferralId(subject, cmd.referral_id()));
  e->set_org_id(cmd.org_id());
  e->set_text(cmd.text());
  *e->mutable_documents() = cmd.documents();
  NormalizeDocuments(*e->mutable_documents());
  *e->mutable_supplemented_at() = ToTimestamp(ctx.now);
  return One(std::move(event));
}

absl::StatusOr<Events> Decide(const remiss::v1::CorrectFactRequest& cmd, const Subject& subject,
                              const ResponseEvent* corrected, const DecisionContext& ctx) {
  using Request = remiss::v1::CorrectFactRequest;
  REMISS_RETURN_IF_ERROR(RequireIds(cmd.referral_id(), cmd.org_id()));
  REMISS_RETURN_IF_ERROR(RequiredText("reason", cmd.reason(), kMaxReasonLength));
  // The replacement must satisfy its own command's rules (not its stage rules).
  switch (cmd.replacement_case()) {
    case Request::kRegistered:
      REMISS_RETURN_IF_ERROR(ValidateRegistration("registered.", cmd.registered().diary_number(),
                                                  cmd.registered().registered_on(), ctx.today));
      break;
    case Request::kCaseOfficerAssigned:
      REMISS_RETURN_IF_ERROR(
          ValidateOfficer("case_officer_assigned.officer.", cmd.case_officer_assigned().officer()));
      break;
    case Request::kConsultationRecorded:
      REMISS_RETURN_IF_ERROR(ValidateConsultation("consultation_recorded.consultation.",
                                                  cmd.consultation_recorded().consultation()));
      break;
    case Request::kStatementDrafted:
      REMISS_RETURN_IF_ERROR(ValidateStatement("statement_drafted.statement.",
                                               cmd.statement_drafted().statement()));
      break;
    case Request::kStatementAttested:
      REMISS_RETURN_IF_ERROR(ValidateAttestation(
          "statement_attested.attestation.", cmd.statement_attested().attestation(), ctx.today));
      break;
    case Request::kBoardDecisionRecorded:
      REMISS_RETURN_IF_ERROR(ValidateBoardDecision(
          "board_decision_recorded.decision.", cmd.board_decision_recorded().decision(),
          ctx.today));
      break;
    case Request::kDelegationDecisionRecorded:
      REMISS_RETURN_IF_ERROR(ValidateDelegation("delegation_decision_recorded.delegation.",
                                                cmd.delegation_decision_recorded().delegation(),
                                                ctx.today));
      break;
    default:
      return Invalid("replacement",
                     "exactly one corrected fact is required (registered, "
                     "case_officer_assigned, consultation_recorded, statement_drafted, "
                     "statement_attested, board_decision_recorded or "
                     "delegation_decision_recorded)");
  }

  REMISS_RETURN_IF_ERROR(
      CheckSubject(cmd.referral_id(), cmd.org_id(), subject, RoundRule::kAnyState));
  const Response& r = *subject.response;
  if (cmd.corrects_version() == 0 || corrected == nullptr) {
    return absl::NotFoundError(absl::StrCat("corrects_version: the response has no event at "
                                            "version ",
                                            cmd.corrects_version(), " (its version is ",
                                            r.version(), ")"));
  }
  const ResponseEvent::EventCase replacement_kind = ReplacementKind(cmd.replacement_case());
  if (FactName(corrected->event_case()).empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "corrects_version: version ", cmd.corrects_version(), " is ", EventName(*corrected),
        ", which cannot be corrected; correct a registration, case officer, consultation, "
        "statement, attestation or decision (name the original fact's version)"));
  }
  if (corrected->event_case() != replacement_kind) {
    return absl::FailedPreconditionError(absl::StrCat(
        "corrects_version: version ", cmd.corrects_version(), " is ", EventName(*corrected),
        ", but the replacement is ", FactName(replacement_kind),
        "; a correction replaces a fact of the same kind"));
  }
  if (!InForce(r, replacement_kind, cmd.corrects_version())) {
    uint64_t current = CurrentVersion(r, replacement_kind);
    return absl::FailedPreconditionError(absl::StrCat(
        "corrects_version: the ", FactName(replacement_kind), " of version ",
        cmd.corrects_version(), " no longer counts (superseded",
        current != 0 ? absl::StrCat(" by version ", current) : std::string(),
        "); correct the fact that counts"));
  }

  const std::string referral_id = EventReferralId(subject, cmd.referral_id());
  ResponseEvent event;
  FactCorrected* e = event.mutable_fact_corrected();
  e->set_referral_id(referral_id);
  e->set_org_id(cmd.org_id());
  e->set_corrects_version(cmd.corrects_version());
  e->set_reason(cmd.reason());
  auto stamp = [&](auto* fact) {
    fact->set_referral_id(referral_id);
    fact->set_org_id(cmd.org_id());
  };
  switch (cmd.replacement_case()) {
    case Request::kRegistered:
      *e->mutable_registered() = cmd.registered();
      stamp(e->mutable_registered());
      break;
    case Request::kCaseOfficerAssigned:
      *e->mutable_case_officer_assigned() = cmd.case_officer_assigned();
      stamp(e->mutable_case_officer_assigned());
      break;
    case Request::kConsultationRecorded:
      *e->mutable_consultation_recorded() = cmd.consultation_recorded();
      stamp(e->mutable_consultation_recorded());
      break;
    case Request::kStatementDrafted:
      *e->mutable_statement_drafted() = cmd.statement_drafted();
      *e->mutable_statement_drafted()->mutable_statement() =
          NormalizedStatement(cmd.statement_drafted().statement());
      stamp(e->mutable_statement_drafted());
      break;
    case Request::kStatementAttested:
      *e->mutable_statement_attested() = cmd.statement_attested();
      stamp(e->mutable_statement_attested());
      break;
    case Request::kBoardDecisionRecorded:
      *e->mutable_board_decision_recorded() = cmd.board_decision_recorded();
      *e->mutable_board_decision_recorded()->mutable_decision() =
          NormalizedDecision(cmd.board_decision_recorded().decision());
      stamp(e->mutable_board_decision_recorded());
      break;
    case Request::kDelegationDecisionRecorded:
      *e->mutable_delegation_decision_recorded() = cmd.delegation_decision_recorded();
      stamp(e->mutable_delegation_decision_recorded());
      break;
    default:
      break;
  }
  return One(std::move(event));
}

void Evolve(Response& state, const ResponseEvent& event, uint64_t version,
            absl::Time recorded_at) {
  views::EvolveResponse(state, event, version, recorded_at);
}

}  // namespace remiss::responses
