// SIGKILL under load, N times in a row.
//
// A real server binary (remiss-referrals alone; remissd with all four services; remiss-referrals
// publishing to a real Kafka broker) on a real RocksDB data directory, while a few client
// threads send commands as fast as they get answers: each thread plays whole rounds (KS
// registers a board, drafts a round, addresses it to the board, sets the deadline, issues it;
// in remissd the board then registers its response). At random moments (the seed is printed)
// the test kills the server with SIGKILL and starts it again on the same data directory; the
// clients carry on, sending a command whose answer was lost again with the same command_id
// until it is answered. After the last kill, what a user depends on:
//   - every command answered OK is there (queried back through the public API), and nothing
//     else is: the organizations, the rounds with their addressees and deadlines, the responses;
//   - a command retried after a kill ran once: its retry answers `repeated` with the positions
//     of the first run, or runs now; the positions of all commands' events together are
//     exactly 1..N, N the log's head (no gap, no event twice), and the log on disk is 1..N;
//   - every projection equals a rebuild from the log (live digest == RebuildProjections);
//   - with Kafka: the topic holds every position 1..N (repeats allowed, each repeat the same
//     event).
// Sizes: REMISS_FAULTS_KILLS (CI 5, full 20), REMISS_FAULTS_CLIENTS (CI 4, full 8).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "remiss/v1/envelope.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/faults/fault_support.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/temp_dir.h"

namespace remiss::faults {
namespace {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout

constexpr char kStart[] = "2021-02-01T09:00:00+01:00";
constexpr char kToday[] = "2021-02-01";
constexpr char kDeadline[] = "2021-03-31";

enum class Setup { kReferrals, kRemissd, kReferralsWithKafka };

struct Answered {
  std::string what;  // "t1-i4-create"
  std::string service;
  CommandOutcome outcome;
};

// What the clients did, for the checks afterwards.
struct Record {
  absl::Mutex mu;
  std::vector<Answered> answered ABSL_GUARDED_BY(mu);
  std::vector<std::string> failures ABSL_GUARDED_BY(mu);  // answers that are not OK
  std::vector<std::pair<int, int>> chains ABSL_GUARDED_BY(mu);  // (thread, iteration) completed
  std::atomic<int64_t> ok{0};
};

std::string Board(int t, int i) { return absl::StrCat("b-t", t, "-", i); }
std::string CaseNumber(int t, int i) { return absl::StrCat("KS 2021/", t * 100000 + i + 1); }
std::string RoundId(int t, int i) { return absl::StrCat("ks-2021-", t * 100000 + i + 1); }

class Client {
 public:
  Client(int thread, bool with_responses, const Endpoint& endpoint, Record& record)
      : t_(thread), with_responses_(with_responses), endpoint_(endpoint), record_(record) {}

  // Plays rounds until `stop`; finishes the round under way.
  void Run(const std::atomic<bool>& stop) {
    for (int i = 0; !stop.load(); ++i) {
      if (!PlayRound(i)) return;
      absl::MutexLock lock(&record_.mu);
      record_.chains.emplace_back(t_, i);
    }
  }

 private:
  bool Do(const std::string& what, const std::string& service, const Send& send,
          bool retry_until_known = false) {
    CommandOutcome outcome;
    // The board's response waits for the round to reach the responses service (LocalFeed).
    for (int waits = 0;; ++waits) {
      outcome = Execute(endpoint_, send, nullptr, 4000);
      const auto code = outcome.status.error_code();
      if (retry_until_known && waits < 3000 &&
          (code == grpc::StatusCode::NOT_FOUND || code == grpc::StatusCode::FAILED_PRECONDITION)) {
        absl::SleepFor(absl::Milliseconds(10));
        continue;
      }
      break;
    }
    absl::MutexLock lock(&record_.mu);
    if (!outcome.status.ok()) {
      record_.failures.push_back(absl::StrCat(what, " (", service, ", ", outcome.tries,
                                              " tries): ", Describe(outcome.status)));
      return false;
    }
    record_.ok.fetch_add(1);
    record_.answered.push_back({what, service, outcome});
    return true;
  }

