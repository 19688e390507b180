#include "tests/simulation/world.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "remiss/core/base/civil_date.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/faults/fault_support.h"

namespace remiss::sim {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout
using faults::Caller;

Fate FateOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return Fate::kAcknowledged;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Fate::kRefused;
    default:
      return Fate::kInDoubt;
  }
}

bool Undocumented(grpc::StatusCode code) { return code == grpc::StatusCode::INTERNAL; }

bool Ledger::acknowledged() const { return first_ok() != nullptr; }

bool Ledger::only_refused() const {
  return std::all_of(tries.begin(), tries.end(),
                     [](const Try& t) { return FateOf(t.code) == Fate::kRefused; });
}

// Tries sent in one step are concurrent: which of them the service took first is its queue's
// order, not the order they are listed in. So the first OK is, among the OK answers of the
// earliest step that has one, the one that executed (not `repeated`), if one did.
const Ledger::Try* Ledger::first_ok() const {
  const Try* first = nullptr;
  for (const Try& t : tries) {
    if (t.code != grpc::StatusCode::OK) continue;
    if (first == nullptr) {
      first = &t;
    } else if (t.step == first->step && first->result.repeated() && !t.result.repeated()) {
      first = &t;
    }
  }
  return first;
}

namespace {

const Caller kKs{"ks", "ks", "ks-handlaggare-1"};

Caller Board(const std::string& org, const char* person) { return {org, "board", person}; }

// A command to `method` of a service's stub, as `caller`; `apply` runs on its first OK.
template <typename Request, typename Stub>
Command Make(const std::string& service, const std::string& rpc,
             grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, CommandResult*),
             const Request& request, const Caller& caller,
             std::function<void(World&, const CommandResult&, absl::Time)> apply,
             std::vector<std::string> touches) {
  Command c;
  c.service = service;
  c.rpc = rpc;
  c.org = caller.org;
  c.role = caller.role;
  c.person = caller.person;
  c.command_id = request.command_id();
  c.fingerprint = request.SerializeAsString();
  c.send = faults::Command(method, request, caller);
  c.apply = std::move(apply);
  c.touches = std::move(touches);
  return c;
}

std::string Day(absl::CivilDay d) { return core::FormatCivilDate(d); }

absl::CivilDay Today(absl::Time now) { return core::StockholmDate(now); }

}  // namespace

World::World(uint64_t seed) : random_(seed) {
  // Real rounds go to tens or hundreds of boards; most runs stay small to be quick.
  boards_wanted_ = Chance(0.15) ? Int(60, 140) : Int(4, 30);
}

std::string World::NewId(int step) { return absl::StrCat("s", step, "-", next_id_++); }

absl::CivilDay World::DayAfter(absl::Time now, int min_days, int max_days) {
  return Today(now) + Int(min_days, max_days);
}

std::optional<absl::CivilDay> World::Effective(const Round& r, const BoardDeadline& d) const {
  if (d.frozen) return d.frozen;
  std::optional<absl::CivilDay> stated = d.stated ? d.stated : r.deadline;
  if (!stated) return std::nullopt;
  if (d.granted && *d.granted > *stated) return d.granted;
  return stated;
}

void World::Answered(const std::string& id, const std::string& org, absl::Time at) {
  Round& round = rounds_[id];
  BoardDeadline& d = round.boards[org];
  d.stage = 4;
  d.answered_at = at;
  if (!d.settled_at) {
    d.frozen = Effective(round, d);
    d.settled_at = at;
  }
}

void World::Uncertain(const std::vector<std::string>& touches) {
  for (const std::string& t : touches) {
    const size_t slash = t.find('/');
    auto r = rounds_.find(t.substr(0, slash));
    if (r == rounds_.end()) continue;
    const std::string org = t.substr(slash + 1);
    if (org == "*") {
      r->second.uncertain = true;
      for (auto& [_, d] : r->second.boards) d.uncertain = true;
    } else if (auto d = r->second.boards.find(org); d != r->second.boards.end()) {
      d->second.uncertain = true;
    }
  }
}

