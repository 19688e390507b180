// The seed rounds, end to end, twice.
//
// Both real rounds of the seed documents (/work/shared/seeds, described in DOMAIN.md) are
// played through the public gRPC APIs, as KS's staff and the boards' officers would, on
// manual clocks moved forward to the dates the documents give:
//   KS 2019/1939 "Stockholms stads trygghetsprogram 2020-2023" (deadline 2021-02-26), answered
//   by Bromma (000), Södermalm (001), utbildningsnämnden (003) and Hässelby-Vällingby (004),
//   by Skärholmen within an extension and by socialnämnden after a breach; compiled, adopted
//   by kommunfullmäktige, fed back and followed up;
//   KS 2023/739 "Stockholms stads trygghetsprogram 2024-2027" (deadline 2023-12-20), the
//   revision, answered by kyrkogårdsnämnden (002) and two of the earlier boards.
// The same scenario runs twice: in one remissd process (plaintext, loopback development), and
// as the four services' own processes over a real Kafka broker, under mutual TLS with each
// actor presenting its own tools/pki.sh certificate (KS's staff ks, each board its own, the
// clock operator). What KS sees at the end (status boards, compilations,
// every organization's view, the revision chain) must be identical in both runs, and must say
// what the documents say.
//
// Where a document gives no date, paragraph or diary number, one is chosen and marked
// "chosen:" below; Skärholmen's and socialnämnden's answers are not in the seeds at all and
// are made up to show an extension and a late answer.
//
// The scenario itself (the seed data, the users' actions, the steps, the client side of the
// cluster) is tools/seed/; this test starts the servers and checks what they show.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/temp_dir.h"
#include "tools/seed/seed_scenario.h"

extern char** environ;

