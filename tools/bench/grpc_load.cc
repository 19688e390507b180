// A gRPC load generator for remiss servers, on gRPC's async API (one completion queue, one
// thread): N concurrent clients, each sending its next call as soon as the last one answered
// (or, with --rate, at most that many calls per second over all clients). Every command has
// a command_id of its own. Prints one `result` line of figures; asserts nothing.
//
// Workloads:
//   register   RegisterOrganization with unique ids (KS registers organizations)
//   mix        the seed rounds' commands, round after round with unique case numbers: KS
//              creates a round, attaches the program, addresses four boards, sets the deadline
//              and issues it; each board registers its answer, records its statement (the
//              seed boards' texts), decides by delegation and submits (24 commands a round).
//              A board's first command waits (retrying) until responses has heard of the round.
//   noop-register, noop-mix
//              grpc.health.v1.Health/Check carrying the same bytes as the named workload's
//              requests (as an unknown field, so the request is as large), with the same
//              metadata: the server's cost of a call that does nothing.
//
// --server-pid PID: also prints the server's CPU time (user + system, /proc/PID/stat) per
// call over the run. --probe (with --followup): one more client measures SubmitResponse ->
// visible on KS's status board (GetStatusBoard polled every 0.5 ms) while the load runs.
//
// Run: remiss-bench-grpc --target 127.0.0.1:50051 --workload register --clients 64 --seconds 5
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/alarm.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tools/seed/seed_data.h"

namespace {

using namespace remiss::v1;  // NOLINT

struct Options {
  std::string target = "127.0.0.1:50051";
  std::string responses;  // default: target
  std::string followup;   // default: target
  std::string workload = "register";
  int clients = 8;
  double seconds = 5;
  double rate = 0;  // calls per second over all clients; 0: as fast as answered
  long server_pid = 0;
  bool probe = false;
  std::string label;
};

struct Who {
  std::string org, role, person;
};

// One call to make: method path, bytes, caller, and whether "not yet" answers are retried.
struct Call {
  std::string method;
  std::string bytes;
  Who who;
  bool retry_not_yet = false;
};

std::string RunId() { return absl::StrCat(::getpid() % 100000, absl::ToUnixMillis(absl::Now()) % 100000000); }

std::string Today(int plus_days = 0) {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * plus_days), remiss::seed::Stockholm());
}

const std::vector<const char*>& Boards() {
  static const std::vector<const char*> boards = {remiss::seed::kBromma, remiss::seed::kSodermalm,
                                                  remiss::seed::kHasselbyVallingby,
                                                  remiss::seed::kUtbildning};
  return boards;
}

Statement StatementOf(const char* org) {
  if (org == remiss::seed::kSodermalm) return remiss::seed::SodermalmStatement();
  return remiss::seed::BrommaStatement();
}

// The requests of a round's steps after its creation, as the mix and the probe send them;
// `id` is the command_id.
AddAddresseeRequest Addressing(const std::string& id, const std::string& referral_id,
                               const char* org) {
  AddAddresseeRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  r.set_org_id(org);
  r.set_answer(ANSWER_KIND_REQUIRED);
  return r;
}

SetDeadlineRequest Deadline(const std::string& id, const std::string& referral_id) {
  SetDeadlineRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  r.set_deadline(Today(60));
  r.set_working_day_rule(true);
  return r;
}

IssueReferralRequest Issue(const std::string& id, const std::string& referral_id) {
  IssueReferralRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  return r;
}

RegisterResponseRequest Registration(const std::string& id, const std::string& referral_id,
                                     const char* org, const std::string& diary_number) {
  RegisterResponseRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  r.set_org_id(org);
  r.set_diary_number(diary_number);
  r.set_registered_on(Today());
  return r;
}

RecordStatementRequest StatementRecord(const std::string& id, const std::string& referral_id,
                                       const char* org) {
  RecordStatementRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  r.set_org_id(org);
  *r.mutable_statement() = StatementOf(org);
  return r;
}

