#include "tools/seed/seed_scenario.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"

namespace remiss::seed {
namespace {

constexpr absl::Duration kWaitLimit = absl::Seconds(30);
constexpr absl::Duration kWaitStep = absl::Milliseconds(50);

[[noreturn]] void Fail(const std::string& what) { throw ScenarioError(what); }

// Runs a part of the scenario, turning its failure into a Status.
template <typename Fn>
absl::Status Guarded(Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::AbortedError(e.what());
  }
}

}  // namespace

std::string Describe(const grpc::Status& s) {
  return absl::StrCat("gRPC code ", static_cast<int>(s.error_code()), ": ", s.error_message());
}

std::string Text(const google::protobuf::Message& m) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  std::string out;
  printer.PrintToString(m, &out);
  return out;
}

const BoardRow& RowOf(const StatusBoard& board, absl::string_view org_id) {
  for (const BoardRow& row : board.rows()) {
    if (row.org_id() == org_id) return row;
  }
  static const BoardRow kNone;
  return kNone;
}

// =====================================================================================
// The cluster's client side.
// =====================================================================================

Cluster::Cluster(const Addresses& a, ScenarioOptions options, absl::Time now)
    : addresses_(a), options_(std::move(options)), now_(now) {
  std::set<std::string> seen;
  for (const std::string* address : {&a.referrals, &a.responses, &a.deadlines, &a.followup}) {
    if (!seen.insert(*address).second) continue;
    servers_.push_back({*address, AdminService::NewStub(ChannelFor(*address, "operator"))});
  }
  one_process_ = servers_.size() == 1;
  // Queries and KS's commands; a board's commands go through StubFor with its own certificate.
  referrals_ = ReferralService::NewStub(ChannelFor(a.referrals, "ks"));
  responses_ = ResponseService::NewStub(ChannelFor(a.responses, "ks"));
  deadlines_ = DeadlineService::NewStub(ChannelFor(a.deadlines, "ks"));
  followup_ = FollowupService::NewStub(ChannelFor(a.followup, "ks"));
}

std::shared_ptr<grpc::Channel> Cluster::ChannelFor(const std::string& address,
                                                   const std::string& cert) {
  const std::string name = options_.credentials ? cert : "";
  auto& channel = channels_[{address, name}];
  if (channel == nullptr) {
    channel = grpc::CreateChannel(address, options_.credentials ? options_.credentials(name)
                                                                : grpc::InsecureChannelCredentials());
  }
  return channel;
}

absl::StatusOr<std::vector<std::pair<std::string, ClockState>>> Cluster::Clocks() {
  std::vector<std::pair<std::string, ClockState>> out;
  for (Server& server : servers_) {
    ClockState state;
    grpc::Status s = Query(*server.admin, &AdminService::Stub::GetClock, GetClockRequest(), &state);
    if (!s.ok()) {
      return absl::UnavailableError(
          absl::StrCat("GetClock at ", server.address, ": ", Describe(s)));
    }
    out.emplace_back(server.address, state);
  }
  return out;
}

absl::Status Cluster::MoveClock(absl::Time to) {
  return Guarded([&] { SetClock(to); });
}

absl::Status Cluster::SettleAll() {
  return Guarded([&] { Settle(); });
}

void Cluster::SetClock(absl::Time to) {
  if (to <= now_) {
    Fail(absl::StrCat("the scenario would move the clock backwards, to ",
                      absl::FormatTime(to, Stockholm())));
  }
  Settle();
  for (Server& server : servers_) {
    SetClockRequest request;
    *request.mutable_to() = ToProto(to);
    ClockState state;
    grpc::Status s = Query(*server.admin, &AdminService::Stub::SetClock, request, &state);
    if (!s.ok()) {
      Fail(absl::StrCat(server.address, " SetClock: ", Describe(s), Casualties()));
    }
    if (state.now().seconds() != absl::ToUnixSeconds(to) || !state.manual()) {
      Fail(absl::StrCat(server.address, " SetClock answered ", Text(state)));
    }
  }
  now_ = to;
}

void Cluster::Note(absl::string_view what) {
  if (options_.progress) {
    options_.progress(absl::StrCat(absl::FormatTime("%Y-%m-%d %H:%M", now_, Stockholm()), "  ",
                                   what));
  }
}

