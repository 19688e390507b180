// The seed rounds as a scenario: KS's staff and the boards' officers play both rounds
// (KS 2019/1939 and its revision KS 2023/739, seed_data.h) through the public gRPC APIs of
// running servers on manual clocks, moving the clocks to the dates the documents give.
//
// The servers are given by address: one remissd, or the four services' own processes (over
// Kafka). They must run on a manual clock at kStart (remissd --manual-clock
// 2020-12-01T09:00:00+01:00) with fresh data. Failures come back as absl::Status; nothing
// here asserts what the views show (tests/e2e/seed_rounds_test.cc does).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <type_traits>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tools/seed/seed_data.h"

namespace remiss::seed {

// =====================================================================================
// Calls: every call has a deadline and names its caller (ids, never names).
// =====================================================================================

struct Who {
  std::string org;
  std::string role;
  std::string person;
};

inline const Who kKsRegistrator{"ks", "registrator", "ks-registrator-1"};
inline const Who kKsHandlaggare{"ks", "handlaggare", "ks-handlaggare-7"};
inline const Who kKsReader{"ks", "handlaggare", "ks-handlaggare-7"};

inline constexpr absl::Duration kCallDeadline = absl::Seconds(10);

template <typename Fn>
grpc::Status Call(const Who& who, Fn&& fn) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  // A server that restarts (a restore, a rolling update) is waited for, not failed at once.
  ctx.set_wait_for_ready(true);
  ctx.AddMetadata("x-remiss-org", who.org);
  ctx.AddMetadata("x-remiss-role", who.role);
  ctx.AddMetadata("x-remiss-person", who.person);
  return fn(&ctx);
}

std::string Describe(const grpc::Status& s);

// A message as protobuf text (UTF-8 unescaped), for failure messages.
std::string Text(const google::protobuf::Message& m);

template <typename Stub, typename Request, typename Response>
grpc::Status Query(Stub& stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response, const Who& who = kKsReader) {
  return Call(who,
              [&](grpc::ClientContext* ctx) { return (stub.*method)(ctx, request, response); });
}

// The row of `org_id` on `board`; an empty row when there is none.
const BoardRow& RowOf(const StatusBoard& board, absl::string_view org_id);

// =====================================================================================
// The cluster's client side: a stub per service, the clock on every server, waiting.
// =====================================================================================

// Where each service answers. One remissd: the same address four times.
struct Addresses {
  std::string referrals, responses, deadlines, followup;
  static Addresses OneServer(const std::string& address) {
    return {address, address, address, address};
  }
};

struct ScenarioOptions {
  // Called with one line per step of the scenario ("2020-12-01 09:15  KS registers ...").
  std::function<void(const std::string&)> progress;
  // Appended to failure messages: e.g. which server processes have died.
  std::function<std::string()> casualties;
  // Called with KS's status board of KS 2019/1939 the day after its deadline (socialnämnden
  // breached, Skärholmen within its extension), for a caller that checks it.
  std::function<void(const StatusBoard&)> after_the_deadline;
  // Mutual TLS: the channel credentials that present the certificate `name` (tools/pki.sh's
  // names: "ks" for KS's staff, a board's org id for its officers, "operator" for the admin
  // service). Unset: plaintext, and callers name themselves in metadata (loopback development).
  std::function<std::shared_ptr<grpc::ChannelCredentials>(const std::string& name)> credentials;
};

