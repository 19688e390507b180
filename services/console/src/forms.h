// What the console's forms do: each takes the posted fields, sends the commands for the
// signed-in person and says how it went. Validation is the services' own; what they refuse
// comes back in Swedish naming the field. A form's hidden command_id makes a form sent twice
// one command (the services answer the repeat unchanged).
#pragma once

#include <map>
#include <string>

#include "backend.h"
#include "identity.h"

namespace remiss::console {

// The posted fields: a name may repeat (checkboxes).
using FormFields = std::multimap<std::string, std::string>;

struct FormResult {
  bool ok = false;
  std::string notice;    // on success, Swedish
  std::string error;     // on failure, Swedish, naming the field
  int http_status = 200; // on failure: what the refusal maps to
  std::string redirect;  // where to go next (on success, and on failure for most forms)
};

// KS: a new round as a draft (its addressees and deadline); redirect: the round's board.
FormResult CreateRound(Backend& b, const Person& p, const FormFields& f);
FormResult IssueRound(Backend& b, const Person& p, const std::string& referral_id, const FormFields& f);
FormResult DecideExtension(Backend& b, const Person& p, const std::string& referral_id, const FormFields& f);
FormResult RecordOutcome(Backend& b, const Person& p, const std::string& referral_id, const FormFields& f);
// A registrar's answer: `step` is "registrera", "utlatande", "delegationsbeslut",
// "namndbeslut", "anstand" (ask for an extension) or "skicka".
FormResult AnswerStep(Backend& b, const Person& p, const std::string& referral_id,
                      const std::string& org_id, const std::string& step, const FormFields& f);

}  // namespace remiss::console