std::string Cluster::Casualties() const {
  return options_.casualties ? options_.casualties() : "";
}

std::string Cluster::NextCommandId(absl::string_view what) {
  return absl::StrCat(what, "-", ++commands_);
}

void Cluster::WaitUntil(absl::string_view what,
                        const std::function<bool(std::string* seen)>& condition) {
  const absl::Time until = absl::Now() + kWaitLimit;
  std::string seen;
  while (true) {
    seen.clear();
    if (condition(&seen)) return;
    if (absl::Now() > until) {
      Fail(absl::StrCat("waited ", absl::FormatDuration(kWaitLimit), " in vain for ", what,
                        Casualties(), "; last seen:\n", seen));
    }
    absl::SleepFor(kWaitStep);
  }
}

void Cluster::Settle() {
  static const std::vector<std::pair<std::string, std::string>> kFollows = {
      {"responses", "referrals"}, {"deadlines", "responses"}, {"followup", "referrals"},
      {"followup", "responses"},  {"followup", "deadlines"}};
  std::string previous;
  WaitUntil("the services to catch up with each other", [&](std::string* seen) {
    std::map<std::string, ServicePositions> all;
    for (Server& server : servers_) {
      Positions positions;
      grpc::Status s = Query(*server.admin, &AdminService::Stub::GetPositions,
                             GetPositionsRequest(), &positions);
      if (!s.ok()) {
        *seen = absl::StrCat(server.address, " GetPositions: ", Describe(s));
        return false;
      }
      for (const ServicePositions& p : positions.services()) all[p.service()] = p;
    }
    bool caught_up = true;
    std::string snapshot;
    for (const auto& [consumer, source] : kFollows) {
      const uint64_t head = all[source].log_position();
      // LocalFeed (one process): the offset is the source position. Kafka: offsets count the
      // messages of each partition of the source's topic, one message per event.
      uint64_t taken = 0;
      for (const FeedPosition& f : all[consumer].feeds()) {
        if (f.source() != source) continue;
        if (one_process_) {
          taken = std::max<uint64_t>(taken, f.position());
        } else {
          taken += static_cast<uint64_t>(f.offset() + 1);
        }
      }
      absl::StrAppend(&snapshot, consumer, " has ", taken, " of ", source, "'s ", head, "; ");
      caught_up = caught_up && taken >= head;
    }
    for (const auto& [name, p] : all) {
      if (!p.relay_enabled()) continue;
      absl::StrAppend(&snapshot, name, " relay lag ", p.relay_lag(), "; ");
      caught_up = caught_up && p.relay_lag() == 0;
    }
    *seen = snapshot;
    const bool settled = caught_up && snapshot == previous;
    previous = snapshot;
    return settled;
  });
}

// ---- waiting on what a user would look at ----

StatusBoard Cluster::WaitForBoard(absl::string_view referral_id, absl::string_view what,
                         const std::function<bool(const StatusBoard&)>& holds) {
  StatusBoard board;
  WaitUntil(absl::StrCat("KS's status board of ", referral_id, " to show ", what),
            [&](std::string* seen) {
              GetStatusBoardRequest request;
              request.set_referral_id(std::string(referral_id));
              board.Clear();
              grpc::Status s = Query(followup(), &FollowupService::Stub::GetStatusBoard,
                                     request, &board);
              *seen = s.ok() ? Text(board) : Describe(s);
              return s.ok() && holds(board);
            });
  return board;
}

Deadline Cluster::WaitForDeadline(absl::string_view referral_id, absl::string_view org_id,
                         absl::string_view what,
                         const std::function<bool(const Deadline&)>& holds) {
  Deadline deadline;
  WaitUntil(absl::StrCat("the deadline of ", org_id, " in ", referral_id, " to show ", what),
            [&](std::string* seen) {
              GetDeadlineRequest request;
              request.set_referral_id(std::string(referral_id));
              request.set_org_id(std::string(org_id));
              deadline.Clear();
              grpc::Status s =
                  Query(deadlines(), &DeadlineService::Stub::GetDeadline, request, &deadline);
              *seen = s.ok() ? Text(deadline) : Describe(s);
              return s.ok() && holds(deadline);
            });
  return deadline;
}

