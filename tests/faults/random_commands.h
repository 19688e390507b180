// The commands of the seeded random workload (tests/faults): valid and invalid commands to
// all four services over a small world (a few boards, a dozen rounds) so that they collide,
// each thread drawing from its own generator seeded from the printed seed. Used by the
// random workload in remissd and by the same workload over Kafka.
#pragma once

#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/faults/fault_support.h"

namespace remiss::faults::random_commands {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout

constexpr int kBoards = 6;
constexpr int kRounds = 12;

// The world the commands are drawn from.
inline std::string Board(int b) { return absl::StrCat("board-", b); }
inline std::string CaseNumber(int r) { return absl::StrCat("KS 2021/", 100 + r); }
inline std::string RoundId(int r) { return absl::StrCat("ks-2021-", 100 + r); }

// What one thread draws: a command (its RPC's name and how to send it).
struct Drawn {
  std::string rpc;
  Send send;
  bool invalid_on_purpose = false;
  bool referrals_by_ks = false;  // sent as KS to the referrals service
  std::string service;           // the service it is sent to
};

// The codes a command of the workload may be answered with: success, or a refusal the API
// documents. Anything else (INTERNAL, UNKNOWN, UNAVAILABLE...) is a failure of the test.
inline bool Documented(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
      return true;
    default:
      return false;
  }
}

// The service an RPC of the workload goes to.
inline std::string ServiceOf(const std::string& rpc) {
  static const std::set<std::string> kResponses = {"RegisterResponse", "RecordStatement",
                                                   "RecordDelegationDecision", "SubmitResponse",
                                                   "DeclineResponse"};
  static const std::set<std::string> kDeadlines = {"RequestExtension", "DecideExtension",
                                                   "RegisterBoardMeetings", "SetReminderPolicy"};
  static const std::set<std::string> kFollowup = {"FreezeCompilation", "GiveFeedback",
                                                  "AssignAction", "RecordOutcome"};
  if (kResponses.count(rpc)) return "responses";
  if (kDeadlines.count(rpc)) return "deadlines";
  if (kFollowup.count(rpc)) return "followup";
  return "referrals";
}