namespace remiss {
namespace {

using namespace remiss::v1;    // NOLINT: the API's messages, throughout
using namespace remiss::seed;  // NOLINT: the seed data and the scenario
using google::protobuf::Message;

// =====================================================================================
// Failures: a step that cannot go on throws; the test reports it with the processes' logs.
// =====================================================================================

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

std::string DeterministicBytes(const Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

// =====================================================================================
// One server process: posix_spawn, output to a log file, SIGTERM to stop.
// =====================================================================================

class Process {
 public:
  Process(std::string name, const std::vector<std::string>& args, std::string log_path)
      : name_(std::move(name)), log_path_(std::move(log_path)) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      Fail(absl::StrCat(name_, ": cannot start ", args[0], ": ", std::strerror(rc)));
    }
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  const std::string& name() const { return name_; }

  // Empty while it runs; how it ended once it has (a crash shows as its signal).
  std::string Ended() {
    if (pid_ <= 0) return ended_;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ended_ = Describe(status);
    }
    return ended_;
  }

  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The port from "<program> listening on 127.0.0.1:PORT (...)".
  int WaitForPort(absl::Duration timeout) {
    static const std::regex kListening(R"(listening on 127\.0\.0\.1:([0-9]+))");
    const absl::Time until = absl::Now() + timeout;
    while (absl::Now() < until) {
      std::smatch m;
      std::string log = Log();
      if (std::regex_search(log, m, kListening)) return std::stoi(m[1].str());
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        Fail(absl::StrCat(name_, " exited before listening (", Describe(status), "):\n", log));
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    Fail(absl::StrCat(name_, " did not print its port within ", absl::FormatDuration(timeout),
                      ":\n", Log()));
  }

  // SIGTERM, then up to `grace` for it to exit (SIGKILL after). Empty when it exited with 0.
  std::string Stop(absl::Duration grace) {
    if (pid_ <= 0) return "";
    ::kill(pid_, SIGTERM);
    const absl::Time until = absl::Now() + grace;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (absl::Now() > until) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return absl::StrCat("did not stop within ", absl::FormatDuration(grace),
                            " of SIGTERM; killed");
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    pid_ = -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : Describe(status);
  }

 private:
  static std::string Describe(int status) {
    if (WIFEXITED(status)) return absl::StrCat("exit status ", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
    return absl::StrCat("wait status ", status);
  }

  std::string name_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string ended_;
};

// The row of an organization on a board, and protobuf lists as std types, for EXPECT_EQ.
const BoardRow& Row(const StatusBoard& board, absl::string_view org_id) {
  for (const BoardRow& row : board.rows()) {
    if (row.org_id() == org_id) return row;
  }
  ADD_FAILURE() << "no row for " << org_id << " on the board of " << board.case_number();
  static const BoardRow kNone;
  return kNone;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

template <typename V>
std::map<std::string, V> AsMap(const google::protobuf::Map<std::string, V>& map) {
  return {map.begin(), map.end()};
}


// =====================================================================================
// The servers: the services in one remissd, or as four processes over Kafka.
// =====================================================================================

enum class Mode { kOneProcess, kOverKafka };  // over Kafka also under mutual TLS

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ModeName(Mode mode) {
  return mode == Mode::kOneProcess ? "one remissd process" : "four processes over Kafka";
}

constexpr absl::Duration kWaitLimit = absl::Seconds(30);

class Servers {
 public:
  // Starts the servers on free ports, all on the manual clock at kStart, and the scenario's
  // client of them.
  Servers(Mode mode, const std::string& dir, const std::string& brokers, std::string run)
      : mode_(mode) {
    std::filesystem::create_directories(dir);
    if (mode == Mode::kOverKafka) {  // the development PKI of tools/pki.sh
      const std::string pki = absl::StrCat(REMISS_SOURCE_DIR, "/tools/pki.sh ", dir, "/pki >/dev/null");
      EXPECT_EQ(std::system(pki.c_str()), 0) << pki;
    }
    struct Spec {
      const char* name;
      const char* binary;
    };
    std::vector<Spec> specs;
    if (mode == Mode::kOneProcess) {
      specs = {{"remissd", REMISSD}};
    } else {
      specs = {{"referrals", REMISS_REFERRALS},
               {"responses", REMISS_RESPONSES},
               {"deadlines", REMISS_DEADLINES},
               {"followup", REMISS_FOLLOWUP}};
    }
    for (const Spec& spec : specs) {
      std::vector<std::string> args = {spec.binary, "--listen", "127.0.0.1:0", "--data-dir",
                                       absl::StrCat(dir, "/", spec.name, "-data"),
                                       "--manual-clock", kStartFlag};
      if (!brokers.empty()) {
        args.push_back("--kafka-brokers");
        args.push_back(brokers);
      }
      if (mode == Mode::kOverKafka) {  // and under mutual TLS, every caller with its certificate
        args.insert(args.end(), {"--tls-cert", dir + "/pki/server.pem", "--tls-key",
                                 dir + "/pki/server.key", "--tls-ca", dir + "/pki/ca.pem"});
      }
      processes_.push_back(std::make_unique<Process>(spec.name, args,
                                                     absl::StrCat(dir, "/", spec.name, ".log")));
      args_.push_back(std::move(args));
    }
    for (auto& process : processes_) {
      addresses_.push_back(absl::StrCat("127.0.0.1:", process->WaitForPort(kWaitLimit)));
    }
    const std::vector<std::string>& addresses = addresses_;
    auto address = [&](int i) { return addresses[mode == Mode::kOneProcess ? 0 : i]; };
    ScenarioOptions options;
    options.casualties = [this] { return Casualties(); };
    if (mode == Mode::kOverKafka) {
      options.credentials = [dir](const std::string& name) {
        grpc::SslCredentialsOptions ssl;
        ssl.pem_root_certs = ReadFile(dir + "/pki/ca.pem");
        ssl.pem_cert_chain = ReadFile(absl::StrCat(dir, "/pki/", name, ".pem"));
        ssl.pem_private_key = ReadFile(absl::StrCat(dir, "/pki/", name, ".key"));
        return grpc::SslCredentials(ssl);
      };
    }
    // The board the day after the first round's deadline: socialnämnden breached, Skärholmen
    // within its extension.
    options.after_the_deadline = [this, run, dir](const StatusBoard& after) {
      SCOPED_TRACE(run);
      // Over Kafka, responses' disk is lost here, mid-round, and restored from its topic.
      if (mode_ == Mode::kOverKafka) LoseAndRestore(1, dir);
      EXPECT_EQ(after.today(), "2021-02-27");
      EXPECT_EQ(Strings(after.not_answered()), (std::vector<std::string>{kSkarholmen, kSocial}));
      EXPECT_EQ(AsMap(after.by_stage()), (std::map<std::string, int32_t>{
                                             {"submitted", 4}, {"drafted", 1}, {"registered", 1}}));
      EXPECT_EQ(Row(after, kSocial).days_left(), -1);
      EXPECT_FALSE(Row(after, kSocial).late());
      EXPECT_EQ(Row(after, kSkarholmen).extension(), "granted");
      EXPECT_EQ(Row(after, kSkarholmen).effective_deadline(), "2021-03-12");
      EXPECT_EQ(Row(after, kSkarholmen).days_left(), 13);
      EXPECT_EQ(Row(after, kSkarholmen).deadline_outcome(), "open");
    };
    client_ = std::make_unique<Cluster>(
        Addresses{address(0), address(1), address(2), address(3)}, std::move(options));
  }

  // Kills whatever still runs; after a failure, shows every process's log.
  ~Servers() {
    if (std::uncaught_exceptions() > 0 || ::testing::Test::HasFailure()) {
      for (const auto& process : processes_) {
        std::cerr << "---- log of " << process->name() << " (" << ModeName(mode_) << "):\n"
                  << Tail(process->Log(), 20000) << "\n";
      }
    }
  }

  Cluster& client() { return *client_; }

  // The disk of the service processes_[i] is lost: it is stopped and its data directory
  // deleted. Started again on the empty directory (on the same port, at the scenario's time)
  // it waits, NOT_SERVING, for its topic holds an earlier store's history; an operator's
  // AdminService.RestoreFromKafka (remissctl restore) brings it back from its topic with the
  // same log position and projections digest, it serves again, and the round goes on.
  void LoseAndRestore(size_t i, const std::string& dir) {
    const std::string name = processes_[i]->name();
    SCOPED_TRACE(absl::StrCat("losing and restoring ", name));
    client_->Settle();
    const ProjectionDigest before = DigestOf(i, dir);
    ASSERT_GT(before.log_position(), 0u);
    ASSERT_EQ(processes_[i]->Stop(absl::Seconds(30)), "");
    std::filesystem::remove_all(absl::StrCat(dir, "/", name, "-data"));

    std::vector<std::string> args = args_[i];
    for (size_t a = 0; a + 1 < args.size(); ++a) {
      if (args[a] == "--listen") args[a + 1] = addresses_[i];
      if (args[a] == "--manual-clock") {
        args[a + 1] = absl::FormatTime(absl::RFC3339_full, client_->now(), absl::UTCTimeZone());
      }
    }
    processes_[i] = std::make_unique<Process>(name, args, absl::StrCat(dir, "/", name, "-restored.log"));
    const std::string waiting = absl::StrCat("waiting for a restore on ", addresses_[i]);
    for (absl::Time until = absl::Now() + kWaitLimit;
         processes_[i]->Log().find(waiting) == std::string::npos && absl::Now() < until;) {
      ASSERT_EQ(processes_[i]->Ended(), "") << processes_[i]->Log();
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_NE(processes_[i]->Log().find(waiting), std::string::npos) << processes_[i]->Log();
    auto channel = grpc::CreateChannel(addresses_[i], grpc::SslCredentials(OperatorCredentials(dir)));
    {
      grpc::health::v1::HealthCheckResponse health;
      grpc::ClientContext ctx;
      ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      ASSERT_TRUE(grpc::health::v1::Health::NewStub(channel)
                      ->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &health).ok());
      EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING)
          << "a service waiting for its restore says it does not serve";
    }
    RestoreFromKafkaRequest request;
    request.set_service(name);
    RestoreReport report;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
    const grpc::Status restored = AdminService::NewStub(channel)->RestoreFromKafka(&ctx, request, &report);
    ASSERT_TRUE(restored.ok()) << Describe(restored) << "\n" << processes_[i]->Log();
    EXPECT_EQ(report.events(), before.log_position());
    EXPECT_EQ(report.digest().sha256(), before.sha256());
    EXPECT_EQ(report.topic(), absl::StrCat("remiss.", name, ".events.v1"));
    EXPECT_EQ(absl::StrCat("127.0.0.1:", processes_[i]->WaitForPort(kWaitLimit)), addresses_[i]);
    EXPECT_NE(processes_[i]->Log().find(absl::StrCat("restored ", name, " from remiss.", name,
                                                     ".events.v1: ", before.log_position(),
                                                     " events")),
              std::string::npos)
        << processes_[i]->Log();
    const ProjectionDigest after = DigestOf(i, dir);
    EXPECT_EQ(after.log_position(), before.log_position());
    EXPECT_EQ(after.sha256(), before.sha256()) << "the restored projections differ";
    EXPECT_EQ(after.entries(), before.entries());
    std::cout << "[ seed rounds ] " << name << " lost and restored from Kafka: "
              << after.log_position() << " events, digest " << after.sha256().substr(0, 12)
              << std::endl;
  }

  // SIGTERM to every process (the followers first), and each must exit cleanly.
  void Stop() {
    for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
      std::string how = (*it)->Stop(absl::Seconds(30));
      EXPECT_EQ(how, "") << (*it)->name() << " did not shut down cleanly on SIGTERM:\n"
                         << Tail((*it)->Log(), 5000);
    }
  }

  // Which servers are no longer running, and how they ended: for failure messages.
  std::string Casualties() {
    std::string out;
    for (auto& process : processes_) {
      std::string ended = process->Ended();
      if (!ended.empty()) absl::StrAppend(&out, "; ", process->name(), " has died (", ended, ")");
    }
    return out;
  }

 private:
  static std::string Tail(const std::string& s, size_t n) {
    return s.size() <= n ? s : "..." + s.substr(s.size() - n);
  }

  // The projections digest of processes_[i]'s service, asked as the operator.
  static grpc::SslCredentialsOptions OperatorCredentials(const std::string& dir) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(dir + "/pki/ca.pem");
    ssl.pem_cert_chain = ReadFile(dir + "/pki/operator.pem");
    ssl.pem_private_key = ReadFile(dir + "/pki/operator.key");
    return ssl;
  }