void World::Answer(const Command& c, grpc::StatusCode code, const std::string& message,
                   const CommandResult& result, absl::Time at, int step) {
  Ledger& l = ledger_[{c.service, c.org, c.command_id}];
  const bool first = l.tries.empty();
  if (first) l.command = c;
  const bool had_ok = l.acknowledged();
  l.tries.push_back(Ledger::Try{code, message, result, at, step, c.fingerprint == l.command.fingerprint});
  switch (FateOf(code)) {
    case Fate::kAcknowledged:
      ++acknowledged;
      if (!had_ok && c.fingerprint == l.command.fingerprint && l.command.apply) {
        // A first OK after tries in doubt: the events may date from an earlier try.
        const bool doubted = !first;
        l.command.apply(*this, result, at);
        if (doubted) Uncertain(l.command.touches);
      }
      break;
    case Fate::kRefused:
      ++refused;
      break;
    case Fate::kInDoubt:
      ++in_doubt;
      if (!had_ok) Uncertain(l.command.touches);
      break;
  }
}

std::vector<const Ledger*> World::InDoubt() const {
  std::vector<const Ledger*> out;
  for (const auto& [_, l] : ledger_) {
    if (l.acknowledged() || l.tries.empty()) continue;
    if (FateOf(l.tries.back().code) == Fate::kInDoubt) out.push_back(&l);
  }
  return out;
}

Command World::Again(const Command& c, bool other_content, int step) {
  Command again = c;
  if (other_content && c.service == "responses") {
    // The same id with other content: the service must refuse it (ALREADY_EXISTS) once the
    // first is recorded. Sent as the board's decline of a round that does not exist.
    DeclineResponseRequest r;
    r.set_command_id(c.command_id);
    r.set_referral_id("ks-none");
    r.set_org_id(c.org);
    r.set_reason(absl::StrCat("Annat innehåll, steg ", step));
    again = Make(c.service, "DeclineResponse(other content)", &ResponseService::Stub::DeclineResponse,
                 r, Caller{c.org, c.role, c.person}, nullptr, {});
  }
  return again;
}

Command World::RegisterBoard(int step) {
  const std::string org = absl::StrCat("sdn-", boards_.size() + boards_pending_.size() + 1);
  boards_pending_.insert(org);
  RegisterOrganizationRequest r;
  r.set_command_id(NewId(step));
  r.set_org_id(org);
  r.set_name(absl::StrCat("Stadsdelsnämnd ", org));
  r.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
  r.set_diary_prefix("SDN");
  return Make("referrals", "RegisterOrganization", &ReferralService::Stub::RegisterOrganization, r,
              kKs,
              [org](World& w, const CommandResult&, absl::Time) {
                w.boards_pending_.erase(org);
                w.boards_.push_back(org);
              },
              {});
}

Command World::RegisterKs(int step) {
  RegisterOrganizationRequest r;
  r.set_command_id(NewId(step));
  r.set_org_id(kKs.org);
  r.set_name("Kommunstyrelsen");
  r.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
  r.set_diary_prefix("KS");
  r.set_registry_mailbox("registrator@ks.example.se");
  // KS registers itself as the organization that may send rounds (the first start's
  // concession): until then every ks command, boards' registrations too, is refused.
  r.set_may_send_rounds(true);
  return Make("referrals", "RegisterOrganization", &ReferralService::Stub::RegisterOrganization, r,
              kKs, [](World& w, const CommandResult&, absl::Time) { w.ks_registered_ = true; },
              {});
}

Command World::CreateRound(int step) {
  ++rounds_created_;
  CreateReferralRequest r;
  r.set_command_id(NewId(step));
  r.set_case_number(absl::StrCat("KS 2026/", 100 + rounds_created_));
  r.set_title(absl::StrCat("Remiss ", rounds_created_));
  r.set_summary("Remissen gäller ett förslag.\nSvar önskas senast den angivna dagen.");
  r.set_sender_org_id("ks");
  // Most boards of the city, some left out.
  std::vector<std::string> to;
  for (const std::string& b : boards_) {
    if (!Chance(0.15)) to.push_back(b);
  }
  for (const std::string& b : to) r.add_add_org_ids(b);
  const std::string case_number = r.case_number();
  return Make("referrals", "CreateReferral", &ReferralService::Stub::CreateReferral, r, kKs,
              [to, case_number](World& w, const CommandResult& result, absl::Time) {
                Round& round = w.rounds_[result.id()];
                round.id = result.id();
                round.case_number = case_number;
                for (const std::string& b : to) round.boards[b];
              },
              {});
}