RecordDelegationDecisionRequest Delegation(const std::string& id, const std::string& referral_id,
                                           const char* org) {
  RecordDelegationDecisionRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  r.set_org_id(org);
  r.mutable_delegation()->set_decided_by_name("Stadsdelsdirektören");
  r.mutable_delegation()->set_decided_by_title("Stadsdelsdirektör");
  r.mutable_delegation()->set_date(Today());
  r.mutable_delegation()->set_decision_text("Svaret lämnas på delegation.");
  return r;
}

SubmitResponseRequest Submission(const std::string& id, const std::string& referral_id,
                                 const char* org) {
  SubmitResponseRequest r;
  r.set_command_id(id);
  r.set_referral_id(referral_id);
  r.set_org_id(org);
  return r;
}

// The calls of one client, one after another.
class Script {
 public:
  Script(std::string workload, std::string run, int client)
      : workload_(std::move(workload)), run_(std::move(run)), client_(client) {}

  Call Next() {
    const bool noop = workload_.rfind("noop-", 0) == 0;
    const std::string kind = noop ? workload_.substr(5) : workload_;
    Call c = kind == "mix" ? NextOfRound() : NextRegister();
    if (noop) {
      grpc::health::v1::HealthCheckRequest h;
      std::string bytes = h.SerializeAsString();
      // Field 15, length-delimited: unknown to the health service, which skips it.
      bytes.push_back(static_cast<char>((15 << 3) | 2));
      uint64_t n = c.bytes.size();
      while (n >= 0x80) {
        bytes.push_back(static_cast<char>((n & 0x7f) | 0x80));
        n >>= 7;
      }
      bytes.push_back(static_cast<char>(n));
      bytes += c.bytes;
      c.bytes = std::move(bytes);
      c.method = "/grpc.health.v1.Health/Check";
      c.retry_not_yet = false;
    }
    return c;
  }

 private:
  std::string Id() { return absl::StrCat("b", run_, "-", client_, "-", ++serial_); }

  Call NextRegister() {
    RegisterOrganizationRequest r;
    const std::string id = Id();
    r.set_command_id(id);
    r.set_org_id(absl::StrCat("org-", id));
    r.set_name(absl::StrCat("Stadsdelsnämnd ", id));
    r.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
    r.set_diary_prefix("SDN");
    return {"/remiss.v1.ReferralService/RegisterOrganization", r.SerializeAsString(),
            {"ks", "ks", "ks-registrator-1"}};
  }