  ProjectionDigest DigestOf(size_t i, const std::string& dir) {
    auto admin = AdminService::NewStub(
        grpc::CreateChannel(addresses_[i], grpc::SslCredentials(OperatorCredentials(dir))));
    GetProjectionDigestRequest request;
    request.set_service(processes_[i]->name());
    ProjectionDigest digest;
    grpc::Status s = Query(*admin, &AdminService::Stub::GetProjectionDigest, request, &digest);
    if (!s.ok()) Fail(absl::StrCat(processes_[i]->name(), " digest: ", Describe(s)));
    return digest;
  }

  Mode mode_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::vector<std::vector<std::string>> args_;  // how each process was started
  std::vector<std::string> addresses_;
  std::unique_ptr<Cluster> client_;
};

// =====================================================================================
// What KS sees at the end, collected from one run.
// =====================================================================================

struct Collection {
  StatusBoard board_2019;
  StatusBoard board_2023;
  CompilationView compilation_2019;
  CompilationView compilation_2023;
  std::map<std::string, OrganizationView> views;  // by org id
  RevisionChain chain;             // asked of the revision
  RevisionChain chain_from_first;  // asked of the first round

  std::vector<std::pair<std::string, const Message*>> Items() const {
    std::vector<std::pair<std::string, const Message*>> items = {
        {"status board KS 2019/1939", &board_2019},
        {"status board KS 2023/739", &board_2023},
        {"compilation KS 2019/1939", &compilation_2019},
        {"compilation KS 2023/739", &compilation_2023},
        {"revision chain of KS 2023/739", &chain},
        {"revision chain of KS 2019/1939", &chain_from_first}};
    for (const auto& [org, view] : views) items.emplace_back("view of " + org, &view);
    return items;
  }
};

template <typename Request, typename Response>
void Collect(Cluster& c,
             grpc::Status (FollowupService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                           Response*),
             const Request& request, Response* response, absl::string_view what) {
  grpc::Status s = Query(c.followup(), method, request, response);
  if (!s.ok()) Fail(absl::StrCat("collecting ", what, ": ", Describe(s), c.Casualties()));
}

Collection CollectEverything(Cluster& c) {
  c.Settle();
  Collection out;
  auto by_round = [](const char* id) {
    GetStatusBoardRequest r;
    r.set_referral_id(id);
    return r;
  };
  Collect(c, &FollowupService::Stub::GetStatusBoard, by_round("KS 2019/1939"), &out.board_2019,
          "the board of KS 2019/1939");
  Collect(c, &FollowupService::Stub::GetStatusBoard, by_round("KS 2023/739"), &out.board_2023,
          "the board of KS 2023/739");
  GetCompilationRequest compilation;
  compilation.set_referral_id("KS 2019/1939");
  Collect(c, &FollowupService::Stub::GetCompilation, compilation, &out.compilation_2019,
          "the compilation of KS 2019/1939");
  compilation.set_referral_id("KS 2023/739");
  Collect(c, &FollowupService::Stub::GetCompilation, compilation, &out.compilation_2023,
          "the compilation of KS 2023/739");
  for (const OrgSpec& org : Organizations()) {
    GetOrganizationViewRequest r;
    r.set_org_id(org.id);
    Collect(c, &FollowupService::Stub::GetOrganizationView, r, &out.views[org.id],
            absl::StrCat("the view of ", org.id));
  }
  GetRevisionChainRequest chain;
  chain.set_referral_id("KS 2023/739");
  Collect(c, &FollowupService::Stub::GetRevisionChain, chain, &out.chain, "the revision chain");
  chain.set_referral_id("ks-2019-1939");
  Collect(c, &FollowupService::Stub::GetRevisionChain, chain, &out.chain_from_first,
          "the revision chain from the first round");
  return out;
}


// One run: start, play both rounds, collect, stop.
Collection PlayBothRounds(Mode mode, const std::string& dir, const std::string& brokers) {
  const absl::Time started = absl::Now();
  Servers servers(mode, dir, brokers, ModeName(mode));
  absl::Status played = seed::PlayBothRounds(servers.client());
  if (!played.ok()) Fail(std::string(played.message()));
  Collection collection = CollectEverything(servers.client());
  servers.Stop();
  std::cout << "[ seed rounds ] " << ModeName(mode) << ": "
            << absl::FormatDuration(absl::Trunc(absl::Now() - started, absl::Milliseconds(100)))
            << std::endl;
  return collection;
}

// =====================================================================================
// What the documents say.
// =====================================================================================

struct Expected {
  const char* org;
  const char* stage;
  const char* diary_number;
  const char* standpoint;
  absl::CivilSecond submitted;  // kStart: not submitted
  const char* case_officer = "";
  const char* effective_deadline = "";
  const char* extension = "";
  const char* outcome = "met";
  bool late = false;
};

void ExpectRows(const StatusBoard& board, const std::vector<Expected>& expected) {
  std::vector<std::string> orgs;
  for (const BoardRow& row : board.rows()) orgs.push_back(row.org_id());
  std::vector<std::string> expected_orgs;
  for (const Expected& e : expected) expected_orgs.push_back(e.org);
  EXPECT_EQ(orgs, expected_orgs) << "the rows of " << board.case_number() << ", by org id";
  for (const Expected& e : expected) {
    SCOPED_TRACE(absl::StrCat(board.case_number(), ", row of ", e.org));
    const BoardRow& row = Row(board, e.org);
    EXPECT_EQ(row.org_name(), OrgName(e.org));
    EXPECT_EQ(row.stage(), e.stage);
    EXPECT_EQ(row.diary_number(), e.diary_number);
    EXPECT_EQ(row.case_officer(), e.case_officer);
    EXPECT_EQ(row.standpoint(), e.standpoint);
    EXPECT_EQ(row.stated_deadline(), board.deadline());
    EXPECT_EQ(row.effective_deadline(),
              *e.effective_deadline ? e.effective_deadline : board.deadline());
    EXPECT_EQ(row.extension(), e.extension);
    EXPECT_EQ(row.deadline_outcome(), e.outcome);
    EXPECT_EQ(row.late(), e.late);
    EXPECT_FALSE(row.at_risk());
    if (e.submitted != kStart) {
      EXPECT_EQ(google::protobuf::util::TimeUtil::ToString(row.submitted_at()), Utc(e.submitted));
      EXPECT_EQ(row.days_left(), 0);
    } else {
      EXPECT_FALSE(row.has_submitted_at());
    }
  }
}

void ExpectTheFirstRound(const Collection& c) {
  const StatusBoard& b = c.board_2019;
  EXPECT_EQ(b.referral_id(), "ks-2019-1939");
  EXPECT_EQ(b.case_number(), "KS 2019/1939");
  EXPECT_EQ(b.title(), "Stockholms stads trygghetsprogram 2020-2023");
  EXPECT_EQ(b.status(), "issued");
  EXPECT_EQ(b.deadline(), "2021-02-26");
  EXPECT_EQ(b.today(), "2023-12-18");
  ExpectRows(b, {
      {kBromma, "submitted", "BRO 2020/440", "positive", kBrommaAndHvSubmit},
      {kHasselbyVallingby, "submitted", "Dnr HV 2020/786", "positive", kBrommaAndHvSubmit},
      {kSkarholmen, "submitted", "SKÄ 2020/612", "positive", kSkarholmenSubmits, "",
       "2021-03-12", "granted", "met", false},
      {kSocial, "submitted", "SOC 2020/1419", "positive with remarks", kSocSubmitsLate, "", "",
       "", "breached then answered late", true},
      {kSodermalm, "submitted", "SÖ 2020/1006", "positive", kSodermalmSubmits,
       "Christina Koistinen"},
      {kUtbildning, "submitted", "UTN 2020/1782", "positive with remarks", kUtnSubmits},
  });
  EXPECT_EQ(AsMap(b.by_stage()), (std::map<std::string, int32_t>{{"submitted", 6}}));
  EXPECT_EQ(AsMap(b.by_standpoint()),
            (std::map<std::string, int32_t>{{"positive", 4}, {"positive with remarks", 2}}));
  EXPECT_TRUE(b.not_answered().empty());
  EXPECT_EQ(b.outcome().decided_by(), "kommunfullmäktige");
  EXPECT_EQ(b.outcome().decision_date(), "2021-06-14");
  EXPECT_EQ(b.outcome().decision_reference(), "KF 2021-06-14 § 12");
  EXPECT_EQ(b.outcome().summary(), "Programmet antogs");

  // KS's feedback and the coordinator utbildningsnämnden reported it had named.
  const BoardRow& utn = Row(b, kUtbildning);
  EXPECT_EQ(utn.feedback(), kFeedbackToUtbildning);
  ASSERT_EQ(utn.actions_size(), 1);
  EXPECT_EQ(utn.actions(0).action_id(), "action-1");
  EXPECT_EQ(utn.actions(0).org_id(), kUtbildning);
  EXPECT_EQ(utn.actions(0).description(), kCoordinatorAction);
  EXPECT_EQ(utn.actions(0).due_date(), "2021-09-30");
  EXPECT_TRUE(utn.actions(0).done());
  EXPECT_EQ(utn.actions(0).done_on(), "2021-09-01");
  EXPECT_FALSE(utn.actions(0).overdue());
  for (const BoardRow& row : b.rows()) {
    if (row.org_id() != kUtbildning) {
      EXPECT_EQ(row.feedback(), "") << row.org_id();
      EXPECT_EQ(row.actions_size(), 0) << row.org_id();
    }
  }

  // The compilation: who said what.
  const Compilation& live = c.compilation_2019.live();
  EXPECT_EQ(live.case_number(), "KS 2019/1939");
  std::vector<std::string> answered;
  for (const CompiledAnswer& a : live.answers()) answered.push_back(a.org_id());
  EXPECT_EQ(answered, (std::vector<std::string>{kBromma, kHasselbyVallingby, kSkarholmen, kSocial,
                                                kSodermalm, kUtbildning}));
  std::map<std::string, const CompiledAnswer*> answers;
  for (const CompiledAnswer& a : live.answers()) answers[a.org_id()] = &a;
  if (answers.size() == 6) {
    EXPECT_EQ(answers[kBromma]->standpoint(), "STANDPOINT_POSITIVE");
    EXPECT_EQ(answers[kBromma]->summary(), kBrommaSummary);
    EXPECT_EQ(answers[kBromma]->decided_by(), "board § 5, 2021-02-18");
    EXPECT_EQ(answers[kBromma]->submitted_at(), Utc(kBrommaAndHvSubmit));
    EXPECT_EQ(answers[kBromma]->org_name(), "Bromma stadsdelsnämnd");
    EXPECT_EQ(answers[kSodermalm]->decided_by(), "board § 14, 2021-02-25");
    EXPECT_EQ(answers[kSodermalm]->submitted_at(), Utc(kSodermalmSubmits));
    EXPECT_EQ(answers[kUtbildning]->standpoint(), "STANDPOINT_POSITIVE_WITH_REMARKS");
    EXPECT_EQ(answers[kUtbildning]->decided_by(), "board § 9, 2021-02-11");
    EXPECT_EQ(answers[kHasselbyVallingby]->decided_by(), "board § 7, 2021-02-18");
    EXPECT_EQ(answers[kSocial]->decided_by(), "delegation, 2021-03-03");
    EXPECT_EQ(answers[kSocial]->submitted_at(), Utc(kSocSubmitsLate));
  }
  EXPECT_EQ(AsMap(live.standpoints()),
            (std::map<std::string, int32_t>{{"STANDPOINT_POSITIVE", 4},
                                            {"STANDPOINT_POSITIVE_WITH_REMARKS", 2}}));
  EXPECT_TRUE(live.not_answered().empty());

  // Recurring concerns, by topic: the structure (utbildningsnämnden and socialnämnden) first
  // of all.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_topic;
  std::vector<std::string> topics;
  for (const RemarksOnTopic& t : live.remarks_by_topic()) {
    topics.push_back(t.topic());
    for (const CompiledRemark& r : t.remarks()) {
      by_topic[t.topic()].emplace_back(r.org_id(), r.text());
    }
  }
  EXPECT_EQ(topics, (std::vector<std::string>{"fristående förskolor och skolor", "samordnare",
                                              "sociala insatser", "struktur",
                                              "trygghetsbegreppet"}));
  using Remarks = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(by_topic["struktur"], (Remarks{{kSocial, kSocStructureRemark},
                                           {kUtbildning, kUtnStructureRemark},
                                           {kUtbildning, kUtnReworkRemark}}));
  EXPECT_EQ(by_topic["samordnare"], (Remarks{{kUtbildning, kUtnCoordinatorRemark}}));
  EXPECT_EQ(by_topic["fristående förskolor och skolor"],
            (Remarks{{kUtbildning, kUtnIndependentSchoolsRemark}}));
  EXPECT_EQ(by_topic["trygghetsbegreppet"], (Remarks{{kHasselbyVallingby, kHvRemark}}));
  EXPECT_EQ(by_topic["sociala insatser"], (Remarks{{kSocial, kSocPreventionRemark}}));

  // Bromma's minutes, by party: the S reservation, the three special statements.
  // Each statement once, referenced under each of its parties.
  EXPECT_TRUE(live.statements_by_party().empty());
  EXPECT_EQ(live.party_statements_size(), 4);
  const auto& parties = live.party_statement_refs();
  std::vector<std::string> party_names;
  for (const auto& [party, refs] : AsMap(parties)) party_names.push_back(party);
  EXPECT_EQ(party_names, (std::vector<std::string>{"C", "L", "M", "MP", "S", "SD", "V"}));
  auto only = [&](const char* party) -> PartyStatement {
    auto it = parties.find(party);
    if (it == parties.end() || it->second.indexes_size() != 1) {
      ADD_FAILURE() << "party " << party << " should have exactly one statement";
      return PartyStatement();
    }
    return live.party_statements(it->second.indexes(0));
  };
  PartyStatement s = only("S");
  EXPECT_EQ(s.org_id(), kBromma);
  EXPECT_EQ(s.kind(), "reservation");
  EXPECT_EQ(Strings(s.members()), (std::vector<std::string>{"Johan Heinonen"}));
  EXPECT_EQ(s.text(), kBrommaReservationS);
  for (const char* party : {"M", "L", "MP", "C"}) {
    PartyStatement majority = only(party);
    EXPECT_EQ(majority.kind(), "special statement") << party;
    EXPECT_EQ(Strings(majority.parties()), (std::vector<std::string>{"M", "L", "MP", "C"}));
    EXPECT_EQ(Strings(majority.members()),
              (std::vector<std::string>{"Johan Paccamonti", "Hanna Wistrand", "Karl Persson",
                                        "Adrian Nordén"}));
    EXPECT_EQ(majority.text(), kBrommaStatementMLMPC);
  }
  PartyStatement v = only("V");
  EXPECT_EQ(v.kind(), "special statement");
  EXPECT_EQ(Strings(v.members()), (std::vector<std::string>{"Lillemor Samuelsson"}));
  EXPECT_EQ(v.text(), kBrommaStatementV);
  PartyStatement sd = only("SD");
  EXPECT_EQ(sd.kind(), "special statement");
  EXPECT_EQ(Strings(sd.members()), (std::vector<std::string>{"Ismo Pato"}));
  EXPECT_EQ(sd.text(), kBrommaStatementSD);

  // The frozen version is the compilation as it stood on 15 March: every answer was in.
  ASSERT_EQ(c.compilation_2019.frozen_size(), 1);
  const CompilationFrozen& frozen = c.compilation_2019.frozen(0);
  EXPECT_EQ(frozen.version(), 1u);
  EXPECT_EQ(frozen.referral_id(), "ks-2019-1939");
  EXPECT_EQ(frozen.note(), "Sammanställning av remissvaren inför beredningen i kommunstyrelsen.");
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(frozen.compilation(), live))
      << "frozen:\n" << Text(frozen.compilation()) << "live:\n" << Text(live);
}