  bool PlayRound(int i) {
    const std::string p = absl::StrCat("t", t_, "-i", i, "-");
    RegisterOrganizationRequest org;
    org.set_command_id(p + "org");
    org.set_org_id(Board(t_, i));
    org.set_name(absl::StrCat("Nämnd ", t_, " ", i));
    org.set_kind(ORGANIZATION_KIND_STADSDELSNAMND);
    org.set_diary_prefix("BRD");
    if (!Do(p + "org", "referrals", Command(&ReferralService::Stub::RegisterOrganization, org))) {
      return false;
    }
    CreateReferralRequest create;
    create.set_command_id(p + "create");
    create.set_case_number(CaseNumber(t_, i));
    create.set_title(absl::StrCat("Remiss ", t_, " ", i));
    create.set_sender_org_id("ks");
    if (!Do(p + "create", "referrals", Command(&ReferralService::Stub::CreateReferral, create))) {
      return false;
    }
    AddAddresseeRequest add;
    add.set_command_id(p + "add");
    add.set_referral_id(RoundId(t_, i));
    add.set_org_id(Board(t_, i));
    if (!Do(p + "add", "referrals", Command(&ReferralService::Stub::AddAddressee, add))) {
      return false;
    }
    SetDeadlineRequest deadline;
    deadline.set_command_id(p + "deadline");
    deadline.set_referral_id(RoundId(t_, i));
    deadline.set_deadline(kDeadline);
    if (!Do(p + "deadline", "referrals", Command(&ReferralService::Stub::SetDeadline, deadline))) {
      return false;
    }
    IssueReferralRequest issue;
    issue.set_command_id(p + "issue");
    issue.set_referral_id(RoundId(t_, i));
    if (!Do(p + "issue", "referrals", Command(&ReferralService::Stub::IssueReferral, issue))) {
      return false;
    }
    if (!with_responses_) return true;
    RegisterResponseRequest reg;
    reg.set_command_id(p + "register");
    reg.set_referral_id(RoundId(t_, i));
    reg.set_org_id(Board(t_, i));
    reg.set_diary_number(absl::StrCat("BRD 2021/", t_ * 100000 + i + 1));
    reg.set_registered_on(kToday);
    const Caller board{.org = Board(t_, i), .role = "board", .person = "registrator-1"};
    return Do(p + "register", "responses",
              Command(&ResponseService::Stub::RegisterResponse, reg, board),
              /*retry_until_known=*/true);
  }

