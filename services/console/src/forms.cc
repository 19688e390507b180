#include "forms.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "layout.h"

namespace remiss::console {
namespace v1 = remiss::v1;

namespace {

std::string Get(const FormFields& f, const std::string& name) {
  auto it = f.find(name);
  return it == f.end() ? "" : it->second;
}

// The value of the one field whose name ends with `suffix` (forms numbered on a page).
std::string GetSuffix(const FormFields& f, const std::string& suffix) {
  for (const auto& [k, v] : f) {
    if (absl::EndsWith(k, suffix)) return v;
  }
  return "";
}

// Browsers send CR LF in text areas; the services take "\n" only.
std::string Text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c != '\r') out += c;
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

std::string RoundUrl(const std::string& id) { return absl::StrCat("/remisser/", UrlEncode(id)); }

FormResult Failed(const grpc::Status& s, const std::string& redirect, const std::string& during = "") {
  FormResult r;
  r.error = during.empty() ? SwedishError(s) : absl::StrCat(during, ": ", SwedishError(s));
  r.http_status = s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ? 422 : 409;
  r.redirect = redirect;
  return r;
}

FormResult Done(const v1::CommandResult& result, const std::string& notice, const std::string& redirect) {
  FormResult r;
  r.ok = true;
  r.notice = result.repeated() ? absl::StrCat(notice, " (redan registrerat)") : notice;
  r.redirect = redirect;
  return r;
}

// A command_id from the form, made unique per command when a form sends several.
std::string CommandId(const FormFields& f, const std::string& what) {
  std::string id = Get(f, "command_id");
  if (id.empty()) return "";  // the service refuses: command_id is required
  return absl::StrCat("console-", id.substr(0, 64), "-", what);
}

}  // namespace

FormResult CreateRound(Backend& b, const Person& p, const FormFields& f) {
  v1::CreateReferralRequest create;
  create.set_command_id(CommandId(f, "create"));
  create.set_case_number(Text(Get(f, "case_number")));
  create.set_title(Text(Get(f, "title")));
  create.set_summary(Text(Get(f, "summary")));
  create.set_sender_org_id(Get(f, "sender_org_id"));
  // Addressed at once: the lists' members, plus single bodies, minus those left out.
  auto all = [&f](const std::string& name, auto* out) {
    auto range = f.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) out->Add(std::string(it->second));
  };
  all("lists", create.mutable_distribution_list_ids());
  all("addressees", create.mutable_add_org_ids());
  all("remove", create.mutable_remove_org_ids());
  v1::CommandResult result;
  grpc::Status s = Call(b, b.referrals(), &v1::ReferralService::Stub::CreateReferral, p, create, &result);
  if (!s.ok()) return Failed(s, "");
  // The round's id as the service derived it.
  v1::GetReferralRequest get;
  get.set_referral_id(create.case_number());
  v1::Referral referral;
  s = Call(b, b.referrals(), &v1::ReferralService::Stub::GetReferral, p, get, &referral);
  if (!s.ok()) return Failed(s, "/remisser");
  const std::string id = referral.referral_id();
  v1::SetDeadlineRequest deadline;
  deadline.set_command_id(CommandId(f, "deadline"));
  deadline.set_referral_id(id);
  deadline.set_deadline(Get(f, "deadline"));
  deadline.set_working_day_rule(!Get(f, "working_day_rule").empty());
  s = Call(b, b.referrals(), &v1::ReferralService::Stub::SetDeadline, p, deadline, &result);
  if (!s.ok()) return Failed(s, RoundUrl(id), "Remissen skapades, men sista svarsdagen kunde inte sättas");
  return Done(result, "Remissen skapades som utkast. Kontrollera remissinstanserna och skicka ut den.", RoundUrl(id));
}

FormResult IssueRound(Backend& b, const Person& p, const std::string& referral_id, const FormFields& f) {
  v1::IssueReferralRequest req;
  req.set_command_id(CommandId(f, "issue"));
  req.set_referral_id(referral_id);
  v1::CommandResult result;
  grpc::Status s = Call(b, b.referrals(), &v1::ReferralService::Stub::IssueReferral, p, req, &result);
  if (!s.ok()) return Failed(s, RoundUrl(referral_id));
  return Done(result, "Remissen är utskickad.", RoundUrl(referral_id));
}

FormResult DecideExtension(Backend& b, const Person& p, const std::string& referral_id, const FormFields& f) {
  v1::DecideExtensionRequest req;
  req.set_command_id(CommandId(f, "extension"));
  req.set_referral_id(referral_id);
  req.set_org_id(Get(f, "org_id"));
  req.set_extension_id(Get(f, "extension_id"));
  const bool grant = Get(f, "beslut") == "bevilja";
  req.set_grant(grant);
  if (grant) req.set_granted_date(GetSuffix(f, "-datum"));
  req.set_note(Text(GetSuffix(f, "-anteckning")));
  v1::CommandResult result;
  grpc::Status s = Call(b, b.deadlines(), &v1::DeadlineService::Stub::DecideExtension, p, req, &result);
  if (!s.ok()) return Failed(s, RoundUrl(referral_id));
  return Done(result, grant ? "Anståndet beviljades." : "Anståndet avslogs.", RoundUrl(referral_id));
}