void ExpectTheRevision(const Collection& c) {
  const StatusBoard& b = c.board_2023;
  EXPECT_EQ(b.referral_id(), "ks-2023-739");
  EXPECT_EQ(b.case_number(), "KS 2023/739");
  EXPECT_EQ(b.title(), "Stockholms stads trygghetsprogram 2024-2027");
  EXPECT_EQ(b.status(), "issued");
  EXPECT_EQ(b.deadline(), "2023-12-20");
  ExpectRows(b, {
      {kBromma, "submitted", "BRO 2023/512", "positive", kBrommaAnswersRevision},
      {kHasselbyVallingby, "registered", "Dnr HV 2023/655", "", kStart, "", "", "", "open"},
      {kKyrkogard, "submitted", kKyrkogardDiaryNumber, "positive", kRevisionSubmitted},
      {kUtbildning, "submitted", "UTN 2023/2011", "positive", kRevisionSubmitted},
  });
  EXPECT_EQ(Row(b, kHasselbyVallingby).days_left(), 2);  // 18 December to 20 December
  EXPECT_EQ(AsMap(b.by_stage()),
            (std::map<std::string, int32_t>{{"submitted", 3}, {"registered", 1}}));
  EXPECT_EQ(AsMap(b.by_standpoint()), (std::map<std::string, int32_t>{{"positive", 3}}));
  EXPECT_EQ(Strings(b.not_answered()), (std::vector<std::string>{kHasselbyVallingby}));
  EXPECT_FALSE(b.has_outcome());

  const Compilation& live = c.compilation_2023.live();
  EXPECT_EQ(live.answers_size(), 3);
  EXPECT_EQ(Strings(live.not_answered()), (std::vector<std::string>{kHasselbyVallingby}));
  EXPECT_EQ(AsMap(live.standpoints()),
            (std::map<std::string, int32_t>{{"STANDPOINT_POSITIVE", 3}}));
  for (const CompiledAnswer& a : live.answers()) {
    if (a.org_id() == kKyrkogard) {
      EXPECT_EQ(a.decided_by(), "board § 10, 2023-12-14");
    }
    if (a.org_id() == kBromma) {
      EXPECT_EQ(a.decided_by(), "delegation, 2023-12-07");
    }
  }
  EXPECT_TRUE(live.remarks_by_topic().empty());
  EXPECT_TRUE(live.party_statements().empty());
  EXPECT_TRUE(live.party_statement_refs().empty());
  EXPECT_EQ(c.compilation_2023.frozen_size(), 0);

  // The chain: both rounds, oldest first, standpoints side by side.
  const RevisionChain& chain = c.chain;
  ASSERT_EQ(chain.rounds_size(), 2);
  EXPECT_EQ(chain.rounds(0).case_number(), "KS 2019/1939");
  EXPECT_EQ(chain.rounds(1).case_number(), "KS 2023/739");
  EXPECT_EQ(chain.rounds(1).title(), "Stockholms stads trygghetsprogram 2024-2027");
  EXPECT_EQ(Strings(chain.org_ids()),
            (std::vector<std::string>{kBromma, kHasselbyVallingby, kKyrkogard, kSkarholmen, kSocial,
                                      kSodermalm, kUtbildning}));
  EXPECT_EQ(AsMap(chain.rounds(0).standpoints()),
            (std::map<std::string, std::string>{{kBromma, "positive"},
                                                {kHasselbyVallingby, "positive"},
                                                {kSkarholmen, "positive"},
                                                {kSocial, "positive with remarks"},
                                                {kSodermalm, "positive"},
                                                {kUtbildning, "positive with remarks"}}));
  EXPECT_EQ(AsMap(chain.rounds(1).standpoints()),
            (std::map<std::string, std::string>{{kBromma, "positive"},
                                                {kHasselbyVallingby, ""},
                                                {kKyrkogard, "positive"},
                                                {kUtbildning, "positive"}}));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(c.chain, c.chain_from_first))
      << "asked of the first round:\n" << Text(c.chain_from_first);
}