// Thrown inside the scenario's steps; the Play functions turn it into a Status.
struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Cluster {
 public:
  // Connects (lazily) to the servers. `now` is the servers' clock as it stands (kStart for a
  // fresh start); the scenario only ever moves it forward.
  Cluster(const Addresses& addresses, ScenarioOptions options = {},
          absl::Time now = At(kStart));

  ReferralService::Stub& referrals() { return *referrals_; }
  ResponseService::Stub& responses() { return *responses_; }
  DeadlineService::Stub& deadlines() { return *deadlines_; }
  FollowupService::Stub& followup() { return *followup_; }
  absl::Time now() const { return now_; }

  // Every distinct server's clock (AdminService/GetClock), by address.
  absl::StatusOr<std::vector<std::pair<std::string, ClockState>>> Clocks();

  // Status-returning forms of the steps below, for callers outside the scenario.
  absl::Status MoveClock(absl::Time to);
  absl::Status SettleAll();

  // ---- the scenario's steps use these; they throw ScenarioError ----

  // Moves every server's clock (AdminService/SetClock) to `to`, which must be later than
  // now. First lets every service take in what happened so far, as a real day would.
  void SetClock(absl::Time to);
  void SetClock(absl::CivilSecond stockholm) { SetClock(At(stockholm)); }

  // One line of progress, dated with the scenario's clock.
  void Note(absl::string_view what);

  // Failure-message suffix from options.casualties.
  std::string Casualties() const;

  // A unique, readable command id; the same sequence in every run.
  std::string NextCommandId(absl::string_view what);

  // Polls `condition` (every 50 ms, at most 30 s) until it holds; `seen` says what was last
  // observed, for the failure message.
  void WaitUntil(absl::string_view what, const std::function<bool(std::string* seen)>& condition);

  // Every service has taken in everything the services it follows have recorded (responses
  // follows referrals, deadlines follows responses, followup follows all three), and every
  // relay has published its log: the same twice in a row.
  void Settle();

  StatusBoard WaitForBoard(absl::string_view referral_id, absl::string_view what,
                           const std::function<bool(const StatusBoard&)>& holds);
  Deadline WaitForDeadline(absl::string_view referral_id, absl::string_view org_id,
                           absl::string_view what,
                           const std::function<bool(const Deadline&)>& holds);
  void WaitForResponse(absl::string_view referral_id, absl::string_view org_id);

  const ScenarioOptions& options() const { return options_; }

  // Under mutual TLS, a stub of `Stub`'s service that presents the certificate of `who` (KS's
  // for KS's staff, the board's own for its officers); null in plaintext.
  template <typename Stub>
  std::unique_ptr<Stub> StubFor(const Who& who) {
    if (!options_.credentials) return nullptr;
    const std::string cert = who.org == "ks" ? "ks" : who.org;
    if constexpr (std::is_same_v<Stub, ReferralService::Stub>) {
      return ReferralService::NewStub(ChannelFor(addresses_.referrals, cert));
    } else if constexpr (std::is_same_v<Stub, ResponseService::Stub>) {
      return ResponseService::NewStub(ChannelFor(addresses_.responses, cert));
    } else if constexpr (std::is_same_v<Stub, DeadlineService::Stub>) {
      return DeadlineService::NewStub(ChannelFor(addresses_.deadlines, cert));
    } else {
      return FollowupService::NewStub(ChannelFor(addresses_.followup, cert));
    }
  }

 private:
  // One channel per (address, certificate); plaintext when no credentials are set.
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& address, const std::string& cert);

  Addresses addresses_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<grpc::Channel>> channels_;
  struct Server {
    std::string address;
    std::unique_ptr<AdminService::Stub> admin;
  };

  ScenarioOptions options_;
  bool one_process_;
  absl::Time now_;
  uint64_t commands_ = 0;
  std::vector<Server> servers_;
  std::unique_ptr<ReferralService::Stub> referrals_;
  std::unique_ptr<ResponseService::Stub> responses_;
  std::unique_ptr<DeadlineService::Stub> deadlines_;
  std::unique_ptr<FollowupService::Stub> followup_;
};

// =====================================================================================
// The scenario.
// =====================================================================================

// KS 2019/1939: from registering the organizations (kKsRegistersOrganizations) to
// utbildningsnämnden reporting its action done (kUtnReportsCoordinator).
absl::Status PlayTheFirstRound(Cluster& c);
// KS 2023/739, the revision: from kKsIssuesRevision to kRevisionSubmitted.
absl::Status PlayTheRevision(Cluster& c);
// Both rounds, then the clock to kKsLooksAtEverything and every service settled.
absl::Status PlayBothRounds(Cluster& c);

}  // namespace remiss::seed