Command World::ForRound(Round& r, absl::Time now, int step) {
  const std::string id = r.id;
  if (!r.issued) {
    const int pick = Int(0, 9);
    if (pick < 2 && !boards_.empty()) {
      const std::string org = boards_[Int(0, static_cast<int>(boards_.size()) - 1)];
      AddAddresseeRequest a;
      a.set_command_id(NewId(step));
      a.set_referral_id(id);
      a.set_org_id(org);
      std::optional<absl::CivilDay> override_day;
      if (Chance(0.3)) override_day = DayAfter(now, 5, 40);
      if (override_day) a.set_deadline_override(Day(*override_day));
      return Make("referrals", "AddAddressee", &ReferralService::Stub::AddAddressee, a, kKs,
                  [id, org, override_day](World& w, const CommandResult&, absl::Time) {
                    BoardDeadline& d = w.rounds_[id].boards[org];
                    if (override_day) d.stated = override_day;
                  },
                  {absl::StrCat(id, "/", org)});
    }
    if (!r.deadline || pick < 4) {
      SetDeadlineRequest s;
      s.set_command_id(NewId(step));
      s.set_referral_id(id);
      const absl::CivilDay day = DayAfter(now, Chance(0.2) ? 1 : 5, 45);
      s.set_deadline(Day(day));
      return Make("referrals", "SetDeadline", &ReferralService::Stub::SetDeadline, s, kKs,
                  [id, day](World& w, const CommandResult&, absl::Time) {
                    w.rounds_[id].deadline = day;
                  },
                  {absl::StrCat(id, "/*")});
    }
    IssueReferralRequest i;
    i.set_command_id(NewId(step));
    i.set_referral_id(id);
    return Make("referrals", "IssueReferral", &ReferralService::Stub::IssueReferral, i, kKs,
                [id](World& w, const CommandResult&, absl::Time at) {
                  w.rounds_[id].issued = true;
                  w.rounds_[id].issued_at = at;
                },
                {absl::StrCat(id, "/*")});
  }
  // An issued round: mostly the boards' work, now and then KS's.
  const int pick = Int(0, 99);
  std::vector<std::string> open;
  for (auto& [org, d] : r.boards) {
    if (!d.removed_at && d.stage < 4) open.push_back(org);
  }
  if (pick < 6 && !r.withdrawn) {
    MoveDeadlineRequest m;
    m.set_command_id(NewId(step));
    m.set_referral_id(id);
    std::string org;
    if (Chance(0.5) && !open.empty()) org = open[Int(0, static_cast<int>(open.size()) - 1)];
    m.set_org_id(org);
    const absl::CivilDay day = DayAfter(now, 1, 30);
    m.set_deadline(Day(day));
    m.set_reason("Nämnderna behöver mer tid.");
    return Make("referrals", "MoveDeadline", &ReferralService::Stub::MoveDeadline, m, kKs,
                [id, org, day](World& w, const CommandResult&, absl::Time at) {
                  Round& round = w.rounds_[id];
                  // A move after the current due instant races the breach: unknown.
                  auto racing = [&](BoardDeadline& d) {
                    auto eff = w.Effective(round, d);
                    return eff && core::EndOfStockholmDay(*eff) <= at + absl::Seconds(1);
                  };
                  if (org.empty()) {
                    for (auto& [o, d] : round.boards) {
                      if (d.settled_at) continue;
                      // Whether a round's move overrides an addressee's own date: not modelled.
                      if (racing(d) || d.stated) d.uncertain = true;
                    }
                    round.deadline = day;
                  } else if (auto d = round.boards.find(org); d != round.boards.end()) {
                    if (d->second.settled_at) return;
                    if (racing(d->second)) d->second.uncertain = true;
                    d->second.stated = day;
                  }
                },
                {absl::StrCat(id, "/", org.empty() ? "*" : org)});
  }
  if (pick < 9 && !open.empty()) {
    const std::string org = open[Int(0, static_cast<int>(open.size()) - 1)];
    RemoveAddresseeRequest m;
    m.set_command_id(NewId(step));
    m.set_referral_id(id);
    m.set_org_id(org);
    m.set_reason("Nämnden berörs inte.");
    return Make("referrals", "RemoveAddressee", &ReferralService::Stub::RemoveAddressee, m, kKs,
                [id, org](World& w, const CommandResult&, absl::Time at) {
                  BoardDeadline& d = w.rounds_[id].boards[org];
                  d.removed_at = at;
                  if (!d.settled_at) {
                    d.frozen = w.Effective(w.rounds_[id], d);
                    d.settled_at = at;
                  }
                },
                {absl::StrCat(id, "/", org)});
  }
  if (pick < 10) {
    WithdrawReferralRequest m;
    m.set_command_id(NewId(step));
    m.set_referral_id(id);
    m.set_reason("Ärendet har återkallats.");
    return Make("referrals", "WithdrawReferral", &ReferralService::Stub::WithdrawReferral, m, kKs,
                [id](World& w, const CommandResult&, absl::Time at) {
                  Round& round = w.rounds_[id];
                  round.withdrawn = true;
                  round.withdrawn_at = at;
                },
                {absl::StrCat(id, "/*")});
  }
  if (pick < 16) {
    // KS decides a pending extension.
    for (auto& [org, d] : r.boards) {
      if (d.pending_extensions.empty()) continue;
      const int n = d.pending_extensions.front();
      DecideExtensionRequest x;
      x.set_command_id(NewId(step));
      x.set_referral_id(id);
      x.set_org_id(org);
      x.set_extension_id(absl::StrCat("anstand-", n));
      const bool grant = Chance(0.7);
      x.set_grant(grant);
      if (!grant) x.set_note("Förlängning kan inte medges.");
      const absl::CivilDay asked = d.requested[n];
      const std::string who = org;
      return Make("deadlines", grant ? "DecideExtension(grant)" : "DecideExtension(refuse)",
                  &DeadlineService::Stub::DecideExtension, x, kKs,
                  [id, who, n, grant, asked](World& w, const CommandResult&, absl::Time at) {
                    Round& round = w.rounds_[id];
                    BoardDeadline& d = round.boards[who];
                    d.pending_extensions.erase(
                        std::remove(d.pending_extensions.begin(), d.pending_extensions.end(), n),
                        d.pending_extensions.end());
                    if (!grant || d.settled_at) return;
                    auto eff = w.Effective(round, d);
                    if (eff && core::EndOfStockholmDay(*eff) <= at + absl::Seconds(1)) d.uncertain = true;
                    if (!d.granted || asked > *d.granted) d.granted = asked;
                  },
                  {absl::StrCat(id, "/", org)});
    }
  }
  if (pick < 18) {
    SetReminderPolicyRequest p;
    p.set_command_id(NewId(step));
    p.set_referral_id(id);
    for (int days : {14, 3, 1, -1}) {
      if (Chance(0.5)) p.add_days_before(days);
    }
    return Make("deadlines", "SetReminderPolicy", &DeadlineService::Stub::SetReminderPolicy, p, kKs,
                nullptr, {});
  }
  if (open.empty()) {
    CloseReferralRequest c;
    c.set_command_id(NewId(step));
    c.set_referral_id(id);
    c.set_reason("Alla svar har kommit in.");
    return Make("referrals", "CloseReferral", &ReferralService::Stub::CloseReferral, c, kKs,
                [id](World& w, const CommandResult&, absl::Time) { w.rounds_[id].closed = true; },
                {absl::StrCat(id, "/*")});
  }
  const std::string org = open[Int(0, static_cast<int>(open.size()) - 1)];
  return ForBoard(r, org, r.boards[org], now, step);
}