void ExpectTheOrganizationsViews(const Collection& c) {
  const std::map<std::string, std::vector<std::string>> rounds = {
      {kKs, {}},
      {kBromma, {"KS 2019/1939", "KS 2023/739"}},
      {kSodermalm, {"KS 2019/1939"}},
      {kHasselbyVallingby, {"KS 2019/1939", "KS 2023/739"}},
      {kSkarholmen, {"KS 2019/1939"}},
      {kUtbildning, {"KS 2019/1939", "KS 2023/739"}},
      {kSocial, {"KS 2019/1939"}},
      {kKyrkogard, {"KS 2023/739"}},
  };
  for (const auto& [org, expected] : rounds) {
    SCOPED_TRACE(absl::StrCat("the view of ", org));
    auto it = c.views.find(org);
    ASSERT_NE(it, c.views.end());
    const OrganizationView& view = it->second;
    EXPECT_EQ(view.org_id(), org);
    EXPECT_EQ(view.org_name(), OrgName(org));
    std::vector<std::string> cases;
    for (const OrganizationItem& item : view.items()) {
      cases.push_back(item.case_number());
      // The board's own row is the row KS sees.
      const StatusBoard& board = item.case_number() == "KS 2019/1939" ? c.board_2019 : c.board_2023;
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(item.row(), Row(board, org)))
          << item.case_number() << ":\n" << Text(item.row());
      EXPECT_EQ(item.title(), board.title());
    }
    EXPECT_EQ(cases, expected);
  }
}