  int t_;
  bool with_responses_;
  const Endpoint& endpoint_;
  Record& record_;
};

// Every page of a List query.
template <typename Response, typename Request, typename Row>
std::vector<Row> AllPages(grpc::Channel& channel, Request request,
                          grpc::Status (ReferralService::Stub::*method)(grpc::ClientContext*,
                                                                        const Request&, Response*),
                          const google::protobuf::RepeatedPtrField<Row>& (Response::*rows)() const,
                          std::string* error) {
  ReferralService::Stub stub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
  std::vector<Row> out;
  request.set_page_size(500);
  for (int pages = 0; pages < 100000; ++pages) {
    Response response;
    auto ctx = Context();
    grpc::Status s = (stub.*method)(ctx.get(), request, &response);
    if (!s.ok()) {
      *error = Describe(s);
      return out;
    }
    for (const Row& row : (response.*rows)()) out.push_back(row);
    if (response.next_page_token().empty()) return out;
    request.set_page_token(response.next_page_token());
  }
  *error = "too many pages";
  return out;
}

std::string TestName(Setup setup) {
  switch (setup) {
    case Setup::kReferrals: return "sigkill referrals";
    case Setup::kRemissd: return "sigkill remissd";
    case Setup::kReferralsWithKafka: return "sigkill referrals+kafka";
  }
  return "";
}

void SigkillUnderLoad(Setup setup) {
  const std::string name = TestName(setup);
  const uint64_t seed = Seed(name);
  std::mt19937_64 random(seed);
  const int kills = static_cast<int>(Size("KILLS", 5, 20));
  const int clients = static_cast<int>(Size("CLIENTS", 4, 8));
  const bool remissd = setup == Setup::kRemissd;
  const absl::Time began = absl::Now();

  remiss::testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string data = dir.Sub("data");
  std::vector<std::string> args = {"--data-dir", data, "--manual-clock", kStart};
  std::string brokers;
  if (setup == Setup::kReferralsWithKafka) {
    std::string error;
    remiss::testing::KafkaBroker* broker = remiss::testing::KafkaBroker::Shared(&error);
    ASSERT_NE(broker, nullptr) << "no Kafka broker: " << error;
    brokers = broker->bootstrap();
    args.insert(args.end(), {"--kafka-brokers", brokers});
  }
  ServerProcess server(remissd ? "remissd" : "referrals", remissd ? REMISSD : REMISS_REFERRALS,
                       args, dir.path());
  struct DumpLogs {
    ServerProcess& server;
    ~DumpLogs() {
      if (::testing::Test::HasFailure()) std::cerr << server.LogTails();
    }
  } dump_logs_on_failure{server};

  Endpoint endpoint;
  auto address = server.Start();
  ASSERT_TRUE(address.ok()) << address.status();
  endpoint.Set(*address);

  Record record;
  {  // KS itself, the sender of every round.
    RegisterOrganizationRequest ks;
    ks.set_command_id("ks-org");
    ks.set_org_id("ks");
    ks.set_name("Kommunstyrelsen");
    ks.set_kind(ORGANIZATION_KIND_KOMMUNSTYRELSE);
    ks.set_diary_prefix("KS");
    ks.set_may_send_rounds(true);  // a ks acts only for an organization that may send rounds
    CommandOutcome o = Execute(endpoint, Command(&ReferralService::Stub::RegisterOrganization, ks));
    ASSERT_TRUE(o.status.ok()) << Describe(o.status);
    absl::MutexLock lock(&record.mu);
    record.answered.push_back({"ks-org", "referrals", o});
  }

  // The load, and the kills.
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Client>> client_objects;
  for (int t = 0; t < clients; ++t) {
    client_objects.push_back(std::make_unique<Client>(t, remissd, endpoint, record));
  }
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] { client_objects[t]->Run(stop); });
  }
  std::vector<int64_t> ok_at_kill;
  absl::Duration restart_total, restart_max;
  std::string kill_error;
  for (int k = 0; k < kills && kill_error.empty(); ++k) {
    // Some load on this incarnation first, then a random moment.
    const int64_t before = record.ok.load();
    const absl::Time limit = absl::Now() + absl::Seconds(60);
    while (record.ok.load() < before + 5 && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 1000)(random)));
    endpoint.Down();
    server.Kill();
    ok_at_kill.push_back(record.ok.load());
    const absl::Time restarting = absl::Now();
    auto again = server.Start();
    if (!again.ok()) {
      kill_error = again.status().ToString();
      break;
    }
    const absl::Duration took = absl::Now() - restarting;
    restart_total += took;
    restart_max = std::max(restart_max, took);
    endpoint.Set(*again);
  }
  {  // Some load after the last restart too.
    const int64_t before = record.ok.load();
    const absl::Time limit = absl::Now() + absl::Seconds(60);
    while (kill_error.empty() && record.ok.load() < before + 20 && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  stop = true;
  if (!kill_error.empty()) server.Kill();  // the clients give up on a server that is gone
  for (auto& t : threads) t.join();
  ASSERT_EQ(kill_error, "") << "the server did not start again after a kill";

  std::vector<Answered> answered;
  std::vector<std::pair<int, int>> chains;
  {
    absl::MutexLock lock(&record.mu);
    answered = record.answered;
    chains = record.chains;
    EXPECT_TRUE(record.failures.empty())
        << "commands refused after kills (each should be OK, or repeated, when sent again): "
        << absl::StrJoin(record.failures, "\n");
  }
  std::shared_ptr<grpc::Channel> channel = endpoint.Channel();
  ASSERT_NE(channel, nullptr);

  // In one process the followers catch up with what the kills interrupted.
  std::string seen;
  absl::Status settled = WaitForPositions(*channel, [&](const Positions& p) {
    bool ok = FollowersCaughtUp(p, &seen);
    for (const auto& s : p.services()) ok = ok && (!s.relay_enabled() || s.relay_lag() == 0);
    return ok;
  }, absl::Seconds(90));
  ASSERT_TRUE(settled.ok()) << settled << "\n" << seen;

  // ---- every command answered OK is there, and nothing else ----
  std::set<std::string> expected_orgs = {"ks"};
  std::map<std::string, std::string> expected_rounds;  // round id -> board
  for (const auto& [t, i] : chains) {
    expected_orgs.insert(Board(t, i));
    expected_rounds[RoundId(t, i)] = Board(t, i);
  }
  // A round cut short by `stop` after some of its commands: those commands' effects too.
  for (const Answered& a : answered) {
    int t = 0, i = 0;
    if (std::sscanf(a.what.c_str(), "t%d-i%d-", &t, &i) != 2) continue;
    expected_orgs.insert(Board(t, i));
  }
  std::string error;
  std::vector<Organization> orgs =
      AllPages(*channel, ListOrganizationsRequest(), &ReferralService::Stub::ListOrganizations,
               &ListOrganizationsResponse::organizations, &error);
  ASSERT_EQ(error, "");
  std::set<std::string> org_ids;
  for (const Organization& o : orgs) org_ids.insert(o.org_id());
  EXPECT_EQ(org_ids, expected_orgs) << "the organizations registered with an OK answer";
  EXPECT_EQ(orgs.size(), org_ids.size()) << "an organization listed twice";

  std::vector<Referral> rounds =
      AllPages(*channel, ListReferralsRequest(), &ReferralService::Stub::ListReferrals,
               &ListReferralsResponse::referrals, &error);
  ASSERT_EQ(error, "");
  std::map<std::string, const Referral*> by_id;
  for (const Referral& r : rounds) by_id[r.referral_id()] = &r;
  int rounds_checked = 0;
  for (const auto& [id, board] : expected_rounds) {
    SCOPED_TRACE(id);
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "round " << id << " was created with an OK answer but is not listed";
      continue;
    }
    const Referral& r = *it->second;
    EXPECT_EQ(r.status(), REFERRAL_STATUS_ISSUED);
    EXPECT_EQ(r.deadline(), kDeadline);
    ASSERT_EQ(r.addressees_size(), 1);
    EXPECT_EQ(r.addressees(0).org_id(), board);
    EXPECT_EQ(r.version(), 4u) << "created, addressed, deadline set, issued: once each";
    ++rounds_checked;
  }
  EXPECT_EQ(rounds.size(), expected_rounds.size()) << "rounds listed";

  if (remissd) {
    ResponseService::Stub responses(channel);
    for (const auto& [id, board] : expected_rounds) {
      GetResponseRequest get;
      get.set_referral_id(id);
      get.set_org_id(board);
      Response response;
      auto ctx = Context();
      grpc::Status s = responses.GetResponse(ctx.get(), get, &response);
      ASSERT_TRUE(s.ok()) << id << ": " << Describe(s);
      EXPECT_EQ(response.stage(), RESPONSE_STAGE_REGISTERED) << id;
      EXPECT_EQ(response.stated_deadline(), kDeadline) << id;
    }
  }

  // ---- positions: every command's events exactly once, 1..N without a gap ----
  auto referrals_positions = PositionsOf(*channel, "referrals");
  ASSERT_TRUE(referrals_positions.ok()) << referrals_positions.status();
  const uint64_t head = referrals_positions->log_position();
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  int64_t in_doubt = 0, in_doubt_committed = 0, repeated = 0;
  for (const Answered& a : answered) {
    if (a.outcome.was_in_doubt) {
      ++in_doubt;
      if (a.outcome.result.repeated()) ++in_doubt_committed;
    }
    if (a.outcome.result.repeated()) ++repeated;
    EXPECT_TRUE(!a.outcome.result.repeated() || a.outcome.was_in_doubt)
        << a.what << " answered repeated though it was sent once";
    if (a.service != "referrals") continue;
    EXPECT_GT(a.outcome.result.first_position(), 0u) << a.what << " recorded nothing";
    ranges.emplace_back(a.outcome.result.first_position(), a.outcome.result.last_position());
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t next = 1;
  for (const auto& [first, last] : ranges) {
    EXPECT_EQ(first, next) << "the commands' positions are not contiguous at " << next;
    EXPECT_LE(first, last);
    next = std::max(next, last + 1);
  }
  EXPECT_EQ(next - 1, head) << "the commands answered OK recorded positions 1.." << next - 1
                            << " but the log's head is " << head;

  // ---- with Kafka: the topic holds every position ----
  int64_t topic_messages = 0;
  if (setup == Setup::kReferralsWithKafka) {
    auto messages = remiss::testing::ReadTopic(brokers, "remiss.referrals.events.v1", head,
                                               absl::Seconds(60));
    ASSERT_TRUE(messages.ok()) << messages.status();
    topic_messages = static_cast<int64_t>(messages->size());
    std::map<uint64_t, std::string> by_position;
    for (const auto& m : *messages) {
      EventEnvelope e;
      ASSERT_TRUE(e.ParseFromString(m.value)) << "offset " << m.offset << " does not parse";
      auto [it, inserted] = by_position.emplace(e.position(), m.value);
      if (!inserted) {
        EventEnvelope first;
        ASSERT_TRUE(first.ParseFromString(it->second));
        EXPECT_EQ(first.ShortDebugString(), e.ShortDebugString())
            << "position " << e.position() << " published twice as different events";
      }
    }
    EXPECT_EQ(by_position.size(), head) << "positions on the topic";
    if (!by_position.empty()) {
      EXPECT_EQ(by_position.begin()->first, 1u);
      EXPECT_EQ(by_position.rbegin()->first, head);
    }
  }

  // ---- projections: live == rebuilt from the log ----
  std::vector<std::string> services = {"referrals"};
  if (remissd) services = {"referrals", "responses", "deadlines", "followup"};
  auto digests = CheckDigests(*channel, services);
  ASSERT_TRUE(digests.ok()) << digests.status();
  std::map<std::string, uint64_t> heads;
  for (const DigestCheck& c : *digests) {
    EXPECT_EQ(c.live.sha256(), c.rebuilt.sha256())
        << c.service << ": the live projections differ from a rebuild (" << c.live.entries()
        << " vs " << c.rebuilt.entries() << " entries, at log position "
        << c.live.log_position() << " vs " << c.rebuilt.log_position() << ")";
    EXPECT_EQ(c.after.sha256(), c.rebuilt.sha256()) << c.service;
    EXPECT_EQ(c.live.log_position(), c.rebuilt.log_position()) << c.service;
    heads[c.service] = c.rebuilt.log_position();
    Figure(name, absl::StrCat(c.service, " events / projection entries"),
           absl::StrCat(c.rebuilt.log_position(), " / ", c.rebuilt.entries()));
  }

  // ---- the log on disk: 1..N ----
  EXPECT_EQ(server.Stop(), "") << "the server did not stop cleanly on SIGTERM";
  for (const std::string& service : services) {
    auto positions = LogPositionsOnDisk(data, service);
    ASSERT_TRUE(positions.ok()) << service << ": " << positions.status();
    bool contiguous = true;
    for (size_t i = 0; i < positions->size(); ++i) contiguous = contiguous && (*positions)[i] == i + 1;
    EXPECT_TRUE(contiguous) << service << ": the log on disk has a gap";
    EXPECT_EQ(positions->size(), heads[service]) << service << ": events on disk";
  }

  Figure(name, "seed", absl::StrCat(seed));
  Figure(name, "kills", kills);
  Figure(name, "clients", clients);
  Figure(name, "rounds completed", static_cast<int64_t>(chains.size()));
  Figure(name, "rounds checked", rounds_checked);
  Figure(name, "commands answered OK", static_cast<int64_t>(answered.size()));
  Figure(name, "commands answered OK at each kill", absl::StrJoin(ok_at_kill, " "));
  Figure(name, "commands in doubt (answer lost to a kill), sent again", in_doubt);
  Figure(name, "  of which had run before the kill (repeated)", in_doubt_committed);
  Figure(name, "referrals log head", static_cast<int64_t>(head));
  if (setup == Setup::kReferralsWithKafka) Figure(name, "topic messages", topic_messages);
  Figure(name, "restart to listening, mean",
         kills > 0 ? restart_total / kills : absl::ZeroDuration());
  Figure(name, "restart to listening, max", restart_max);
  Figure(name, "whole test", absl::Now() - began);
}

TEST(SigkillUnderLoad, Referrals) { SigkillUnderLoad(Setup::kReferrals); }
TEST(SigkillUnderLoad, Remissd) { SigkillUnderLoad(Setup::kRemissd); }
TEST(SigkillUnderLoad, ReferralsWithKafka) { SigkillUnderLoad(Setup::kReferralsWithKafka); }

}  // namespace
}  // namespace remiss::faults
