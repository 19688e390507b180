// The responses domain's rules for the facts a board records (see validation.h).
#include "validation.h"

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
#include "domain_names.h"

namespace remiss::responses::internal {

namespace {

// A list of party abbreviations ("S", "M", "MP"): at least one, none blank.
absl::Status ValidateParties(absl::string_view field,
                             const google::protobuf::RepeatedPtrField<std::string>& parties) {
  if (parties.empty()) return Invalid(field, "at least one party is required");
  REMISS_RETURN_IF_ERROR(core::MaxCount(field, parties.size(), core::limits::kParties));
  for (int i = 0; i < parties.size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequiredText(Item(field, i), parties[i], kMaxPartyLength));
  }
  return absl::OkStatus();
}

absl::Status ValidateMembers(absl::string_view field,
                             const google::protobuf::RepeatedPtrField<std::string>& members) {
  REMISS_RETURN_IF_ERROR(core::MaxCount(field, members.size(), core::limits::kMembers));
  for (int i = 0; i < members.size(); ++i) {
    REMISS_RETURN_IF_ERROR(RequiredText(Item(field, i), members[i], kMaxNameLength));
  }
  return absl::OkStatus();
}

}  // namespace

// A board's own diary number, as its diary writes it: "BRO 2020/440", "Dnr HV 2020/786"
// (core::ValidateDiaryNumber).
absl::Status ValidateDiaryNumber(absl::string_view field, absl::string_view value) {
  return core::ValidateDiaryNumber(field, value);
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
  REMISS_RETURN_IF_ERROR(core::MaxCount(field, documents.size(), core::limits::kDocuments));
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

// "§ 5" or "§5" (any run of spaces after the sign) -> "§ 5"; nullopt when it is no paragraph.
std::optional<std::string> NormalizedParagraph(absl::string_view value) {
  constexpr absl::string_view kSign = "§";
  if (value.substr(0, kSign.size()) != kSign) return std::nullopt;
  absl::string_view digits = value.substr(kSign.size());
  if (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
  if (!IsAsciiDigits(digits) || digits.size() > kMaxParagraphDigits) return std::nullopt;
  return absl::StrCat(kSign, " ", digits);
}

// ---- the facts' own rules (shared by their commands and by corrections) ----
// `prefix` names where the fact sits in the request: "officer." in AssignCaseOfficer,
// "case_officer_assigned.officer." in CorrectFact.

absl::Status ValidateRegistration(absl::string_view prefix, absl::string_view diary_number,
                                  absl::string_view registered_on, absl::CivilDay today) {
  REMISS_RETURN_IF_ERROR(ValidateDiaryNumber(absl::StrCat(prefix, "diary_number"), diary_number));
  return DateNotAfterToday(absl::StrCat(prefix, "registered_on"), registered_on, today).status();
}

absl::Status ValidateOfficer(absl::string_view prefix, const CaseOfficer& officer) {
  REMISS_RETURN_IF_ERROR(
      RequiredText(absl::StrCat(prefix, "name"), officer.name(), kMaxNameLength));
  REMISS_RETURN_IF_ERROR(
      MaxLength(absl::StrCat(prefix, "person_id"), officer.person_id(), kMaxIdLength));
  REMISS_RETURN_IF_ERROR(core::ValidatePhone(absl::StrCat(prefix, "phone"), officer.phone()));
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
  REMISS_RETURN_IF_ERROR(core::MaxCount(proposed_field, s.proposed_decision().size(),
                                        core::limits::kProposedDecisionItems));
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
  REMISS_RETURN_IF_ERROR(
      core::MaxCount(remarks_field, s.remarks().size(), core::limits::kRemarks));
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
  REMISS_RETURN_IF_ERROR(
      core::MaxCount(proposals_field, d.proposals().size(), core::limits::kProposals));
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
    REMISS_RETURN_IF_ERROR(core::MaxCount(absl::StrCat(at, ".parties"), p.parties().size(),
                                          core::limits::kParties));
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
  REMISS_RETURN_IF_ERROR(core::MaxCount(reservations_field, d.reservations().size(),
                                        core::limits::kReservations));
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
  REMISS_RETURN_IF_ERROR(core::MaxCount(statements_field, d.special_statements().size(),
                                        core::limits::kSpecialStatements));
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

}  // namespace remiss::responses::internal