void Cluster::WaitForResponse(absl::string_view referral_id, absl::string_view org_id) {
  WaitUntil(absl::StrCat("the responses service to know that ", org_id, " is asked in ",
                         referral_id),
            [&](std::string* seen) {
              GetResponseRequest request;
              request.set_referral_id(std::string(referral_id));
              request.set_org_id(std::string(org_id));
              Response response;
              grpc::Status s =
                  Query(responses(), &ResponseService::Stub::GetResponse, request, &response);
              *seen = s.ok() ? Text(response) : Describe(s);
              return s.ok() && !response.removed();
            });
}

namespace {

// A command: a fresh command id, the caller in metadata; anything but OK stops the scenario.
template <typename Stub, typename Request>
CommandResult Command(Cluster& cluster, const Who& who, Stub& stub,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                   CommandResult*),
                      Request request, absl::string_view what) {
  request.set_command_id(cluster.NextCommandId(what));
  CommandResult result;
  std::unique_ptr<Stub> own = cluster.StubFor<Stub>(who);  // under mTLS: who's certificate
  Stub& caller = own ? *own : stub;
  grpc::Status s =
      Call(who, [&](grpc::ClientContext* ctx) { return (caller.*method)(ctx, request, &result); });
  if (!s.ok()) {
    Fail(absl::StrCat(what, " by ", who.org, " was refused: ", Describe(s), cluster.Casualties()));
  }
  return result;
}

// =====================================================================================
// The users: KS's staff and a board's officers, one helper per thing they do.
// =====================================================================================

class Ks {
 public:
  explicit Ks(Cluster& c) : c_(c) {}