  Call NextOfRound() {
    const Who ks{"ks", "ks", "ks-registrator-1"};
    const std::string case_number = absl::StrCat("KS 2026/", run_, "-", client_, "-", round_);
    const std::string referral_id = absl::StrCat("ks-2026-", run_, "-", client_, "-", round_);
    const int step = step_++;
    const auto& boards = Boards();
    const int addressing = 2, deadline = addressing + static_cast<int>(boards.size());
    const int issue = deadline + 1, answers = issue + 1;
    const int per_board = 4;
    if (step == 0) {
      CreateReferralRequest r;
      r.set_command_id(Id());
      const remiss::seed::RoundSpec spec = remiss::seed::Round2019();
      r.set_case_number(case_number);
      r.set_title(spec.title);
      r.set_summary(spec.summary);
      r.set_sender_org_id(remiss::seed::kKs);
      r.mutable_contact()->set_name("Stadsledningskontoret, säkerhetsavdelningen");
      r.mutable_contact()->set_email("registrator.slk@example.stockholm.se");
      return {"/remiss.v1.ReferralService/CreateReferral", r.SerializeAsString(), ks};
    }
    if (step == 1) {
      AttachDocumentRequest r;
      r.set_command_id(Id());
      r.set_referral_id(referral_id);
      *r.mutable_document() = remiss::seed::Program2020();
      return {"/remiss.v1.ReferralService/AttachDocument", r.SerializeAsString(), ks};
    }
    if (step < deadline) {
      return {"/remiss.v1.ReferralService/AddAddressee",
              Addressing(Id(), referral_id, boards[step - addressing]).SerializeAsString(), ks};
    }
    if (step == deadline) {
      return {"/remiss.v1.ReferralService/SetDeadline",
              Deadline(Id(), referral_id).SerializeAsString(), ks};
    }
    if (step == issue) {
      return {"/remiss.v1.ReferralService/IssueReferral",
              Issue(Id(), referral_id).SerializeAsString(), ks};
    }
    const int k = step - answers;
    const char* org = boards[k / per_board];
    const Who board{org, "board", absl::StrCat(org, "-handlaggare-1")};
    if (k + 1 == static_cast<int>(boards.size()) * per_board) {
      step_ = 0;
      ++round_;
    }
    switch (k % per_board) {
      case 0:
        // Until responses has heard of the round: NOT_FOUND or FAILED_PRECONDITION, retried.
        return {"/remiss.v1.ResponseService/RegisterResponse",
                Registration(Id(), referral_id, org,
                             absl::StrCat("BRO 2026/", run_, "-", client_, "-", round_))
                    .SerializeAsString(),
                board, true};
      case 1:
        return {"/remiss.v1.ResponseService/RecordStatement",
                StatementRecord(Id(), referral_id, org).SerializeAsString(), board};
      case 2:
        return {"/remiss.v1.ResponseService/RecordDelegationDecision",
                Delegation(Id(), referral_id, org).SerializeAsString(), board};
      default:
        return {"/remiss.v1.ResponseService/SubmitResponse",
                Submission(Id(), referral_id, org).SerializeAsString(), board};
    }
  }

  std::string workload_, run_;
  int client_;
  uint64_t serial_ = 0;
  int round_ = 0;
  int step_ = 0;
};

