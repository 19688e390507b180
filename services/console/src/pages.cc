#include "pages.h"

#include <algorithm>
#include <set>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "remiss/followup/compilation_pages.h"

namespace remiss::console {
namespace v1 = remiss::v1;
using nlohmann::json;

namespace {

// At most this many rounds (and organizations) on one page; more are left off, said so.
constexpr int kMaxRows = 500;

v1::ReferralStatus StatusFromFilter(const std::string& s) {
  if (s == "draft") return v1::REFERRAL_STATUS_DRAFT;
  if (s == "issued") return v1::REFERRAL_STATUS_ISSUED;
  if (s == "closed") return v1::REFERRAL_STATUS_CLOSED;
  if (s == "withdrawn") return v1::REFERRAL_STATUS_WITHDRAWN;
  return v1::REFERRAL_STATUS_UNSPECIFIED;
}

// The flags of a status board row, as the board shows them.
json Flags(const json& row) {
  const bool answered = row.value("answered", false);
  json flags = json::object();
  flags["overdue"] = !answered && (row.value("days_left", 0) < 0 ||
                                   row.value("deadline_outcome", "") == "breached");
  flags["at_risk"] = row.value("at_risk", false);
  flags["extension"] = row.value("extension", "");
  flags["late"] = row.value("late", false);
  return flags;
}

}  // namespace

int HttpStatusOf(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return 200;
    case grpc::StatusCode::INVALID_ARGUMENT: return 400;
    case grpc::StatusCode::NOT_FOUND: return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED: return 409;
    case grpc::StatusCode::PERMISSION_DENIED: return 403;
    case grpc::StatusCode::UNAUTHENTICATED: return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return 429;
    case grpc::StatusCode::UNAVAILABLE: return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return 504;
    default: return 502;
  }
}

void Must(const grpc::Status& status) {
  if (!status.ok()) throw PageError{HttpStatusOf(status), SwedishError(status)};
}

json ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, o);
  return json::parse(out);
}

json OrganizationNames(Backend& b, const Person& p) {
  json names = json::object();
  v1::ListOrganizationsRequest req;
  req.set_page_size(kMaxRows);
  int rows = 0;
  do {
    v1::ListOrganizationsResponse resp;
    Must(Call(b, b.referrals(), &v1::ReferralService::Stub::ListOrganizations, p, req, &resp));
    for (const auto& o : resp.organizations()) names[o.org_id()] = o.name();
    rows += resp.organizations_size();
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty() && rows < 10 * kMaxRows);
  return names;
}

bool MaySendRounds(Backend& b, const Person& p) {
  if (!p.ks()) return false;
  v1::GetOrganizationRequest own;
  own.set_org_id(p.org_id);
  v1::Organization org;
  grpc::Status s = Call(b, b.referrals(), &v1::ReferralService::Stub::GetOrganization, p, own, &org);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return false;
  Must(s);
  return org.may_send_rounds();
}

std::string NotASenderMessage(const Person& p) {
  return absl::StrCat("Organisationen ", p.org_id,
                      " får inte skicka remisser (may_send_rounds), så du kan inte skapa en ny remiss. "
                      "Driften ändrar det i organisationsregistret.");
}

json NewRoundModel(Backend& b, const Person& p) {
  // Only a ks of an organization that may send rounds records one (the services refuse the
  // others); the page is not offered to them.
  if (!MaySendRounds(b, p)) throw PageError{403, NotASenderMessage(p)};
  json model;
  model["organizations"] = OrganizationNames(b, p);
  model["lists"] = json::array();
  v1::ListDistributionListsRequest req;
  req.set_page_size(kMaxRows);
  do {
    v1::ListDistributionListsResponse resp;
    Must(Call(b, b.referrals(), &v1::ReferralService::Stub::ListDistributionLists, p, req, &resp));
    for (const auto& l : resp.distribution_lists()) model["lists"].push_back(ToJson(l));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty() && model["lists"].size() < static_cast<size_t>(kMaxRows));
  return model;
}