class Drawer {
 public:
  Drawer(uint64_t seed, int thread) : random_(seed * 1000003u + thread), thread_(thread) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(random_); }

  // A date around the manual clock's first two months; now and then not a date.
  std::string Date(bool* invalid) {
    if (Chance(0.05)) {
      *invalid = true;
      static const char* const kBad[] = {"2021-02-30", "21-3-1", "", "2021-13-01", "tomorrow"};
      return kBad[Int(0, 4)];
    }
    return absl::StrCat("2021-", Int(2, 4) < 3 ? "02" : (Int(0, 1) ? "03" : "04"), "-",
                        absl::Dec(Int(1, 28), absl::kZeroPad2));
  }
  std::string RoundRef(bool* invalid) {
    if (Chance(0.03)) {
      *invalid = true;
      return Chance(0.5) ? "ks-1999-1" : "";
    }
    const int r = Int(0, kRounds - 1);
    return Chance(0.3) ? CaseNumber(r) : RoundId(r);  // either is accepted
  }
  std::string BoardRef(bool* invalid) {
    if (Chance(0.03)) {
      *invalid = true;
      return Chance(0.5) ? "Not A Slug" : "unknown-board";
    }
    return Board(Int(0, kBoards - 1));
  }
  std::string Text(bool* invalid, bool required) {
    if (required && Chance(0.05)) {
      *invalid = true;
      return Chance(0.5) ? "" : "a\rb";
    }
    return absl::StrCat("Text ", Int(0, 1 << 20), "\nrad två");
  }

  Drawn Next(int k) {
    Drawn d;
    bool bad = false;
    const std::string id = absl::StrCat("t", thread_, "-", k);
    const Caller ks;
    const int kind = Int(0, 99);
    if (kind < 6) {
      RegisterOrganizationRequest r;
      r.set_command_id(id);
      const bool is_ks = Chance(0.1);
      r.set_org_id(is_ks ? "ks" : BoardRef(&bad));
      r.set_name(Chance(0.03) ? (bad = true, "") : absl::StrCat("Nämnd ", r.org_id()));
      r.set_kind(is_ks ? ORGANIZATION_KIND_KOMMUNSTYRELSE : ORGANIZATION_KIND_STADSDELSNAMND);
      r.set_diary_prefix("BRD");
      d = {"RegisterOrganization", Command(&ReferralService::Stub::RegisterOrganization, r, ks)};
    } else if (kind < 8) {
      UpdateOrganizationRequest r;
      r.set_command_id(id);
      r.set_org_id(BoardRef(&bad));
      r.set_name(absl::StrCat("Nämnden ", Int(0, 9)));
      r.set_kind(ORGANIZATION_KIND_FACKNAMND);
      r.set_diary_prefix("FN");
      if (Chance(0.2)) r.set_expected_version(Int(1, 3));
      d = {"UpdateOrganization", Command(&ReferralService::Stub::UpdateOrganization, r, ks)};
    } else if (kind < 14) {
      CreateReferralRequest r;
      r.set_command_id(id);
      const int n = Int(0, kRounds - 1);
      r.set_case_number(Chance(0.04) ? (bad = true, "KS utan nummer") : CaseNumber(n));
      r.set_title(absl::StrCat("Remiss ", n));
      r.set_summary(Text(&bad, false));
      r.set_sender_org_id(Chance(0.9) ? "ks" : BoardRef(&bad));
      d = {"CreateReferral", Command(&ReferralService::Stub::CreateReferral, r, ks)};
    } else if (kind < 24) {
      AddAddresseeRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      if (Chance(0.1)) r.set_deadline_override(Date(&bad));
      d = {"AddAddressee", Command(&ReferralService::Stub::AddAddressee, r, ks)};
    } else if (kind < 26) {
      RemoveAddresseeRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_reason(Text(&bad, true));
      d = {"RemoveAddressee", Command(&ReferralService::Stub::RemoveAddressee, r, ks)};
    } else if (kind < 32) {
      SetDeadlineRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_deadline(Date(&bad));
      r.set_working_day_rule(Chance(0.5));
      d = {"SetDeadline", Command(&ReferralService::Stub::SetDeadline, r, ks)};
    } else if (kind < 38) {
      IssueReferralRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      d = {"IssueReferral", Command(&ReferralService::Stub::IssueReferral, r, ks)};
    } else if (kind < 40) {
      MoveDeadlineRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      if (Chance(0.5)) r.set_org_id(BoardRef(&bad));
      r.set_deadline(Date(&bad));
      r.set_reason(Text(&bad, true));
      d = {"MoveDeadline", Command(&ReferralService::Stub::MoveDeadline, r, ks)};
    } else if (kind < 41) {
      CloseReferralRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_reason(Text(&bad, false));
      d = {"CloseReferral", Command(&ReferralService::Stub::CloseReferral, r, ks)};
    } else if (kind < 42) {
      WithdrawReferralRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_reason(Text(&bad, true));
      d = {"WithdrawReferral", Command(&ReferralService::Stub::WithdrawReferral, r, ks)};
    } else if (kind < 43) {
      LinkRevisionRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_revises_referral_id(RoundRef(&bad));
      d = {"LinkRevision", Command(&ReferralService::Stub::LinkRevision, r, ks)};
    } else if (kind < 53) {
      RegisterResponseRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_diary_number(Chance(0.04) ? (bad = true, "BRD") : absl::StrCat("BRD 2021/", Int(1, 999)));
      r.set_registered_on(Chance(0.5) ? "2021-02-01" : Date(&bad));
      d = {"RegisterResponse", Command(&ResponseService::Stub::RegisterResponse, r,
                                       {r.org_id(), "board", "registrator-1"})};
    } else if (kind < 60) {
      RecordStatementRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      Statement* s = r.mutable_statement();
      s->set_statement_date("2021-02-01");
      s->add_proposed_decision("Nämnden överlämnar tjänsteutlåtandet som svar på remissen.");
      s->set_summary(Text(&bad, false));
      s->set_standpoint(static_cast<Standpoint>(Int(Chance(0.05) ? 0 : 1, 4)));
      d = {"RecordStatement", Command(&ResponseService::Stub::RecordStatement, r,
                                      {r.org_id(), "board", "handlaggare-1"})};
    } else if (kind < 64) {
      RecordDelegationDecisionRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      DelegationDecision* dd = r.mutable_delegation();
      dd->set_decided_by_name("Stadsdelsdirektören");
      dd->set_decided_by_title("Stadsdelsdirektör");
      dd->set_date(Chance(0.8) ? "2021-02-01" : Date(&bad));
      dd->set_decision_text(Text(&bad, true));
      d = {"RecordDelegationDecision",
           Command(&ResponseService::Stub::RecordDelegationDecision, r,
                   {r.org_id(), "board", "direktor-1"})};
    } else if (kind < 70) {
      SubmitResponseRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      d = {"SubmitResponse", Command(&ResponseService::Stub::SubmitResponse, r,
                                     {r.org_id(), "board", "registrator-1"})};
    } else if (kind < 72) {
      DeclineResponseRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_reason(Text(&bad, true));
      d = {"DeclineResponse", Command(&ResponseService::Stub::DeclineResponse, r,
                                      {r.org_id(), "board", "registrator-1"})};
    } else if (kind < 78) {
      RequestExtensionRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_requested_date(Date(&bad));
      r.set_reason(Text(&bad, true));
      d = {"RequestExtension", Command(&DeadlineService::Stub::RequestExtension, r,
                                       {r.org_id(), "board", "registrator-1"})};
    } else if (kind < 81) {
      DecideExtensionRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_extension_id(absl::StrCat("ext-", Int(1, 3)));  // mostly unknown
      r.set_grant(Chance(0.7));
      if (!r.grant()) r.set_note(Text(&bad, true));
      d = {"DecideExtension", Command(&DeadlineService::Stub::DecideExtension, r, ks)};
    } else if (kind < 84) {
      RegisterBoardMeetingsRequest r;
      r.set_command_id(id);
      r.set_org_id(BoardRef(&bad));
      for (int i = Int(0, 3); i > 0; --i) r.add_dates(Date(&bad));
      d = {"RegisterBoardMeetings", Command(&DeadlineService::Stub::RegisterBoardMeetings, r, ks)};
    } else if (kind < 86) {
      SetReminderPolicyRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      for (int i = Int(0, 3); i > 0; --i) r.add_days_before(Int(-3, 20));
      d = {"SetReminderPolicy", Command(&DeadlineService::Stub::SetReminderPolicy, r, ks)};
    } else if (kind < 89) {
      FreezeCompilationRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_note(Text(&bad, false));
      d = {"FreezeCompilation", Command(&FollowupService::Stub::FreezeCompilation, r, ks)};
    } else if (kind < 92) {
      GiveFeedbackRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_text(Text(&bad, true));
      d = {"GiveFeedback", Command(&FollowupService::Stub::GiveFeedback, r, ks)};
    } else if (kind < 95) {
      AssignActionRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_org_id(BoardRef(&bad));
      r.set_description(Text(&bad, true));
      r.set_due_date(Date(&bad));
      d = {"AssignAction", Command(&FollowupService::Stub::AssignAction, r, ks)};
    } else if (kind < 97) {
      RecordOutcomeRequest r;
      r.set_command_id(id);
      r.set_referral_id(RoundRef(&bad));
      r.set_decided_by("kommunfullmäktige");
      r.set_decision_date(Date(&bad));
      r.set_decision_reference(absl::StrCat("KF § ", Int(1, 99)));
      r.set_summary(Text(&bad, true));
      d = {"RecordOutcome", Command(&FollowupService::Stub::RecordOutcome, r, ks)};
    } else {
      // A command without a command_id: always INVALID_ARGUMENT.
      IssueReferralRequest r;
      r.set_referral_id(RoundRef(&bad));
      bad = true;
      d = {"IssueReferral(no command_id)", Command(&ReferralService::Stub::IssueReferral, r, ks)};
    }
    d.invalid_on_purpose = bad;
    // KS's commands to the referrals service (command_ids are kept per service and caller).
    static const std::set<std::string> kReferralsByKs = {
        "RegisterOrganization", "UpdateOrganization", "CreateReferral", "AddAddressee",
        "RemoveAddressee",      "SetDeadline",        "IssueReferral",  "MoveDeadline",
        "CloseReferral",        "WithdrawReferral",   "LinkRevision"};
    d.referrals_by_ks = kReferralsByKs.count(d.rpc) > 0;
    d.service = ServiceOf(d.rpc);
    return d;
  }

 private:
  std::mt19937_64 random_;
  int thread_;
};

}  // namespace remiss::faults::random_commands