FormResult RecordOutcome(Backend& b, const Person& p, const std::string& referral_id, const FormFields& f) {
  v1::RecordOutcomeRequest req;
  req.set_command_id(CommandId(f, "outcome"));
  req.set_referral_id(referral_id);
  req.set_decided_by(Text(Get(f, "decided_by")));
  req.set_decision_date(Get(f, "decision_date"));
  req.set_decision_reference(Text(Get(f, "decision_reference")));
  req.set_summary(Text(Get(f, "summary")));
  v1::CommandResult result;
  grpc::Status s = Call(b, b.followup(), &v1::FollowupService::Stub::RecordOutcome, p, req, &result);
  if (!s.ok()) return Failed(s, RoundUrl(referral_id));
  return Done(result, "Utfallet registrerades.", RoundUrl(referral_id));
}

FormResult AnswerStep(Backend& b, const Person& p, const std::string& referral_id, const std::string& org_id,
                      const std::string& step, const FormFields& f) {
  const std::string back = absl::StrCat(RoundUrl(referral_id), "/svar/", UrlEncode(org_id));
  v1::CommandResult result;
  grpc::Status s;
  std::string notice;
  if (step == "registrera") {
    v1::RegisterResponseRequest req;
    req.set_command_id(CommandId(f, step));
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    req.set_diary_number(Text(Get(f, "diary_number")));
    req.set_registered_on(Get(f, "registered_on"));
    s = Call(b, b.responses(), &v1::ResponseService::Stub::RegisterResponse, p, req, &result);
    notice = "Remissen är registrerad i ert diarium.";
  } else if (step == "utlatande") {
    v1::RecordStatementRequest req;
    req.set_command_id(CommandId(f, step));
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    v1::Statement* st = req.mutable_statement();
    v1::Standpoint standpoint = v1::STANDPOINT_UNSPECIFIED;
    v1::Standpoint_Parse(Get(f, "standpoint"), &standpoint);
    st->set_standpoint(standpoint);
    st->set_statement_date(Get(f, "statement_date"));
    st->set_summary(Text(Get(f, "summary")));
    for (absl::string_view line : absl::StrSplit(Text(Get(f, "proposed_decision")), '\n', absl::SkipWhitespace())) {
      st->add_proposed_decision(std::string(absl::StripAsciiWhitespace(line)));
    }
    s = Call(b, b.responses(), &v1::ResponseService::Stub::RecordStatement, p, req, &result);
    notice = "Tjänsteutlåtandet sparades.";
  } else if (step == "delegationsbeslut") {
    v1::RecordDelegationDecisionRequest req;
    req.set_command_id(CommandId(f, step));
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    v1::DelegationDecision* d = req.mutable_delegation();
    d->set_person_id(p.id);
    d->set_decided_by_name(Text(Get(f, "decided_by_name")));
    d->set_decided_by_title(Text(Get(f, "decided_by_title")));
    d->set_date(Get(f, "date"));
    d->set_decision_text(Text(Get(f, "decision_text")));
    s = Call(b, b.responses(), &v1::ResponseService::Stub::RecordDelegationDecision, p, req, &result);
    notice = "Delegationsbeslutet registrerades.";
  } else if (step == "namndbeslut") {
    v1::RecordBoardDecisionRequest req;
    req.set_command_id(CommandId(f, step));
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    v1::BoardDecision* d = req.mutable_decision();
    d->set_meeting_date(Get(f, "meeting_date"));
    d->set_paragraph(Text(Get(f, "paragraph")));
    d->set_decision_text(Text(Get(f, "board_decision_text")));
    v1::JusteringKind kind = v1::JUSTERING_KIND_UNSPECIFIED;
    v1::JusteringKind_Parse(Get(f, "justering"), &kind);
    d->mutable_justering()->set_kind(kind);
    if (kind == v1::JUSTERING_KIND_ON_DATE) d->mutable_justering()->set_date(Get(f, "justering_date"));
    s = Call(b, b.responses(), &v1::ResponseService::Stub::RecordBoardDecision, p, req, &result);
    notice = "Nämndens beslut registrerades.";
  } else if (step == "anstand") {
    v1::RequestExtensionRequest req;
    req.set_command_id(CommandId(f, step));
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    req.set_requested_date(Get(f, "requested_date"));
    req.set_reason(Text(Get(f, "reason")));
    s = Call(b, b.deadlines(), &v1::DeadlineService::Stub::RequestExtension, p, req, &result);
    notice = "Anståndet är begärt; avsändaren beslutar.";
  } else if (step == "skicka") {
    v1::SubmitResponseRequest req;
    req.set_command_id(CommandId(f, step));
    req.set_referral_id(referral_id);
    req.set_org_id(org_id);
    req.set_note(Text(Get(f, "note")));
    s = Call(b, b.responses(), &v1::ResponseService::Stub::SubmitResponse, p, req, &result);
    notice = "Svaret är inskickat.";
  } else {
    FormResult r;
    r.error = "Okänt steg.";
    r.http_status = 404;
    return r;
  }
  if (!s.ok()) return Failed(s, back);
  return Done(result, notice, back);
}

}  // namespace remiss::console