json RoundsModel(Backend& b, const Person& p, const RoundsFilter& filter) {
  json model;
  model["filter"] = {{"status", filter.status}, {"year", filter.year}, {"sender", filter.sender}};
  model["organizations"] = OrganizationNames(b, p);
  model["rounds"] = json::array();
  model["truncated"] = false;
  v1::ListReferralsRequest req;
  req.set_status(StatusFromFilter(filter.status));
  req.set_year(filter.year);
  req.set_sender_org_id(filter.sender);
  req.set_page_size(100);
  do {
    v1::ListReferralsResponse resp;
    Must(Call(b, b.referrals(), &v1::ReferralService::Stub::ListReferrals, p, req, &resp));
    for (const v1::Referral& r : resp.referrals()) {
      if (model["rounds"].size() >= static_cast<size_t>(kMaxRows)) {
        model["truncated"] = true;
        break;
      }
      json round = {{"referral_id", r.referral_id()},
                    {"case_number", r.case_number()},
                    {"title", r.title()},
                    {"sender_org_id", r.sender_org_id()},
                    {"status", absl::AsciiStrToLower(v1::ReferralStatus_Name(r.status()).substr(16))},
                    {"deadline", r.deadline()},
                    {"year", r.year()},
                    {"addressees", r.addressees_size()},
                    {"by_stage", json::object()},
                    {"answered", 0},
                    {"not_answered", 0}};
      if (r.status() != v1::REFERRAL_STATUS_DRAFT) {
        v1::GetStatusBoardRequest breq;
        breq.set_referral_id(r.referral_id());
        v1::StatusBoard board;
        grpc::Status s = Call(b, b.followup(), &v1::FollowupService::Stub::GetStatusBoard, p,
                              breq, &board);
        if (s.ok()) {
          for (const auto& [stage, n] : board.by_stage()) round["by_stage"][stage] = n;
          round["not_answered"] = board.not_answered_size();
          round["answered"] = board.rows_size() - board.not_answered_size();
        } else if (s.error_code() != grpc::StatusCode::NOT_FOUND) {
          Must(s);
        }
      }
      model["rounds"].push_back(std::move(round));
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty() && !model["truncated"].get<bool>());
  return model;
}

json NoticesModel(Backend& b, const Person& p, const std::string& referral_id, const std::string& org_id);

json BoardModel(Backend& b, const Person& p, const std::string& referral_id) {
  json model;
  v1::GetReferralRequest rreq;
  rreq.set_referral_id(referral_id);
  v1::Referral referral;
  Must(Call(b, b.referrals(), &v1::ReferralService::Stub::GetReferral, p, rreq, &referral));
  model["referral"] = ToJson(referral);
  model["organizations"] = OrganizationNames(b, p);
  model["board"] = nullptr;
  model["rows"] = json::array();
  model["not_answered"] = json::array();
  model["extension_requests"] = json::array();
  if (referral.status() == v1::REFERRAL_STATUS_DRAFT) return model;

  v1::GetStatusBoardRequest breq;
  breq.set_referral_id(referral.referral_id());
  v1::StatusBoard board;
  grpc::Status s = Call(b, b.followup(), &v1::FollowupService::Stub::GetStatusBoard, p, breq, &board);
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return model;  // not yet observed
  Must(s);
  json jb = ToJson(board);
  // "Ej inkommit" as followup defines it, with each body's registry mailbox.
  model["not_answered"] = std::move(jb["not_answered_bodies"]);
  jb.erase("not_answered_bodies");
  for (json row : jb["rows"]) {
    row["flags"] = Flags(row);
    if (row.value("extension", "") == "requested" && p.ks()) {
      v1::GetDeadlineRequest dreq;
      dreq.set_referral_id(referral.referral_id());
      dreq.set_org_id(row["org_id"].get<std::string>());
      v1::Deadline d;
      if (Call(b, b.deadlines(), &v1::DeadlineService::Stub::GetDeadline, p, dreq, &d).ok()) {
        for (const v1::Extension& e : d.extensions()) {
          if (e.state() != v1::EXTENSION_STATE_REQUESTED) continue;
          model["extension_requests"].push_back({{"org_id", d.org_id()},
                                                 {"org_name", row["org_name"]},
                                                 {"extension_id", e.extension_id()},
                                                 {"requested_date", e.requested_date()},
                                                 {"reason", e.reason()},
                                                 {"effective_deadline", d.effective_date()}});
        }
      }
    }
    model["rows"].push_back(std::move(row));
  }
  jb.erase("rows");
  model["board"] = std::move(jb);
  int overdue = 0, at_risk = 0, extensions = 0, late = 0;
  for (const json& row : model["rows"]) {
    overdue += row["flags"]["overdue"].get<bool>();
    at_risk += row["flags"]["at_risk"].get<bool>();
    extensions += !row["flags"]["extension"].get<std::string>().empty();
    late += row["flags"]["late"].get<bool>();
  }
  const int total = static_cast<int>(model["rows"].size());
  const int not_answered = static_cast<int>(model["not_answered"].size());
  model["notices"] = NoticesModel(b, p, referral.referral_id(), "");
  model["totals"] = {{"bodies", total},        {"answered", total - not_answered},
                     {"not_answered", not_answered}, {"overdue", overdue},
                     {"at_risk", at_risk},     {"extensions", extensions},
                     {"late", late}};
  return model;
}

// What was mailed for a round (or to a body): the notices, or null when the notices service
// does not run (remissd without a mail server).
json NoticesModel(Backend& b, const Person& p, const std::string& referral_id, const std::string& org_id) {
  v1::ListNoticesRequest req;
  req.set_referral_id(referral_id);
  req.set_org_id(org_id);
  v1::ListNoticesResponse resp;
  grpc::Status s = Call(b, b.notices(), &v1::NoticesService::Stub::ListNotices, p, req, &resp);
  // Not served there (remissd without a mail server; under TLS the host has no rule for it).
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED ||
      (s.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
       s.error_message().find("no policy allows") != std::string::npos)) {
    return nullptr;
  }
  Must(s);
  json out = json::array();
  for (const v1::Notice& n : resp.notices()) {
    json j = ToJson(n);
    j.erase("traceparent");
    out.push_back(std::move(j));
  }
  return out;
}

