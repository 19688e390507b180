#include "tests/faults/rounds_load.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"

namespace remiss::faults {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout

namespace {

std::string BoardOf(int i) { return absl::StrCat("b-", i); }
std::string CaseNumberOf(int i) { return absl::StrCat("KS 2021/", 1000 + i); }

}  // namespace

std::string RoundsLoad::RoundId(int i) { return absl::StrCat("ks-2021-", 1000 + i); }

RoundsLoad::RoundsLoad(Services& services, int max_rounds, int board_threads,
                       absl::Duration pause)
    : services_(services),
      max_rounds_(max_rounds),
      board_threads_(board_threads),
      pause_(pause != absl::InfiniteDuration() ? pause
                                               : absl::Milliseconds(Size("ROUND_PAUSE_MS", 100, 20))) {}

RoundsLoad::~RoundsLoad() {
  stop_rounds_ = true;
  give_up_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

absl::Status RoundsLoad::Start() {
  RegisterOrganizationRequest ks;
  ks.set_command_id("setup-ks");
  ks.set_org_id("ks");
  ks.set_name("Kommunstyrelsen");
  ks.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  ks.set_diary_prefix("KS");
  ks.set_may_send_rounds(true);  // a ks acts only for an organization that may send rounds
  if (!Do("referrals", Command(&ReferralService::Stub::RegisterOrganization, ks), "setup-ks")) {
    return absl::InternalError("registering KS failed");
  }
  threads_.emplace_back([this] { Ks(); });
  for (int b = 0; b < board_threads_; ++b) threads_.emplace_back([this] { Board(); });
  return absl::OkStatus();
}

std::vector<std::string> RoundsLoad::Finish(absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ks_done_.load() && to_answer_.empty() && answering_ == 0;
  };
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(&answered), until);
  }
  give_up_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out = failures_;
  if (!answered()) out.push_back(absl::StrCat("the load did not finish within ", absl::FormatDuration(limit)));
  return out;
}

std::vector<std::string> RoundsLoad::RoundIds() const {
  std::vector<std::string> out;
  for (int i = 0; i < issued_.load(); ++i) out.push_back(RoundId(i));
  return out;
}

bool RoundsLoad::Do(const std::string& service, const Send& send, const std::string& what,
                    bool until_known) {
  CommandOutcome outcome;
  for (;;) {
    outcome = Execute(services_.endpoint(service), send, &give_up_);
    if (until_known && outcome.status.error_code() == grpc::StatusCode::NOT_FOUND &&
        !give_up_.load()) {
      absl::SleepFor(absl::Milliseconds(20));
      continue;
    }
    break;
  }
  if (outcome.was_in_doubt) ++retried_;
  if (!outcome.status.ok()) {
    absl::MutexLock lock(&mu_);
    failures_.push_back(absl::StrCat(what, " (", service, ", ", outcome.tries,
                                     " tries): ", Describe(outcome.status)));
    return false;
  }
  ++ok_;
  if (marker_.load()) ++ok_marked_;
  return true;
}

void RoundsLoad::Ks() {
  const Caller ks;
  for (int i = 0; !stop_rounds_.load() && (max_rounds_ < 0 || i < max_rounds_); ++i) {
    const std::string p = absl::StrCat("r", i, "-");
    RegisterOrganizationRequest org;
    org.set_command_id(p + "org");
    org.set_org_id(BoardOf(i));
    org.set_name(absl::StrCat("Nämnd ", i));
    org.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
    org.set_diary_prefix("BRD");
    CreateReferralRequest create;
    create.set_command_id(p + "create");
    create.set_case_number(CaseNumberOf(i));
    create.set_title(absl::StrCat("Remiss ", i));
    create.set_sender_org_id("ks");
    AddAddresseeRequest add;
    add.set_command_id(p + "add");
    add.set_referral_id(RoundId(i));
    add.set_org_id(BoardOf(i));
    AddAddresseeRequest add_previous = add;
    add_previous.set_command_id(p + "add-previous");
    add_previous.set_org_id(BoardOf(i - 1));
    SetDeadlineRequest deadline;
    deadline.set_command_id(p + "deadline");
    deadline.set_referral_id(RoundId(i));
    deadline.set_deadline("2021-03-31");
    IssueReferralRequest issue;
    issue.set_command_id(p + "issue");
    issue.set_referral_id(RoundId(i));
    bool ok = Do("referrals", Command(&ReferralService::Stub::RegisterOrganization, org, ks), p + "org") &&
              Do("referrals", Command(&ReferralService::Stub::CreateReferral, create, ks), p + "create") &&
              Do("referrals", Command(&ReferralService::Stub::AddAddressee, add, ks), p + "add") &&
              (i == 0 || Do("referrals", Command(&ReferralService::Stub::AddAddressee, add_previous, ks),
                            p + "add-previous")) &&
              Do("referrals", Command(&ReferralService::Stub::SetDeadline, deadline, ks), p + "deadline") &&
              Do("referrals", Command(&ReferralService::Stub::IssueReferral, issue, ks), p + "issue");
    if (!ok) break;
    ++issued_;
    absl::SleepFor(pause_);
    absl::MutexLock lock(&mu_);
    to_answer_.push_back(i);
  }
  ks_done_ = true;
  absl::MutexLock lock(&mu_);  // wakes Finish
}