  void RegisterOrganization(const OrgSpec& org) {
    RegisterOrganizationRequest r;
    r.set_org_id(org.id);
    r.set_name(org.name);
    r.set_kind(org.kind);
    r.set_diary_prefix(org.diary_prefix);
    r.set_registry_mailbox(org.registry_mailbox);
    r.set_may_send_rounds(org.may_send_rounds);
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::RegisterOrganization, r,
            absl::StrCat("register-", org.id));
  }

  void SetRegistryMailbox(const std::string& org_id, const std::string& mailbox) {
    SetRegistryMailboxRequest r;
    r.set_org_id(org_id);
    r.set_registry_mailbox(mailbox);
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::SetRegistryMailbox, r,
            absl::StrCat("mailbox-", org_id));
  }

  void SaveDistributionList(const ListSpec& list) {
    CreateDistributionListRequest r;
    r.set_name(list.name);
    for (const std::string& m : list.members) r.add_member_org_ids(m);
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::CreateDistributionList, r,
            absl::StrCat("list-", list.list_id));
  }

  // A draft: created, the program attached, addressed, the deadline set.
  void DraftRound(const RoundSpec& round) {
    CreateReferralRequest create;
    create.set_case_number(round.case_number);
    create.set_title(round.title);
    create.set_summary(round.summary);
    create.set_sender_org_id(kKs);
    create.mutable_contact()->set_name("Stadsledningskontoret, säkerhetsavdelningen");
    create.mutable_contact()->set_email("registrator.slk@example.stockholm.se");
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::CreateReferral, create,
            "create-round");
    AttachDocumentRequest attach;
    attach.set_referral_id(round.referral_id);
    *attach.mutable_document() = round.program;
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::AttachDocument, attach,
            "attach-program");
    if (!round.lists.empty()) {
      // From the saved lists, minus single bodies: one command for the whole sending.
      AddressReferralRequest address;
      address.set_referral_id(round.referral_id);
      for (const std::string& l : round.lists) address.add_distribution_list_ids(l);
      for (const std::string& org : round.remove) address.add_remove_org_ids(org);
      address.set_answer(ANSWER_KIND_REQUIRED);
      Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::AddressReferral, address,
              "address-from-lists");
    } else {
      for (const std::string& org : round.addressees) {
        AddAddresseeRequest add;
        add.set_referral_id(round.referral_id);
        add.set_org_id(org);
        add.set_answer(ANSWER_KIND_REQUIRED);
        Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::AddAddressee, add,
                absl::StrCat("address-", org));
      }
    }
    SetDeadlineRequest deadline;
    deadline.set_referral_id(round.referral_id);
    deadline.set_deadline(round.deadline);
    deadline.set_working_day_rule(true);
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::SetDeadline, deadline,
            "set-deadline");
  }

  void LinkRevision(const RoundSpec& round, const RoundSpec& revises) {
    LinkRevisionRequest r;
    r.set_referral_id(round.referral_id);
    // The id: unlike referral_id, revises_referral_id does not accept the case number.
    r.set_revises_referral_id(revises.referral_id);
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::LinkRevision, r,
            "link-revision");
  }

  // Issues the round and waits until every service knows it: each addressee can answer,
  // has a deadline, and has a row on KS's status board.
  void Issue(const RoundSpec& round) {
    IssueReferralRequest r;
    r.set_referral_id(round.referral_id);
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::IssueReferral, r,
            "issue-round");
    for (const std::string& org : round.addressees) {
      c_.WaitForResponse(round.case_number, org);
      c_.WaitForDeadline(round.case_number, org, "its deadline scheduled",
                         [&](const Deadline& d) {
                           return d.scheduled() && d.effective_date() == round.deadline;
                         });
    }
    c_.WaitForBoard(round.case_number, "a row per addressee, named, with its deadline",
                    [&](const StatusBoard& b) {
                      if (b.rows_size() != static_cast<int>(round.addressees.size())) return false;
                      for (const BoardRow& row : b.rows()) {
                        if (row.org_name().empty() || row.deadline_outcome() != "open") {
                          return false;
                        }
                      }
                      return true;
                    });
  }

  void DecideExtension(const RoundSpec& round, const char* org, const std::string& extension_id,
                       const char* note) {
    DecideExtensionRequest r;
    r.set_referral_id(round.case_number);
    r.set_org_id(org);
    r.set_extension_id(extension_id);
    r.set_grant(true);
    r.set_note(note);
    Command(c_, kKsHandlaggare, c_.deadlines(), &DeadlineService::Stub::DecideExtension, r,
            absl::StrCat("grant-", org));
  }

  void FreezeCompilation(const RoundSpec& round, const char* note) {
    c_.Settle();  // the compilation as it stands with every answer taken in
    FreezeCompilationRequest r;
    r.set_referral_id(round.case_number);
    r.set_note(note);
    Command(c_, kKsHandlaggare, c_.followup(), &FollowupService::Stub::FreezeCompilation, r,
            "freeze-compilation");
  }

  void RecordOutcome(const RoundSpec& round, const char* decided_by, const char* date,
                     const char* reference, const char* summary) {
    RecordOutcomeRequest r;
    r.set_referral_id(round.case_number);
    r.set_decided_by(decided_by);
    r.set_decision_date(date);
    r.set_decision_reference(reference);
    r.set_summary(summary);
    Command(c_, kKsHandlaggare, c_.followup(), &FollowupService::Stub::RecordOutcome, r,
            "record-outcome");
  }

  void GiveFeedback(const RoundSpec& round, const char* org, const char* text) {
    GiveFeedbackRequest r;
    r.set_referral_id(round.case_number);
    r.set_org_id(org);
    r.set_text(text);
    Command(c_, kKsHandlaggare, c_.followup(), &FollowupService::Stub::GiveFeedback, r,
            absl::StrCat("feedback-", org));
  }

  // Returns the action's id as the board's row shows it.
  std::string AssignAction(const RoundSpec& round, const char* org, const char* description,
                           const char* due) {
    AssignActionRequest r;
    r.set_referral_id(round.case_number);
    r.set_org_id(org);
    r.set_description(description);
    r.set_due_date(due);
    Command(c_, kKsHandlaggare, c_.followup(), &FollowupService::Stub::AssignAction, r,
            absl::StrCat("action-", org));
    StatusBoard board = c_.WaitForBoard(round.case_number, "the action", [&](const StatusBoard& b) {
      for (const BoardRow& row : b.rows()) {
        if (row.org_id() == org && row.actions_size() > 0) return true;
      }
      return false;
    });
    for (const BoardRow& row : board.rows()) {
      if (row.org_id() == org) return row.actions(row.actions_size() - 1).action_id();
    }
    Fail("unreachable");
  }

 private:
  Cluster& c_;
};

class Board {
 public:
  Board(Cluster& c, const RoundSpec& round, const char* org)
      : c_(c),
        round_(round.case_number),
        org_(org),
        officer_{org, "handlaggare", absl::StrCat(org, "-handlaggare-1")},
        secretary_{org, "sekreterare", absl::StrCat(org, "-sekreterare-1")} {}