double ServerCpuSeconds(long pid) {
  if (pid <= 0) return 0;
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = all.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::string f;
  for (size_t i = paren + 2; i < all.size(); ++i) {
    if (all[i] == ' ') {
      fields.push_back(f);
      f.clear();
    } else {
      f.push_back(all[i]);
    }
  }
  // Fields after the name: state is [0]; utime [11], stime [12] (man 5 proc: 14 and 15).
  if (fields.size() < 13) return 0;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

struct Client {
  int index = 0;
  std::unique_ptr<Script> script;
  Call call;
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc;
  grpc::ByteBuffer reply;
  grpc::Status status;
  absl::Time started;
  std::unique_ptr<grpc::Alarm> alarm;
  absl::Time next_start = absl::InfinitePast();
  bool waiting = false;  // the tag is the alarm's
};

// SubmitResponse -> visible on the board, measured by one synchronous client.
void Probe(const Options& o, const std::string& run, std::atomic<bool>* stop,
           std::vector<double>* latencies_ms, std::string* error) {
  auto referrals = ReferralService::NewStub(grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
  auto responses = ResponseService::NewStub(grpc::CreateChannel(o.responses, grpc::InsecureChannelCredentials()));
  auto followup = FollowupService::NewStub(grpc::CreateChannel(o.followup, grpc::InsecureChannelCredentials()));
  auto ctx_of = [](const Who& who) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    ctx->AddMetadata("x-remiss-org", who.org);
    ctx->AddMetadata("x-remiss-role", who.role);
    ctx->AddMetadata("x-remiss-person", who.person);
    return ctx;
  };
  const Who ks{"ks", "ks", "ks-registrator-1"};
  const char* org = remiss::seed::kBromma;
  const Who board{org, "board", "bromma-sdn-handlaggare-1"};
  int serial = 0;
  auto id = [&] { return absl::StrCat("p", run, "-", ++serial); };
  for (int round = 0; !*stop; ++round) {
    const std::string case_number = absl::StrCat("KS 2027/", run, "-", round);
    const std::string referral_id = absl::StrCat("ks-2027-", run, "-", round);
    CommandResult result;
    grpc::Status s;
    {
      CreateReferralRequest r;
      r.set_command_id(id());
      r.set_case_number(case_number);
      r.set_title("Probe");
      r.set_sender_org_id("ks");
      s = referrals->CreateReferral(ctx_of(ks).get(), r, &result);
    }
    if (s.ok()) {
      s = referrals->AddAddressee(ctx_of(ks).get(), Addressing(id(), referral_id, org), &result);
    }
    if (s.ok()) s = referrals->SetDeadline(ctx_of(ks).get(), Deadline(id(), referral_id), &result);
    if (s.ok()) s = referrals->IssueReferral(ctx_of(ks).get(), Issue(id(), referral_id), &result);
    if (s.ok()) {
      const RegisterResponseRequest r =
          Registration(id(), referral_id, org, absl::StrCat("BRO 2027/", round));
      for (int i = 0; i < 10000 && !*stop; ++i) {
        s = responses->RegisterResponse(ctx_of(board).get(), r, &result);
        if (s.error_code() != grpc::StatusCode::NOT_FOUND &&
            s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
          break;
        }
        absl::SleepFor(absl::Milliseconds(2));
      }
    }
    if (s.ok()) {
      s = responses->RecordStatement(ctx_of(board).get(), StatementRecord(id(), referral_id, org),
                                     &result);
    }
    if (s.ok()) {
      s = responses->RecordDelegationDecision(ctx_of(board).get(), Delegation(id(), referral_id, org),
                                              &result);
    }
    // The board must show the row (awaiting) before the submit is timed.
    for (int i = 0; s.ok() && i < 20000 && !*stop; ++i) {
      GetStatusBoardRequest q;
      q.set_referral_id(referral_id);
      StatusBoard b;
      grpc::Status qs = followup->GetStatusBoard(ctx_of(ks).get(), q, &b);
      if (qs.ok() && b.rows_size() == 1 && !b.rows(0).diary_number().empty()) break;
      absl::SleepFor(absl::Milliseconds(1));
    }
    if (*stop) return;
    if (!s.ok()) {
      *error = absl::StrCat("probe: ", s.error_message());
      return;
    }
    const SubmitResponseRequest submit = Submission(id(), referral_id, org);
    const absl::Time t0 = absl::Now();
    s = responses->SubmitResponse(ctx_of(board).get(), submit, &result);
    if (!s.ok()) {
      *error = absl::StrCat("probe: SubmitResponse: ", s.error_message());
      return;
    }
    for (int i = 0; i < 200000; ++i) {
      GetStatusBoardRequest q;
      q.set_referral_id(referral_id);
      StatusBoard b;
      grpc::Status qs = followup->GetStatusBoard(ctx_of(ks).get(), q, &b);
      if (qs.ok() && b.rows_size() == 1 && b.rows(0).stage() == "submitted") {
        latencies_ms->push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        break;
      }
      absl::SleepFor(absl::Microseconds(500));
    }
  }
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s --target HOST:PORT --workload register|mix|noop-register|noop-mix "
               "[--clients N] [--seconds S] [--rate CALLS_PER_S] [--server-pid PID] [--label TEXT] "
               "[--probe --responses HOST:PORT --followup HOST:PORT]\n",
               argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--target") o.target = value();
    else if (a == "--responses") o.responses = value();
    else if (a == "--followup") o.followup = value();
    else if (a == "--workload") o.workload = value();
    else if (a == "--clients") o.clients = std::atoi(value().c_str());
    else if (a == "--seconds") o.seconds = std::atof(value().c_str());
    else if (a == "--rate") o.rate = std::atof(value().c_str());
    else if (a == "--server-pid") o.server_pid = std::atol(value().c_str());
    else if (a == "--label") o.label = value();
    else if (a == "--probe") o.probe = true;
    else return Usage(argv[0]);
  }
  const std::vector<std::string> workloads = {"register", "mix", "noop-register", "noop-mix"};
  if (std::find(workloads.begin(), workloads.end(), o.workload) == workloads.end() || o.clients < 1) {
    return Usage(argv[0]);
  }
  if (o.responses.empty()) o.responses = o.target;
  if (o.followup.empty()) o.followup = o.target;
  const std::string run = RunId();
  if (o.workload == "mix" || o.workload == "register" || o.probe) {
    // The seed organizations, once per server (the same command ids again are retries); KS
    // first, as the organization that may send rounds: until then every ks command is refused.
    auto referrals = ReferralService::NewStub(grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
    for (const remiss::seed::OrgSpec& org : remiss::seed::Organizations()) {
      RegisterOrganizationRequest r;
      r.set_command_id(absl::StrCat("bench-register-", org.id));
      r.set_org_id(org.id);
      r.set_name(org.name);
      r.set_kind(org.kind);
      r.set_diary_prefix(org.diary_prefix);
      r.set_may_send_rounds(org.may_send_rounds);
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      ctx.set_wait_for_ready(true);
      ctx.AddMetadata("x-remiss-org", "ks");
      ctx.AddMetadata("x-remiss-role", "ks");
      ctx.AddMetadata("x-remiss-person", "ks-registrator-1");
      CommandResult result;
      grpc::Status s = referrals->RegisterOrganization(&ctx, r, &result);
      if (!s.ok()) {
        std::fprintf(stderr, "registering %s: %s\n", org.id, s.error_message().c_str());
        return 1;
      }
    }
  }

  // A channel per 8 clients: several connections, as many clients would have.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  auto channel_for = [&](const std::string& address, int i) {
    grpc::ChannelArguments args;
    args.SetInt("remiss.bench.channel", i);  // distinct arguments: a connection of its own
    args.SetMaxReceiveMessageSize(-1);
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  };
  const int nchannels = std::max(1, (o.clients + 7) / 8);
  std::vector<grpc::GenericStub*> referrals_stubs, responses_stubs;
  for (int i = 0; i < nchannels; ++i) {
    channels.push_back(channel_for(o.target, i));
    stubs.push_back(std::make_unique<grpc::GenericStub>(channels.back()));
    referrals_stubs.push_back(stubs.back().get());
    if (o.responses == o.target) {
      responses_stubs.push_back(stubs.back().get());
    } else {
      channels.push_back(channel_for(o.responses, i));
      stubs.push_back(std::make_unique<grpc::GenericStub>(channels.back()));
      responses_stubs.push_back(stubs.back().get());
    }
  }
  grpc::CompletionQueue cq;
  std::vector<Client> clients(o.clients);
  const absl::Duration interval =
      o.rate > 0 ? absl::Seconds(o.clients / o.rate) : absl::ZeroDuration();

  uint64_t ok = 0, retries = 0, errors = 0;
  std::string first_error;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 20);
  bool measuring = false;
  const double warmup = std::min(1.0, o.seconds / 5);

  auto start_call = [&](Client& c) {
    c.ctx = std::make_unique<grpc::ClientContext>();
    c.ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    c.ctx->AddMetadata("x-remiss-org", c.call.who.org);
    c.ctx->AddMetadata("x-remiss-role", c.call.who.role);
    c.ctx->AddMetadata("x-remiss-person", c.call.who.person);
    grpc::Slice slice(c.call.bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::GenericStub* stub = c.call.method.rfind("/remiss.v1.ResponseService/", 0) == 0
                                  ? responses_stubs[c.index % nchannels]
                                  : referrals_stubs[c.index % nchannels];
    c.started = absl::Now();
    c.next_start = c.started + interval;
    c.rpc = stub->PrepareUnaryCall(c.ctx.get(), c.call.method, request, &cq);
    c.rpc->StartCall();
    c.waiting = false;
    c.rpc->Finish(&c.reply, &c.status, &c);
  };
  auto later = [&](Client& c, absl::Time at) {
    c.alarm = std::make_unique<grpc::Alarm>();
    c.waiting = true;
    c.alarm->Set(&cq, absl::ToChronoTime(at), &c);
  };

  std::atomic<bool> probe_stop{false};
  std::vector<double> probe_ms;
  std::string probe_error;
  std::thread probe;
  if (o.probe) probe = std::thread(Probe, std::cref(o), run, &probe_stop, &probe_ms, &probe_error);

  for (int i = 0; i < o.clients; ++i) {
    clients[i].index = i;
    clients[i].script = std::make_unique<Script>(o.workload, run, i);
    clients[i].call = clients[i].script->Next();
    if (interval > absl::ZeroDuration()) {
      later(clients[i], absl::Now() + interval * i / o.clients);
    } else {
      start_call(clients[i]);
    }
  }
  const absl::Time begin = absl::Now();
  const absl::Time measure_from = begin + absl::Seconds(warmup);
  const absl::Time end = measure_from + absl::Seconds(o.seconds);
  double cpu0 = 0;
  absl::Time t0 = measure_from;
  int outstanding = o.clients;
  bool stopping = false;
  void* tag;
  bool okay;
  while (outstanding > 0 && cq.Next(&tag, &okay)) {
    Client& c = *static_cast<Client*>(tag);
    const absl::Time now = absl::Now();
    if (!measuring && !stopping && now >= measure_from) {
      measuring = true;
      cpu0 = ServerCpuSeconds(o.server_pid);
      t0 = now;
    }
    if (!stopping && now >= end) {
      stopping = true;
      measuring = false;
    }
    if (!c.waiting) {
      const bool not_yet = c.call.retry_not_yet &&
                           (c.status.error_code() == grpc::StatusCode::NOT_FOUND ||
                            c.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
      if (c.status.ok()) {
        if (measuring) {
          ++ok;
          latencies_ms.push_back(absl::ToDoubleMilliseconds(now - c.started));
        }
        c.call = c.script->Next();
      } else if (not_yet) {
        if (measuring) ++retries;
      } else {
        if (measuring) ++errors;
        if (first_error.empty()) {
          first_error = absl::StrCat(c.call.method, ": ", c.status.error_code(), " ", c.status.error_message());
        }
        c.call = c.script->Next();
      }
      if (stopping) {
        --outstanding;
        continue;
      }
      if (not_yet) {
        later(c, now + absl::Milliseconds(2));
        continue;
      }
      if (interval > absl::ZeroDuration() && c.next_start > now) {
        later(c, c.next_start);
        continue;
      }
    } else if (stopping) {
      --outstanding;
      continue;
    }
    start_call(c);
  }
  const absl::Time t1 = std::min(absl::Now(), end);
  const double cpu = ServerCpuSeconds(o.server_pid) - cpu0;
  probe_stop = true;
  if (probe.joinable()) probe.join();
  const double seconds = absl::ToDoubleSeconds(t1 - t0);
  const double per_s = ok / seconds;
  std::printf("result label=%s workload=%s clients=%d calls=%llu per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
              "server_cpu_us_per_call=%.1f retries=%llu errors=%llu",
              o.label.empty() ? o.workload.c_str() : o.label.c_str(), o.workload.c_str(), o.clients,
              static_cast<unsigned long long>(ok), per_s, Percentile(latencies_ms, 0.50),
              Percentile(latencies_ms, 0.99), ok > 0 && o.server_pid > 0 ? cpu / ok * 1e6 : 0.0,
              static_cast<unsigned long long>(retries), static_cast<unsigned long long>(errors));
  if (o.probe) {
    std::printf(" probes=%zu probe_p50_ms=%.2f probe_p99_ms=%.2f", probe_ms.size(),
                Percentile(probe_ms, 0.50), Percentile(probe_ms, 0.99));
  }
  std::printf("\n");
  std::fflush(stdout);
  if (!first_error.empty()) std::fprintf(stderr, "first error: %s\n", first_error.c_str());
  if (!probe_error.empty()) std::fprintf(stderr, "%s\n", probe_error.c_str());
  return 0;
}