void RoundsLoad::Board() {
  for (;;) {
    int i = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !to_answer_.empty() || ks_done_.load() || give_up_.load();
      };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(100));
      if (to_answer_.empty()) {
        if (ks_done_.load() || give_up_.load()) return;
        continue;
      }
      i = to_answer_.front();
      to_answer_.pop_front();
      ++answering_;
    }
    const std::string p = absl::StrCat("r", i, "-");
    const Caller registrator{.org = BoardOf(i), .role = "board", .person = "registrator-1"};
    RegisterResponseRequest reg;
    reg.set_command_id(p + "register");
    reg.set_referral_id(RoundId(i));
    reg.set_org_id(BoardOf(i));
    reg.set_diary_number(absl::StrCat("BRD 2021/", i + 1));
    reg.set_registered_on("2021-02-01");
    RecordStatementRequest statement;
    statement.set_command_id(p + "statement");
    statement.set_referral_id(RoundId(i));
    statement.set_org_id(BoardOf(i));
    Statement* s = statement.mutable_statement();
    s->set_statement_date("2021-02-01");
    s->add_proposed_decision("Nämnden överlämnar tjänsteutlåtandet som svar på remissen.");
    s->set_summary(absl::StrCat("Svar på remiss ", i));
    // (Positive with remarks would need remarks.)
    static const Standpoint kStandpoints[] = {STANDPOINT_POSITIVE, STANDPOINT_NEGATIVE,
                                              STANDPOINT_NO_OPINION};
    s->set_standpoint(kStandpoints[i % 3]);
    RecordDelegationDecisionRequest decision;
    decision.set_command_id(p + "decision");
    decision.set_referral_id(RoundId(i));
    decision.set_org_id(BoardOf(i));
    DelegationDecision* d = decision.mutable_delegation();
    d->set_decided_by_name("Stadsdelsdirektören");
    d->set_decided_by_title("Stadsdelsdirektör");
    d->set_date("2021-02-01");
    d->set_decision_text("Beslut enligt förslaget.");
    SubmitResponseRequest submit;
    submit.set_command_id(p + "submit");
    submit.set_referral_id(RoundId(i));
    submit.set_org_id(BoardOf(i));
    (void)(Do("responses", Command(&ResponseService::Stub::RegisterResponse, reg, registrator),
              p + "register", /*until_known=*/true) &&
           Do("responses",
              Command(&ResponseService::Stub::RecordStatement, statement,
                      {BoardOf(i), "board", "handlaggare-1"}),
              p + "statement") &&
           Do("responses",
              Command(&ResponseService::Stub::RecordDelegationDecision, decision,
                      {BoardOf(i), "board", "direktor-1"}),
              p + "decision") &&
           Do("responses", Command(&ResponseService::Stub::SubmitResponse, submit, registrator),
              p + "submit"));
    if (i > 0) {
      RegisterResponseRequest previous;
      previous.set_command_id(p + "register-previous");
      previous.set_referral_id(RoundId(i));
      previous.set_org_id(BoardOf(i - 1));
      previous.set_diary_number(absl::StrCat("BRD 2021/", 100000 + i));
      previous.set_registered_on("2021-02-01");
      (void)Do("responses",
               Command(&ResponseService::Stub::RegisterResponse, previous,
                       {BoardOf(i - 1), "board", "registrator-1"}),
               p + "register-previous", /*until_known=*/true);
    }
    absl::MutexLock lock(&mu_);
    --answering_;
  }
}

}  // namespace remiss::faults