  void Register(const char* diary_number, const char* registered_on) {
    RegisterResponseRequest r;
    Subject(r);
    r.set_diary_number(diary_number);
    r.set_registered_on(registered_on);
    Command(c_, officer_, c_.responses(), &ResponseService::Stub::RegisterResponse, r,
            What("register"));
  }

  void AssignOfficer(const CaseOfficer& officer) {
    AssignCaseOfficerRequest r;
    Subject(r);
    *r.mutable_officer() = officer;
    Command(c_, officer_, c_.responses(), &ResponseService::Stub::AssignCaseOfficer, r,
            What("officer"));
  }

  void Consult(ConsultationBody body, const char* date, const char* body_name = "") {
    RecordConsultationRequest r;
    Subject(r);
    r.mutable_consultation()->set_body(body);
    r.mutable_consultation()->set_body_name(body_name);
    r.mutable_consultation()->set_date(date);
    Command(c_, officer_, c_.responses(), &ResponseService::Stub::RecordConsultation, r,
            What("consultation"));
  }

  void DraftStatement(const Statement& statement) {
    RecordStatementRequest r;
    Subject(r);
    *r.mutable_statement() = statement;
    Command(c_, officer_, c_.responses(), &ResponseService::Stub::RecordStatement, r,
            What("statement"));
  }

  void Attest(const char* name, const char* title, const char* date) {
    AttestStatementRequest r;
    Subject(r);
    r.mutable_attestation()->set_person_id(absl::StrCat(org_, "-chef-", ++attesters_));
    r.mutable_attestation()->set_name(name);
    r.mutable_attestation()->set_title(title);
    r.mutable_attestation()->set_date(date);
    Command(c_, Who{org_, "chef", r.attestation().person_id()}, c_.responses(),
            &ResponseService::Stub::AttestStatement, r, What("attest"));
  }

  void Decide(const BoardDecision& decision) {
    RecordBoardDecisionRequest r;
    Subject(r);
    *r.mutable_decision() = decision;
    Command(c_, secretary_, c_.responses(), &ResponseService::Stub::RecordBoardDecision, r,
            What("decision"));
  }

  void DecideByDelegation(const DelegationDecision& delegation) {
    RecordDelegationDecisionRequest r;
    Subject(r);
    *r.mutable_delegation() = delegation;
    Command(c_, officer_, c_.responses(), &ResponseService::Stub::RecordDelegationDecision, r,
            What("delegation"));
  }

  void Submit(std::vector<Document> documents = {}, const char* note = "") {
    SubmitResponseRequest r;
    Subject(r);
    for (Document& d : documents) *r.add_documents() = std::move(d);
    r.set_note(note);
    Command(c_, secretary_, c_.responses(), &ResponseService::Stub::SubmitResponse, r,
            What("submit"));
  }

  // Asks KS for more time (anstånd); returns the request's id as the deadline shows it.
  std::string RequestExtension(const char* until, const char* reason) {
    RequestExtensionRequest r;
    Subject(r);
    r.set_requested_date(until);
    r.set_reason(reason);
    Command(c_, officer_, c_.deadlines(), &DeadlineService::Stub::RequestExtension, r,
            What("extension"));
    Deadline d = c_.WaitForDeadline(round_, org_, "the request", [&](const Deadline& seen) {
      return seen.extensions_size() > 0 &&
             seen.extensions(seen.extensions_size() - 1).requested_date() == until;
    });
    return d.extensions(d.extensions_size() - 1).extension_id();
  }

  void ReportActionDone(const std::string& action_id, const char* done_on, const char* note) {
    ReportActionDoneRequest r;
    r.set_referral_id(round_);
    r.set_org_id(org_);
    r.set_action_id(action_id);
    r.set_done_on(done_on);
    r.set_note(note);
    Command(c_, officer_, c_.followup(), &FollowupService::Stub::ReportActionDone, r,
            What("action-done"));
  }

 private:
  template <typename Request>
  void Subject(Request& r) const {
    r.set_referral_id(round_);
    r.set_org_id(org_);
  }
  std::string What(absl::string_view step) const { return absl::StrCat(org_, "-", step); }

  Cluster& c_;
  std::string round_;
  std::string org_;
  Who officer_;
  Who secretary_;
  int attesters_ = 0;
};