json OrganizationModel(Backend& b, const Person& p, const std::string& org_id) {
  json model;
  v1::GetOrganizationRequest oreq;
  oreq.set_org_id(org_id);
  v1::Organization org;
  Must(Call(b, b.referrals(), &v1::ReferralService::Stub::GetOrganization, p, oreq, &org));
  model["organization"] = ToJson(org);
  model["owes"] = json::array();
  model["answered"] = json::array();
  v1::GetOrganizationViewRequest req;
  req.set_org_id(org.org_id());
  req.set_page_size(100);
  int rows = 0;
  do {
    v1::OrganizationView view;
    Must(Call(b, b.followup(), &v1::FollowupService::Stub::GetOrganizationView, p, req, &view));
    for (const v1::OrganizationItem& item : view.items()) {
      json j = ToJson(item);
      j["row"]["flags"] = Flags(j["row"]);
      (item.row().answered() ? model["answered"] : model["owes"]).push_back(std::move(j));
    }
    rows += view.items_size();
    req.set_page_token(view.next_page_token());
  } while (!req.page_token().empty() && rows < kMaxRows);
  // What it owes, the nearest deadline first.
  std::stable_sort(model["owes"].begin(), model["owes"].end(), [](const json& a, const json& b) {
    return a["row"]["effective_deadline"].get<std::string>() < b["row"]["effective_deadline"].get<std::string>();
  });
  // Rounds addressed to it that the followup view does not hold yet (just issued): none
  // lost, they show with the round's own deadline.
  v1::ListReferralsForOrganizationRequest lreq;
  lreq.set_org_id(org.org_id());
  lreq.set_page_size(100);
  model["asked"] = json::array();
  v1::ListReferralsForOrganizationResponse lresp;
  if (Call(b, b.referrals(), &v1::ReferralService::Stub::ListReferralsForOrganization, p, lreq, &lresp).ok()) {
    for (const auto& r : lresp.referrals()) model["asked"].push_back(ToJson(r));
  }
  model["notices"] = NoticesModel(b, p, "", org.org_id());
  return model;
}

json ChainModel(Backend& b, const Person& p, const std::string& referral_id) {
  v1::GetRevisionChainRequest req;
  req.set_referral_id(referral_id);
  v1::RevisionChain chain;
  Must(Call(b, b.followup(), &v1::FollowupService::Stub::GetRevisionChain, p, req, &chain));
  json model = ToJson(chain);
  model["referral_id"] = referral_id;
  model["organizations"] = OrganizationNames(b, p);
  return model;
}

// The live compilation read by board, page after page (one round's may be larger than any
// one message), appended into the whole; the frozen versions' numbers and notes.
json CompilationModel(Backend& b, const Person& p, const std::string& referral_id) {
  v1::GetCompilationPageRequest req;
  req.set_referral_id(referral_id);
  v1::Compilation live;
  json frozen = json::array();
  std::set<std::string> seen;
  for (;;) {
    v1::CompilationPage page;
    Must(Call(b, b.followup(), &v1::FollowupService::Stub::GetCompilationPage, p, req, &page));
    followup::AppendCompilationPage(&live, page.compilation());
    if (frozen.empty()) {
      for (const auto& f : page.frozen_versions()) frozen.push_back(ToJson(f));
    }
    if (page.next_page_token().empty() || !seen.insert(page.next_page_token()).second) break;
    req.set_page_token(page.next_page_token());
  }
  json model;
  model["live"] = ToJson(live);
  model["frozen"] = frozen;
  model["organizations"] = OrganizationNames(b, p);
  return model;
}

json AnswerModel(Backend& b, const Person& p, const std::string& referral_id, const std::string& org_id) {
  v1::GetResponseRequest req;
  req.set_referral_id(referral_id);
  req.set_org_id(org_id);
  v1::Response response;
  Must(Call(b, b.responses(), &v1::ResponseService::Stub::GetResponse, p, req, &response));
  json model;
  model["response"] = ToJson(response);
  model["stage"] = absl::AsciiStrToLower(v1::ResponseStage_Name(response.stage()).substr(15));
  v1::GetOrganizationRequest oreq;
  oreq.set_org_id(org_id);
  v1::Organization org;
  Must(Call(b, b.referrals(), &v1::ReferralService::Stub::GetOrganization, p, oreq, &org));
  model["organization"] = ToJson(org);
  v1::GetDeadlineRequest dreq;
  dreq.set_referral_id(referral_id);
  dreq.set_org_id(org_id);
  v1::Deadline d;
  model["deadline"] = nullptr;
  if (Call(b, b.deadlines(), &v1::DeadlineService::Stub::GetDeadline, p, dreq, &d).ok()) {
    model["deadline"] = ToJson(d);
  }
  return model;
}

}  // namespace remiss::console