namespace remiss::faults {

absl::StatusOr<RunResult> CollectAndStop(Services& services,
                                         const std::vector<std::string>& round_ids,
                                         absl::Duration limit) {
  if (absl::Status s = services.Settle(limit); !s.ok()) return s;
  RunResult run;
  auto followup = services.endpoint("followup").Channel();
  if (followup == nullptr) return absl::UnavailableError("followup is down");
  run.boards = StatusBoards(*followup, round_ids);
  run.digests = ProjectionDigests(services);
  for (const std::string& s : ServiceNames()) {
    auto channel = services.endpoint(s).Channel();
    if (channel == nullptr) return absl::UnavailableError(s + " is down");
    auto p = PositionsOf(*channel, s);
    if (!p.ok()) return p.status();
    run.heads[s] = p->log_position();
  }
  if (std::string how = services.StopAll(); !how.empty()) {
    return absl::InternalError("did not stop cleanly: " + how);
  }
  for (const std::string& s : {"responses", "deadlines", "followup"}) {
    auto log = LogOnDisk(services.DataDir(s), s);
    if (!log.ok()) return log.status();
    run.logs[s] = std::move(*log);
  }
  return run;
}

absl::StatusOr<RunResult> RemissdRounds(const std::string& dir, int rounds) {
  Services remissd(Deployment::kRemissd, dir, "", "2021-02-01T09:00:00+01:00");
  if (absl::Status s = remissd.StartAll(); !s.ok()) return s;
  RoundsLoad load(remissd, rounds, 2, absl::ZeroDuration());
  if (absl::Status s = load.Start(); !s.ok()) return s;
  std::vector<std::string> failures = load.Finish(absl::Seconds(300));
  if (!failures.empty()) {
    return absl::InternalError(absl::StrCat("the remissd run: ", failures.front()));
  }
  return CollectAndStop(remissd, load.RoundIds());
}

std::vector<std::string> CompareWithReference(const RunResult& run, const RunResult& reference,
                                              const std::vector<std::string>& services) {
  std::vector<std::string> out;
  if (std::string d = DescribeDifference(run.boards, reference.boards); !d.empty()) {
    out.push_back(absl::StrCat("KS's status boards differ from remissd's: ", d));
  }
  for (const std::string& s : services) {
    auto a = run.digests.find(s);
    auto b = reference.digests.find(s);
    if (a == run.digests.end() || b == reference.digests.end() || a->second != b->second) {
      out.push_back(absl::StrCat(s, ": projection digest ",
                                 a == run.digests.end() ? "none" : a->second, " vs remissd's ",
                                 b == reference.digests.end() ? "none" : b->second));
    }
  }
  return out;
}

std::vector<std::string> CheckExactlyOnce(const RunResult& run, const RunResult& reference) {
  std::vector<std::string> out;
  for (const auto& [service, log] : run.logs) {
    const AppliedCheck check = CheckApplied(log);
    for (const std::string& twice : check.twice) {
      out.push_back(absl::StrCat(service, " applied ", twice, " twice"));
      if (out.size() > 20) return out;
    }
    auto ref = reference.logs.find(service);
    if (ref != reference.logs.end()) {
      const AppliedCheck expected = CheckApplied(ref->second);
      if (check.by_type != expected.by_type) {
        std::string a, b;
        for (const auto& [type, n] : check.by_type) absl::StrAppend(&a, type, " ", n, "; ");
        for (const auto& [type, n] : expected.by_type) absl::StrAppend(&b, type, " ", n, "; ");
        out.push_back(absl::StrCat(service, " recorded from its feeds: ", a, "remissd: ", b));
      }
    }
  }
  auto responses = run.logs.find("responses");
  if (responses != run.logs.end()) {
    for (const auto& [position, n] : RoundTermsByReferralsPosition(responses->second)) {
      if (n > 1) {
        out.push_back(absl::StrCat("responses restated referrals position ", position, " ", n,
                                   " times (RoundTermsRecorded)"));
      }
    }
  }
  return out;
}

}  // namespace remiss::faults