Command World::ForBoard(Round& r, const std::string& org, BoardDeadline& d, absl::Time now,
                        int step) {
  const std::string id = r.id;
  const std::vector<std::string> touches = {absl::StrCat(id, "/", org)};
  const int pick = Int(0, 99);
  if (pick < 8) {
    RequestExtensionRequest x;
    x.set_command_id(NewId(step));
    x.set_referral_id(id);
    x.set_org_id(org);
    auto eff = Effective(r, d);
    const absl::CivilDay asked = (eff && *eff > Today(now) ? *eff : Today(now)) + Int(2, 20);
    x.set_requested_date(Day(asked));
    x.set_reason("Nämnden sammanträder först efter sista svarsdag.");
    return Make("deadlines", "RequestExtension", &DeadlineService::Stub::RequestExtension, x,
                Board(org, "registrator-1"),
                [id, org, asked](World& w, const CommandResult&, absl::Time) {
                  BoardDeadline& bd = w.rounds_[id].boards[org];
                  const int n = ++bd.extensions;
                  bd.pending_extensions.push_back(n);
                  bd.requested[n] = asked;
                },
                touches);
  }
  if (pick < 12) {
    DeclineResponseRequest x;
    x.set_command_id(NewId(step));
    x.set_referral_id(id);
    x.set_org_id(org);
    x.set_reason("Nämnden avstår från att yttra sig.");
    return Make("responses", "DeclineResponse", &ResponseService::Stub::DeclineResponse, x,
                Board(org, "registrator-1"),
                [id, org](World& w, const CommandResult&, absl::Time at) { w.Answered(id, org, at); },
                touches);
  }
  switch (d.stage) {
    case 0: {
      RegisterResponseRequest x;
      x.set_command_id(NewId(step));
      x.set_referral_id(Chance(0.3) ? r.case_number : id);
      x.set_org_id(org);
      x.set_diary_number(absl::StrCat("SDN 2026/", Int(1, 999)));
      x.set_registered_on(Day(Today(now)));
      return Make("responses", "RegisterResponse", &ResponseService::Stub::RegisterResponse, x,
                  Board(org, "registrator-1"),
                  [id, org](World& w, const CommandResult&, absl::Time) {
                    w.rounds_[id].boards[org].stage = 1;
                  },
                  touches);
    }
    case 1: {
      RecordStatementRequest x;
      x.set_command_id(NewId(step));
      x.set_referral_id(id);
      x.set_org_id(org);
      Statement* s = x.mutable_statement();
      s->set_statement_date(Day(Today(now)));
      s->add_proposed_decision("Nämnden överlämnar tjänsteutlåtandet som svar på remissen.");
      s->set_summary("Förvaltningen är i huvudsak positiv till förslaget.");
      s->set_standpoint(static_cast<Standpoint>(Int(1, 4)));
      return Make("responses", "RecordStatement", &ResponseService::Stub::RecordStatement, x,
                  Board(org, "handlaggare-1"),
                  [id, org](World& w, const CommandResult&, absl::Time) {
                    w.rounds_[id].boards[org].stage = 2;
                  },
                  touches);
    }
    case 2: {
      RecordDelegationDecisionRequest x;
      x.set_command_id(NewId(step));
      x.set_referral_id(id);
      x.set_org_id(org);
      DelegationDecision* dd = x.mutable_delegation();
      dd->set_decided_by_name("Stadsdelsdirektören");
      dd->set_decided_by_title("Stadsdelsdirektör");
      dd->set_date(Day(Today(now)));
      dd->set_decision_text("Yttrandet lämnas på delegation.");
      return Make("responses", "RecordDelegationDecision",
                  &ResponseService::Stub::RecordDelegationDecision, x, Board(org, "direktor-1"),
                  [id, org](World& w, const CommandResult&, absl::Time) {
                    w.rounds_[id].boards[org].stage = 3;
                  },
                  touches);
    }
    default: {
      SubmitResponseRequest x;
      x.set_command_id(NewId(step));
      x.set_referral_id(id);
      x.set_org_id(org);
      return Make("responses", "SubmitResponse", &ResponseService::Stub::SubmitResponse, x,
                  Board(org, "registrator-1"),
                  [id, org](World& w, const CommandResult&, absl::Time at) { w.Answered(id, org, at); },
                  touches);
    }
  }
}

Command World::Next(absl::Time now, int step) {
  if (!ks_registered_) {
    if (!ks_registration_) {
      ks_registration_ = RegisterKs(step);
      return *ks_registration_;
    }
    // In doubt or refused for now: the same again, and nothing else, since no ks acts
    // before KS may send rounds.
    return *ks_registration_;
  }
  if (static_cast<int>(boards_.size() + boards_pending_.size()) < boards_wanted_ &&
      (boards_.size() < 3 || Chance(0.6))) {
    return RegisterBoard(step);
  }
  std::vector<Round*> live;
  for (auto& [_, r] : rounds_) {
    if (!r.withdrawn && !r.closed) live.push_back(&r);
  }
  if (live.empty() || (rounds_created_ < 8 && Chance(live.size() < 2 ? 0.2 : 0.04))) {
    return CreateRound(step);
  }
  return ForRound(*live[Int(0, static_cast<int>(live.size()) - 1)], now, step);
}

}  // namespace remiss::sim