// =====================================================================================
// The scenario.
// =====================================================================================

void TheFirstRound(Cluster& c) {
  const RoundSpec round = Round2019();
  Ks ks(c);

  c.SetClock(kKsRegistersOrganizations);
  c.Note("KS registers the eight organizations");
  for (const OrgSpec& org : Organizations()) ks.RegisterOrganization(org);
  ks.SetRegistryMailbox(kSocial, kSocialMailbox);
  c.Note("KS saves its distribution lists: samtliga stadsdelsnämnder, facknämnderna");
  for (const ListSpec& list : DistributionLists()) ks.SaveDistributionList(list);

  c.SetClock(kKsDraftsRound2019);
  c.Note("KS drafts KS 2019/1939: the program attached, six boards addressed from two lists "
         "(kyrkogårdsnämnden left out), deadline 2021-02-26");
  ks.DraftRound(round);
  c.SetClock(kKsIssuesRound2019);
  c.Note("KS issues KS 2019/1939");
  ks.Issue(round);

  Board bromma(c, round, kBromma);
  Board sodermalm(c, round, kSodermalm);
  Board hv(c, round, kHasselbyVallingby);
  Board skarholmen(c, round, kSkarholmen);
  Board utbildning(c, round, kUtbildning);
  Board social(c, round, kSocial);

  // The administrations register the round in their diaries.
  c.SetClock(kBrommaAndHvRegister);
  c.Note("Bromma and Hässelby-Vällingby register the round in their diaries");
  bromma.Register("BRO 2020/440", "2020-12-14");
  hv.Register("Dnr HV 2020/786", "2020-12-14");
  c.SetClock(kSodermalmAndUtnRegister);
  c.Note("Södermalm and utbildningsnämnden register it; Södermalm names its case officer");
  sodermalm.Register(kSodermalmDiaryNumber, "2020-12-15");
  sodermalm.AssignOfficer(SodermalmOfficer());
  utbildning.Register(kUtbildningDiaryNumber, "2020-12-15");
  c.SetClock(kSkarholmenAndSocRegister);
  c.Note("Skärholmen and socialnämnden register it");
  skarholmen.Register("SKÄ 2020/612", "2020-12-16");  // made up
  social.Register("SOC 2020/1419", "2020-12-16");     // made up

  c.SetClock(kBrommaAndHvDraft);
  c.Note("Bromma and Hässelby-Vällingby draft their statements");
  bromma.DraftStatement(BrommaStatement());
  hv.DraftStatement(HasselbyVallingbyStatement());

  // Södermalm: the statement (dated for the board's meeting on 25 February) is attested
  // digitally on 5 February; the councils meet on 15 and 16 February.
  c.SetClock(kSodermalmDraftsAndAttests);
  c.Note("Södermalm drafts its statement; two officers attest it");
  sodermalm.DraftStatement(SodermalmStatement());
  sodermalm.Attest("Ann-Christine Jenvén", "Stadsdelsdirektör", "2021-02-05");
  sodermalm.Attest("Maria Klemets Hellberg", "Avdelningschef", "2021-02-05");

  // Utbildningsnämnden: "Ärendet kommer att behandlas av den fackliga samverkansgruppen den 9
  // februari 2021 ... och av utbildningsnämndens råd för funktionshinderfrågor den 10 februari".
  c.SetClock(kUtnDrafts);
  c.Note("utbildningsnämnden records its consultations and drafts its statement");
  utbildning.Consult(CONSULTATION_BODY_FACKLIG_SAMVERKAN, "2021-02-09");
  utbildning.Consult(CONSULTATION_BODY_FUNKTIONSHINDERRAD, "2021-02-10",
                     "utbildningsnämndens råd för funktionshinderfrågor");
  utbildning.DraftStatement(UtbildningStatement());
  c.SetClock(kUtnBoardMeets);
  c.Note("utbildningsnämnden decides (§ 9)");
  utbildning.Decide(UtbildningDecision());
  c.SetClock(kUtnSubmits);
  c.Note("utbildningsnämnden submits its answer");
  utbildning.Submit();

  // Skärholmen's board meets only after the deadline: it asks for more time, KS grants it.
  c.SetClock(kSkarholmenAsksForTime);
  c.Note("Skärholmen asks for more time, until 2021-03-12");
  std::string anstand =
      skarholmen.RequestExtension("2021-03-12", "Nämnden sammanträder först den 11 mars 2021.");
  c.SetClock(kKsGrantsExtension);
  c.Note("KS grants Skärholmen the extension");
  ks.DecideExtension(round, kSkarholmen, anstand, "Anstånd beviljas till den 12 mars 2021.");
  c.WaitForDeadline(round.case_number, kSkarholmen, "the extension", [](const Deadline& d) {
    return d.effective_date() == "2021-03-12";
  });

  c.SetClock(kSodermalmRecordsConsultations);
  c.Note("Södermalm records its consultations");
  sodermalm.Consult(CONSULTATION_BODY_FORVALTNINGSGRUPP, "2021-02-15");
  sodermalm.Consult(CONSULTATION_BODY_PENSIONARSRAD, "2021-02-15");
  sodermalm.Consult(CONSULTATION_BODY_FUNKTIONSHINDERRAD, "2021-02-16",
                    "rådet för funktionshinderfrågor");

  c.SetClock(kBrommaAndHvBoardsMeet);
  c.Note("Bromma (§ 5, a reservation and three special statements) and Hässelby-Vällingby decide");
  bromma.Decide(BrommaDecision());
  hv.Decide(HasselbyVallingbyDecision());
  c.SetClock(kBrommaAndHvSubmit);
  c.Note("Bromma and Hässelby-Vällingby submit their answers");
  bromma.Submit({BrommaAnswerDocument()}, "Protokollsutdrag § 5 med remissvar.");
  hv.Submit();

  c.SetClock(kSkarholmenDrafts);
  c.Note("Skärholmen drafts its statement");
  skarholmen.DraftStatement(SkarholmenStatement());

  c.SetClock(kSodermalmBoardMeets);
  c.Note("Södermalm decides (§ 14)");
  sodermalm.Decide(SodermalmDecision());
  c.SetClock(kSodermalmSubmits);
  c.Note("Södermalm submits its answer");
  sodermalm.Submit();

  // The deadline passes: socialnämnden has not answered and is breached; Skärholmen has
  // until 12 March.
  c.SetClock(kDayAfterTheDeadline);
  c.Note("the deadline has passed: socialnämnden is breached, Skärholmen has its extension");
  c.WaitForDeadline(round.case_number, kSocial, "the breach", [](const Deadline& d) {
    return d.outcome() == DEADLINE_OUTCOME_BREACHED;
  });
  StatusBoard after = c.WaitForBoard(round.case_number, "socialnämnden breached",
                                     [](const StatusBoard& b) {
                                       return RowOf(b, kSocial).deadline_outcome() == "breached";
                                     });
  if (c.options().after_the_deadline) c.options().after_the_deadline(after);

  // Socialnämnden answers late, on delegation.
  c.SetClock(kSocDrafts);
  c.Note("socialnämnden drafts its statement");
  social.DraftStatement(SocialStatement());
  c.SetClock(kSocSubmitsLate);
  c.Note("socialnämnden decides on delegation and submits, late");
  social.DecideByDelegation(SocialDelegation());
  social.Submit();

  c.SetClock(kSkarholmenBoardMeets);
  c.Note("Skärholmen decides (§ 6)");
  skarholmen.Decide(SkarholmenDecision());
  c.SetClock(kSkarholmenSubmits);
  c.Note("Skärholmen submits, within its extension");
  skarholmen.Submit();

  // KS compiles once every answer is in, records the adoption, feeds back, follows up.
  c.SetClock(kKsCompiles);
  c.Note("every answer is in: KS freezes the compilation");
  c.WaitForBoard(round.case_number, "every answer in", [](const StatusBoard& b) {
    return b.not_answered_size() == 0 && RowOf(b, kSocial).late() &&
           RowOf(b, kSkarholmen).deadline_outcome() == "met";
  });
  ks.FreezeCompilation(round,
                       "Sammanställning av remissvaren inför beredningen i kommunstyrelsen.");

  c.SetClock(kKsRecordsAdoption);
  c.Note("KS records the adoption by kommunfullmäktige, feeds back to utbildningsnämnden, assigns it an action");
  // chosen: the adoption's date and reference (002 says only "antogs av kommunfullmäktige 2021")
  ks.RecordOutcome(round, "kommunfullmäktige", "2021-06-14", "KF 2021-06-14 § 12",
                   "Programmet antogs");
  ks.GiveFeedback(round, kUtbildning, kFeedbackToUtbildning);
  std::string action = ks.AssignAction(round, kUtbildning, kCoordinatorAction, "2021-09-30");

  c.SetClock(kUtnReportsCoordinator);
  c.Note("utbildningsnämnden reports the action done");
  utbildning.ReportActionDone(action, "2021-09-01",
                              "Samordnare utsedd vid avdelningen för ekonomi och styrning.");
}

