// What each page shows, as data: the page's model in JSON, built from the services' answers
// for the signed-in person. The same model is the page's JSON form and what views.h renders
// as HTML, so the two never disagree. A failed call throws PageError (Swedish, with the
// HTTP status it maps to).
#pragma once

#include <string>

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "backend.h"
#include "identity.h"

namespace remiss::console {

struct PageError {
  int http_status;
  std::string message;  // Swedish, for the person
};

// Throws PageError when `status` is not OK.
void Must(const grpc::Status& status);
int HttpStatusOf(const grpc::Status& status);

// A proto message as JSON (field names as in the .proto, every field present).
nlohmann::json ToJson(const google::protobuf::Message& message);

struct RoundsFilter {
  std::string status;  // "", "draft", "issued", "closed", "withdrawn"
  int year = 0;        // 0: any
  std::string sender;  // org id; "": any
};

// Rounds: the filter, the rounds it selects with their deadline and counts per stage, and
// the organizations (for the sender filter).
nlohmann::json RoundsModel(Backend& b, const Person& p, const RoundsFilter& filter);
// A round's status board: the round, one row per body with its flags, "ej inkommit" with
// registry mailboxes, totals, and (for KS) the extension requests waiting for a decision.
nlohmann::json BoardModel(Backend& b, const Person& p, const std::string& referral_id);
// An organization: what it owes and by when, what it answered.
nlohmann::json OrganizationModel(Backend& b, const Person& p, const std::string& org_id);
// The revision chain: the rounds oldest first, each body's standpoint in each.
nlohmann::json ChainModel(Backend& b, const Person& p, const std::string& referral_id);
// The compilation (remissammanställning) as it stands, and the versions KS froze.
nlohmann::json CompilationModel(Backend& b, const Person& p, const std::string& referral_id);
// One body's answer to one round, for its registrar: where it stands and what comes next.
nlohmann::json AnswerModel(Backend& b, const Person& p, const std::string& referral_id,
                           const std::string& org_id);
// Whether `p` records rounds: a ks whose organization referrals registered with
// may_send_rounds (false for an unregistered one). Throws PageError when referrals cannot
// say.
bool MaySendRounds(Backend& b, const Person& p);
// Why `p` may not record a round (Swedish), for the page and the form that refuse it.
std::string NotASenderMessage(const Person& p);
// KS's new round: the organizations (id -> name) and the saved distribution lists. Throws
// PageError 403 (NotASenderMessage) unless MaySendRounds.
nlohmann::json NewRoundModel(Backend& b, const Person& p);
// The organizations, by id: id -> name.
nlohmann::json OrganizationNames(Backend& b, const Person& p);

}  // namespace remiss::console