void ExpectWhatTheDocumentsSay(const Collection& c, const std::string& run) {
  SCOPED_TRACE(run);
  ExpectTheFirstRound(c);
  ExpectTheRevision(c);
  ExpectTheOrganizationsViews(c);
}

void ExpectIdentical(const Collection& a, const std::string& a_name, const Collection& b,
                     const std::string& b_name) {
  auto ai = a.Items();
  auto bi = b.Items();
  ASSERT_EQ(ai.size(), bi.size());
  for (size_t i = 0; i < ai.size(); ++i) {
    ASSERT_EQ(ai[i].first, bi[i].first);
    if (DeterministicBytes(*ai[i].second) != DeterministicBytes(*bi[i].second)) {
      ADD_FAILURE() << ai[i].first << " differs between the runs.\n---- " << a_name << ":\n"
                    << Text(*ai[i].second) << "---- " << b_name << ":\n"
                    << Text(*bi[i].second);
    }
  }
}

// =====================================================================================

TEST(SeedRounds, BothRoundsPlayTheSameInOneProcessAndOverKafkaAndSayWhatTheDocumentsSay) {
  remiss::testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::map<Mode, Collection> runs;
  for (Mode mode : {Mode::kOneProcess, Mode::kOverKafka}) {
    std::unique_ptr<remiss::testing::KafkaBroker> broker;
    if (mode == Mode::kOverKafka) {
      auto started = remiss::testing::KafkaBroker::Start();
      ASSERT_TRUE(started.ok()) << started.status();
      broker = std::move(*started);
    }
    try {
      runs[mode] = PlayBothRounds(mode, dir.Sub(mode == Mode::kOneProcess ? "one" : "kafka"),
                       broker ? broker->bootstrap() : "");
    } catch (const std::exception& e) {
      FAIL() << ModeName(mode) << ": " << e.what();
    }
    ExpectWhatTheDocumentsSay(runs[mode], ModeName(mode));
  }
  ExpectIdentical(runs[Mode::kOneProcess], ModeName(Mode::kOneProcess), runs[Mode::kOverKafka],
                  ModeName(Mode::kOverKafka));
}

}  // namespace
}  // namespace remiss