void TheRevision(Cluster& c) {
  const RoundSpec round = Round2023();
  Ks ks(c);

  c.SetClock(kKsIssuesRevision);
  c.Note("KS drafts, links and issues the revision KS 2023/739 to four boards, deadline 2023-12-20");
  ks.DraftRound(round);
  ks.LinkRevision(round, Round2019());
  ks.Issue(round);

  Board kyrkogard(c, round, kKyrkogard);
  Board bromma(c, round, kBromma);
  Board utbildning(c, round, kUtbildning);
  Board hv(c, round, kHasselbyVallingby);

  c.SetClock(kRevisionRegistered);
  c.Note("the four boards register the revision");
  kyrkogard.Register(kKyrkogardDiaryNumber, "2023-11-08");
  bromma.Register("BRO 2023/512", "2023-11-08");        // made up
  utbildning.Register("UTN 2023/2011", "2023-11-08");   // made up
  hv.Register("Dnr HV 2023/655", "2023-11-08");         // made up; HV has not answered yet

  c.SetClock(kKyrkogardAttests);
  c.Note("kyrkogårdsnämnden drafts its statement; the förvaltningschef attests it");
  kyrkogard.DraftStatement(KyrkogardStatement());
  kyrkogard.Attest("Svante Borg", "Förvaltningschef", "2023-11-21");
  c.SetClock(kKyrkogardForvaltningsgrupp);
  c.Note("kyrkogårdsnämnden records its förvaltningsgrupp");
  kyrkogard.Consult(CONSULTATION_BODY_FORVALTNINGSGRUPP, "2023-12-05");

  c.SetClock(kBrommaAnswersRevision);
  c.Note("Bromma answers the revision on delegation");
  bromma.DraftStatement(PositiveOnTheRevision(
      "Förvaltningen ställer sig positiv till det reviderade trygghetsprogrammet."));
  DelegationDecision delegation;
  delegation.set_person_id("bromma-sdn-direktor-1");
  delegation.set_decided_by_name("Stadsdelsdirektören");
  delegation.set_decided_by_title("Stadsdelsdirektör");
  delegation.set_date("2023-12-07");
  delegation.set_decision_text("Svaret på remissen lämnas på delegation.");
  bromma.DecideByDelegation(delegation);
  bromma.Submit();

  c.SetClock(kRevisionBoardsMeet);
  c.Note("kyrkogårdsnämnden (§ 10) and utbildningsnämnden (§ 8) decide");
  kyrkogard.Decide(KyrkogardDecision());
  utbildning.DraftStatement(PositiveOnTheRevision(
      "Utbildningsförvaltningen ställer sig positiv till det reviderade programmet, vars "
      "struktur har blivit tydligare."));
  BoardDecision utn;
  utn.set_meeting_date("2023-12-14");
  utn.set_paragraph("§ 8");
  utn.set_decision_text("Utbildningsnämnden överlämnar tjänsteutlåtandet som svar på remissen.");
  utn.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  utbildning.Decide(utn);

  c.SetClock(kRevisionSubmitted);
  c.Note("kyrkogårdsnämnden and utbildningsnämnden submit; Hässelby-Vällingby has not answered yet");
  kyrkogard.Submit();
  utbildning.Submit();
}

}  // namespace

absl::Status PlayTheFirstRound(Cluster& c) {
  return Guarded([&] { TheFirstRound(c); });
}

absl::Status PlayTheRevision(Cluster& c) {
  return Guarded([&] { TheRevision(c); });
}

absl::Status PlayBothRounds(Cluster& c) {
  return Guarded([&] {
    TheFirstRound(c);
    TheRevision(c);
    c.SetClock(kKsLooksAtEverything);
    c.Note("KS looks at everything, two days before the revision's deadline");
    c.Settle();
  });
}

}  // namespace remiss::seed
