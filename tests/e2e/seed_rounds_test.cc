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
// The same scenario runs twice: in one remissd process, and as the four services' own
// processes over a real Kafka broker. What KS sees at the end (status boards, compilations,
// every organization's view, the revision chain) must be identical in both runs, and must say
// what the documents say.
//
// Where a document gives no date, paragraph or diary number, one is chosen and marked
// "chosen:" below; Skärholmen's and socialnämnden's answers are not in the seeds at all and
// are made up to show an extension and a late answer.
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
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/deadlines.grpc.pb.h"
#include "remiss/v1/followup.grpc.pb.h"
#include "remiss/v1/referrals.grpc.pb.h"
#include "remiss/v1/responses.grpc.pb.h"
#include "tests/integration/kafka_broker.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace remiss {
namespace {

using namespace remiss::v1;  // NOLINT: the API's messages, throughout
using google::protobuf::Message;

// =====================================================================================
// Time: everything happens in Stockholm.
// =====================================================================================

const absl::TimeZone& Stockholm() {
  static const absl::TimeZone* tz = [] {
    auto* zone = new absl::TimeZone;
    if (!absl::LoadTimeZone("Europe/Stockholm", zone)) {
      throw std::runtime_error("cannot load the time zone Europe/Stockholm");
    }
    return zone;
  }();
  return *tz;
}

absl::Time At(absl::CivilSecond local) { return absl::FromCivil(local, Stockholm()); }

// What a submitted_at looks like in the views (RFC 3339, UTC).
std::string Utc(absl::CivilSecond local) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", At(local), absl::UTCTimeZone());
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

// The scenario's calendar: when each user acts (Stockholm time). The documents' own dates
// (meetings, attestations, consultations) are in the seed data further down.
constexpr absl::CivilSecond kStart{2020, 12, 1, 9, 0, 0};
constexpr char kStartFlag[] = "2020-12-01T09:00:00+01:00";
// KS 2019/1939
constexpr absl::CivilSecond kKsRegistersOrganizations{2020, 12, 1, 9, 15, 0};
constexpr absl::CivilSecond kKsDraftsRound2019{2020, 12, 8, 10, 0, 0};      // chosen
constexpr absl::CivilSecond kKsIssuesRound2019{2020, 12, 10, 9, 0, 0};      // chosen
constexpr absl::CivilSecond kBrommaAndHvRegister{2020, 12, 14, 10, 0, 0};   // chosen
constexpr absl::CivilSecond kSodermalmAndUtnRegister{2020, 12, 15, 10, 0, 0};  // chosen
constexpr absl::CivilSecond kSkarholmenAndSocRegister{2020, 12, 16, 10, 0, 0};  // chosen
constexpr absl::CivilSecond kBrommaAndHvDraft{2021, 2, 4, 10, 0, 0};        // chosen
// 001: attested on 2021-02-05; the councils met on 15 and 16 February.
constexpr absl::CivilSecond kSodermalmDraftsAndAttests{2021, 2, 5, 11, 0, 0};
constexpr absl::CivilSecond kUtnDrafts{2021, 2, 8, 10, 0, 0};               // chosen
constexpr absl::CivilSecond kUtnBoardMeets{2021, 2, 11, 19, 0, 0};          // chosen
constexpr absl::CivilSecond kUtnSubmits{2021, 2, 12, 9, 30, 0};             // chosen
constexpr absl::CivilSecond kSkarholmenAsksForTime{2021, 2, 15, 9, 0, 0};   // made up
constexpr absl::CivilSecond kKsGrantsExtension{2021, 2, 16, 10, 0, 0};      // made up
constexpr absl::CivilSecond kSodermalmRecordsConsultations{2021, 2, 16, 16, 0, 0};
constexpr absl::CivilSecond kBrommaAndHvBoardsMeet{2021, 2, 18, 19, 0, 0};  // chosen
constexpr absl::CivilSecond kBrommaAndHvSubmit{2021, 2, 19, 9, 0, 0};       // chosen
constexpr absl::CivilSecond kSkarholmenDrafts{2021, 2, 22, 10, 0, 0};       // made up
constexpr absl::CivilSecond kSodermalmBoardMeets{2021, 2, 25, 20, 0, 0};    // 001: dated 2021-02-25
constexpr absl::CivilSecond kSodermalmSubmits{2021, 2, 25, 20, 30, 0};      // 001: 2021-02-25
constexpr absl::CivilSecond kDayAfterTheDeadline{2021, 2, 27, 8, 30, 0};    // past 2021-02-26
constexpr absl::CivilSecond kSocDrafts{2021, 3, 1, 10, 0, 0};               // made up
constexpr absl::CivilSecond kSocSubmitsLate{2021, 3, 3, 14, 0, 0};          // made up
constexpr absl::CivilSecond kSkarholmenBoardMeets{2021, 3, 11, 19, 0, 0};   // made up
constexpr absl::CivilSecond kSkarholmenSubmits{2021, 3, 12, 9, 0, 0};      // made up
constexpr absl::CivilSecond kKsCompiles{2021, 3, 15, 10, 0, 0};             // chosen
constexpr absl::CivilSecond kKsRecordsAdoption{2021, 6, 15, 10, 0, 0};      // the day after KF
constexpr absl::CivilSecond kUtnReportsCoordinator{2021, 9, 1, 10, 0, 0};   // made up
// KS 2023/739
constexpr absl::CivilSecond kKsIssuesRevision{2023, 11, 6, 10, 0, 0};       // chosen
constexpr absl::CivilSecond kRevisionRegistered{2023, 11, 8, 10, 0, 0};     // chosen
constexpr absl::CivilSecond kKyrkogardAttests{2023, 11, 21, 10, 26, 55};    // 002's signature
constexpr absl::CivilSecond kKyrkogardForvaltningsgrupp{2023, 12, 5, 15, 0, 0};  // 002: 5 Dec
constexpr absl::CivilSecond kBrommaAnswersRevision{2023, 12, 7, 11, 0, 0};  // made up
constexpr absl::CivilSecond kRevisionBoardsMeet{2023, 12, 14, 19, 0, 0};    // chosen
constexpr absl::CivilSecond kRevisionSubmitted{2023, 12, 15, 14, 0, 0};     // chosen
constexpr absl::CivilSecond kKsLooksAtEverything{2023, 12, 18, 10, 0, 0};   // before 2023-12-20

// =====================================================================================
// Failures: a step that cannot go on throws; the test reports it with the processes' logs.
// =====================================================================================

[[noreturn]] void Fail(const std::string& what) { throw std::runtime_error(what); }

std::string Text(const Message& m) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  std::string out;
  printer.PrintToString(m, &out);
  return out;
}

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

// =====================================================================================
// Calls: every call has a deadline and names its caller (ids, never names).
// =====================================================================================

struct Who {
  std::string org;
  std::string role;
  std::string person;
};

const Who kKsRegistrator{"ks", "registrator", "ks-registrator-1"};
const Who kKsHandlaggare{"ks", "handlaggare", "ks-handlaggare-7"};
const Who kKsReader{"ks", "handlaggare", "ks-handlaggare-7"};

constexpr absl::Duration kCallDeadline = absl::Seconds(10);

template <typename Fn>
grpc::Status Call(const Who& who, Fn&& fn) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + kCallDeadline));
  ctx.AddMetadata("x-remiss-org", who.org);
  ctx.AddMetadata("x-remiss-role", who.role);
  ctx.AddMetadata("x-remiss-person", who.person);
  return fn(&ctx);
}

std::string Describe(const grpc::Status& s) {
  return absl::StrCat("gRPC code ", static_cast<int>(s.error_code()), ": ", s.error_message());
}

template <typename Stub, typename Request, typename Response>
grpc::Status Query(Stub& stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, Response* response, const Who& who = kKsReader) {
  return Call(who,
              [&](grpc::ClientContext* ctx) { return (stub.*method)(ctx, request, response); });
}

// =====================================================================================
// The cluster: the services in one remissd, or as four processes over Kafka.
// =====================================================================================

enum class Mode { kOneProcess, kOverKafka };

std::string ModeName(Mode mode) {
  return mode == Mode::kOneProcess ? "one remissd process" : "four processes over Kafka";
}

constexpr absl::Duration kWaitLimit = absl::Seconds(30);
constexpr absl::Duration kWaitStep = absl::Milliseconds(50);

class Cluster {
 public:
  // Starts the servers on free ports, all on the manual clock at kStart.
  Cluster(Mode mode, const std::string& dir, const std::string& brokers)
      : mode_(mode), now_(At(kStart)) {
    std::filesystem::create_directories(dir);
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
      auto& server = servers_.emplace_back();
      server.process = std::make_unique<Process>(spec.name, args,
                                                 absl::StrCat(dir, "/", spec.name, ".log"));
    }
    for (Server& server : servers_) {
      int port = server.process->WaitForPort(kWaitLimit);
      server.channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                           grpc::InsecureChannelCredentials());
      server.admin = AdminService::NewStub(server.channel);
    }
    auto channel = [this](int i) { return servers_[mode_ == Mode::kOneProcess ? 0 : i].channel; };
    referrals_ = ReferralService::NewStub(channel(0));
    responses_ = ResponseService::NewStub(channel(1));
    deadlines_ = DeadlineService::NewStub(channel(2));
    followup_ = FollowupService::NewStub(channel(3));
  }

  // Kills whatever still runs; after a failure, shows every process's log.
  ~Cluster() {
    if (std::uncaught_exceptions() > 0 || ::testing::Test::HasFailure()) {
      for (const Server& server : servers_) {
        std::cerr << "---- log of " << server.process->name() << " (" << ModeName(mode_)
                  << "):\n" << Tail(server.process->Log(), 20000) << "\n";
      }
    }
  }

  // SIGTERM to every process (the followers first), and each must exit cleanly.
  void Stop() {
    for (auto it = servers_.rbegin(); it != servers_.rend(); ++it) {
      std::string how = it->process->Stop(absl::Seconds(30));
      EXPECT_EQ(how, "") << it->process->name() << " did not shut down cleanly on SIGTERM:\n"
                         << Tail(it->process->Log(), 5000);
    }
  }

  ReferralService::Stub& referrals() { return *referrals_; }
  ResponseService::Stub& responses() { return *responses_; }
  DeadlineService::Stub& deadlines() { return *deadlines_; }
  FollowupService::Stub& followup() { return *followup_; }

  // Moves every process's clock (AdminService/SetClock) to `to`, which must be later than
  // now. First lets every service take in what happened so far, as a real day would.
  void SetClock(absl::Time to) {
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
        Fail(absl::StrCat(server.process->name(), " SetClock: ", Describe(s), Casualties()));
      }
      if (state.now().seconds() != absl::ToUnixSeconds(to) || !state.manual()) {
        Fail(absl::StrCat(server.process->name(), " SetClock answered ", Text(state)));
      }
    }
    now_ = to;
  }
  void SetClock(absl::CivilSecond stockholm) { SetClock(At(stockholm)); }

  // Which servers are no longer running, and how they ended: for failure messages.
  std::string Casualties() {
    std::string out;
    for (Server& server : servers_) {
      std::string ended = server.process->Ended();
      if (!ended.empty()) {
        absl::StrAppend(&out, "; ", server.process->name(), " has died (", ended, ")");
      }
    }
    return out;
  }

  // A unique, readable command id; the same sequence in both runs.
  std::string NextCommandId(absl::string_view what) {
    return absl::StrCat(what, "-", ++commands_);
  }

  // Polls `condition` (every 50 ms, at most 30 s) until it holds; `seen` says what was last
  // observed, for the failure message.
  void WaitUntil(absl::string_view what, const std::function<bool(std::string* seen)>& condition) {
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

  // Every service has taken in everything the services it follows have recorded (responses
  // follows referrals, deadlines follows responses, followup follows all three), and every
  // relay has published its log: the same twice in a row.
  void Settle() {
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
          *seen = absl::StrCat(server.process->name(), " GetPositions: ", Describe(s));
          return false;
        }
        for (const ServicePositions& p : positions.services()) all[p.service()] = p;
      }
      bool caught_up = true;
      std::string snapshot;
      for (const auto& [consumer, source] : kFollows) {
        const uint64_t head = all[source].log_position();
        // LocalFeed: the offset is the source position. Kafka: offsets count the messages of
        // each partition of the source's topic, one message per event.
        uint64_t taken = 0;
        for (const FeedPosition& f : all[consumer].feeds()) {
          if (f.source() != source) continue;
          if (mode_ == Mode::kOneProcess) {
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

  StatusBoard WaitForBoard(absl::string_view referral_id, absl::string_view what,
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

  Deadline WaitForDeadline(absl::string_view referral_id, absl::string_view org_id,
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

  void WaitForResponse(absl::string_view referral_id, absl::string_view org_id) {
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

 private:
  static std::string Tail(const std::string& s, size_t n) {
    return s.size() <= n ? s : "..." + s.substr(s.size() - n);
  }

  struct Server {
    std::unique_ptr<Process> process;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<AdminService::Stub> admin;
  };

  Mode mode_;
  absl::Time now_;
  uint64_t commands_ = 0;
  std::vector<Server> servers_;
  std::unique_ptr<ReferralService::Stub> referrals_;
  std::unique_ptr<ResponseService::Stub> responses_;
  std::unique_ptr<DeadlineService::Stub> deadlines_;
  std::unique_ptr<FollowupService::Stub> followup_;
};

// A command: a fresh command id, the caller in metadata; anything but OK stops the scenario.
template <typename Stub, typename Request>
CommandResult Command(Cluster& cluster, const Who& who, Stub& stub,
                      grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                   CommandResult*),
                      Request request, absl::string_view what) {
  request.set_command_id(cluster.NextCommandId(what));
  CommandResult result;
  grpc::Status s =
      Call(who, [&](grpc::ClientContext* ctx) { return (stub.*method)(ctx, request, &result); });
  if (!s.ok()) {
    Fail(absl::StrCat(what, " by ", who.org, " was refused: ", Describe(s), cluster.Casualties()));
  }
  return result;
}

// =====================================================================================
// Seed data: the organizations, the rounds, and what each board's documents say.
// =====================================================================================

struct OrgSpec {
  const char* id;
  const char* name;
  OrganizationKind kind;
  const char* diary_prefix;
};

constexpr char kKs[] = "ks";
constexpr char kBromma[] = "bromma-sdn";
constexpr char kSodermalm[] = "sodermalm-sdn";
constexpr char kHasselbyVallingby[] = "hasselby-vallingby-sdn";
constexpr char kSkarholmen[] = "skarholmen-sdn";  // asks for an extension (made up)
constexpr char kUtbildning[] = "utbildningsnamnden";
constexpr char kSocial[] = "socialnamnden";  // answers late (made up)
constexpr char kKyrkogard[] = "kyrkogardsnamnden";

const std::vector<OrgSpec>& Organizations() {
  static const std::vector<OrgSpec> orgs = {
      {kKs, "Kommunstyrelsen", ORGANIZATION_KIND_KOMMUNSTYRELSE, "KS"},
      {kBromma, "Bromma stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "BRO"},
      {kSodermalm, "Södermalms stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "SÖ"},
      {kHasselbyVallingby, "Hässelby-Vällingby stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND,
       "HV"},
      {kSkarholmen, "Skärholmens stadsdelsnämnd", ORGANIZATION_KIND_STADSDELSNAMND, "SKÄ"},
      {kUtbildning, "Utbildningsnämnden", ORGANIZATION_KIND_FACKNAMND, "UTN"},
      {kSocial, "Socialnämnden", ORGANIZATION_KIND_FACKNAMND, "SOC"},
      {kKyrkogard, "Kyrkogårdsnämnden", ORGANIZATION_KIND_FACKNAMND, "KYF"},  // chosen prefix
  };
  return orgs;
}

std::string OrgName(absl::string_view org_id) {
  for (const OrgSpec& org : Organizations()) {
    if (org.id == org_id) return org.name;
  }
  return "";
}

Document Doc(const char* id, const char* title, const char* sha256) {
  Document d;
  d.set_id(id);
  d.set_title(title);
  d.set_uri(absl::StrCat("urn:remiss:document:", id));
  d.set_sha256(sha256);
  return d;
}

// sha256 of the program's title and of the seed documents' text (the contents the tests have).
Document Program2020() {
  return Doc("bilaga-1", "Stockholms stads trygghetsprogram 2020-2023",
             "f268b8c07c5194e1815f94974a90f687932771199c556d2f3aace03af58c1531");
}
Document Program2024() {
  return Doc("bilaga-1", "Stockholms stads trygghetsprogram 2024-2027",
             "4cfe66e5964a1758d7c09dc175adcb8f65f3e61961c8f9cfe34537e2fd5f01c1");
}

struct RoundSpec {
  const char* case_number;
  const char* referral_id;
  const char* title;
  const char* summary;
  Document program;
  std::vector<std::string> addressees;
  const char* deadline;
};

RoundSpec Round2019() {
  return {"KS 2019/1939",
          "ks-2019-1939",
          "Stockholms stads trygghetsprogram 2020-2023",
          "Stockholms stads trygghets- och säkerhetsprogram 2018-2021 har reviderats och föreslås "
          "ersättas av Stockholms stads trygghetsprogram 2020-2023. Förslaget till "
          "trygghetsprogram ska gälla samtliga nämnder och bolagsstyrelser.",
          Program2020(),
          {kBromma, kSodermalm, kHasselbyVallingby, kSkarholmen, kUtbildning, kSocial},
          "2021-02-26"};
}

RoundSpec Round2023() {
  return {"KS 2023/739",
          "ks-2023-739",
          "Stockholms stads trygghetsprogram 2024-2027",
          "Stockholm stads trygghetsprogram 2020-2023 antogs av kommunfullmäktige 2021 och har nu "
          "reviderats.",
          Program2024(),
          {kKyrkogard, kBromma, kUtbildning, kHasselbyVallingby},
          "2023-12-20"};
}

// ---- 000: Bromma stadsdelsnämnd, protocol extract § 5, BRO 2020/440 ----

// The texts of the protocol extract, verbatim (line breaks of the extract joined).
constexpr char kBrommaSummary[] = R"txt(I samband med budget för 2019 gavs kommunstyrelsen i uppdrag att revidera Stockholms stads Trygghets- och säkerhetsprogram 2018-2021. Stockholms stads Trygghetsprogram föreslås, att tillsammans med Stockholms stads Säkerhetsprogram 2020-2023, ersätta ”För ett tryggare och säkrare Stockholm – Stockholms stads trygghets- och säkerhetsprogram 2018-2021”. Förslaget till Trygghetsprogram föreslås gälla samtliga nämnder och bolagsstyrelser. Förvaltningen ställer sig positiv till förslaget och ser inga större hinder för att Stockholms stads Trygghetsprogram 2020-2023 antas och ersätter Stockholms stads Trygghets- och säkerhetsprogram 2018-2021, gällande stadens brottsförebyggande och trygghetsskapande arbete.)txt";

constexpr char kBrommaReservationS[] = R"txt(Delvis godkänna förvaltningens förslag till beslut och därutöver anföra följande:

Arbetet för jämlikhet och mot segregation är avgörande om vi ska skapa ett tryggare Stockholm. Vi vill att alla stadsdelar ska vara trygga. Att Stockholm är och upplevs som en trygg och säker stad är ett ansvar som vilar på samtliga nämnder och bolagsstyrelser. Det är genom förebyggande systematiskt säkerhetsarbete, riktade insatser och trygghetsskapande åtgärder i den fysiska miljön, samt ett omfattande preventivt socialt arbete som trygghet kan uppnås.

Den gängkriminalitet som plågat vissa av Stockholms stadsdelar måste brytas. Att rekryteringen till gängen tillåtits fortsätta är ett misslyckande för inte minst Stockholms stad som får sägas ha huvudansvaret för att bryta denna utveckling i Stockholm. Historiskt dåliga förutsättningar för socialtjänsten under tidigare mandatperioder och till skolan under innevarande år bidrar till detta. Det räcker inte att det står fina skrivningar i programmet om hur viktigt det är med arbetsmarknadsinsatser för unga eller att skolan är en av de viktigaste skyddsfaktorerna för att förhindra att barn och unga hamnar i kriminalitet om resurser inte avsätts. Verksamheterna som utgör grunden i trygghetsarbetet måste ges förutsättningar att bedriva sitt arbete. Minskade resurser till förskolan, avskaffad 90-dagarsgarani och nedläggning av fritidsgårdar är fel väg att gå.

I förslaget till trygghetsprogram framhålls vikten av samverkan. Det är oerhört viktigt med båda intern och extern samverkan för ett framgångsrikt trygghetsarbete. Samtliga nämnder och bolagsstyrelser behöver bli ännu bättre i att samverka med varandra och med andra aktörer som polisen, regionen, näringslivet och föreningslivet. Men för att kunna samverka krävs det att varje verksamhet är medveten om hur den egna verksamheten bidrar till ett tryggare Stockholm både kortsiktigt och långsiktigt. Tyvärr har vi sett hur stadens ledning vid ett flertal tillfällen försökt frånsäga sig ansvaret för trygghetsarbetet. Istället för att höja ambitionerna för stadens förebyggande arbete har ledningen önskat att flytta fokus till vad regeringen och andra aktörer bör göra. Det sänder fel signaler till stadens verksamheter. Staden förfogar över många verktyg som kan användas för att stärka tryggheten.

Vi vill understryka de synpunkter som miljöförvaltningen lyfter om att programmet hade tjänat på att lyft oron och rädslan för miljön och klimatet som medborgarna känner. Oron har en stor påverkan för stockholmarnas upplevelse av trygghet. Vi anser att ett miljöperspektiv ska tillföras i programmet.

Vidare saknar vi i programmet skrivningar om segregationens effekter på trygghet. Att blunda för vilka risker som sociala skillnader innebär kan försvaga stadens förståelse och beredskap för social oro. Man kan ställa sig frågande till varför majoriteten inte vill ta upp sociala skillnader och om det finns en koppling till de senaste årens nedskärningar på det förebyggande arbetet som till exempel förskola, skola och feriejobb till unga. De besparingar som majoriteten tror sig göra idag kommer att kosta staden ofantliga summor i framtiden när färre barn klarar kunskapsmålen och segregationen ökar.

Det offentliga rummet tillhör alla. Alla, oavsett kön och ålder, ska kunna känna sig trygga överallt i vår stad. Men verkligheten är att många stockholmare upplever otrygghet i det offentliga rummet. Det var därför som vi i den dåvarande majoriteten år 2018 införde en trygghetsfond med 200 miljoner kronor. Fonden syftar till att möjliggöra stadsmiljöåtgärder som förebygger brott och bidrar till ökad trygghet, säkerhet och trivsel. Det kan exempelvis handla om bättre belysning, kameror, pollare, offentlig närvaro och liknande projekt för att förstärka den fysiska tryggheten.

Fonden har varit uppskattad av nämnderna. Tyvärr ser vi hur den borgerliga majoriteten under sina två år har byråkratiserat, försvårat och stoppat insatser. Syftet med fonden om att öka tryggheten och säkerheten genom att låta stadsdelar och nämnder lokalt identifiera otrygga platser tillsammans med polis, näringsliv, föreningsliv och medborgare har försvårats. Till exempel har flertalet nämnder identifierat otrygga platser och ansökt medel men sett hur deras ansökan avslagits med en uppmaning att inkomma med en ny ansökan igen. Viktiga trygghetsinvesteringar har tyvärr uteblivit.

Programmet knyter an till översiktsplanen vilket vi anser är bra. Problemet är återigen att majoritetens handling inte överensstämmer med målsättningarna och insatserna som lyfts i programmet. Fokus Skärholmen lyfts fram som ett positivt arbete samtidigt som man har valt att omorganisera projektet och minska resurserna. Man talar även varmt om de strategiska sambanden samtidigt som man stoppar många av ambitionerna i det samband som kommit längst, nämligen Spångadalen.

Under våren 2020 beslutade kommunfullmäktige om Stockholms stads säkerhetsprogram. Det är beklagligt att majoriteten valde att remittera ut säkerhetsprogrammet och trygghetsprogrammet vid olika tillfällen eftersom trygghet och säkerhet hänger ihop i en väldigt stor utsträckning. Det hade varit av stort värde om stadens verksamheter hade getts möjlighet att framföra synpunkter med båda programmen framför sig.)txt";

constexpr char kBrommaStatementMLMPC[] = R"txt(Den grönblå majoriteten ställer sig bakom förvaltningens svar på samrådet och vill härutöver anföra följande:

Pensionärs- och funktionshinderrådet uppmärksammar båda avsaknaden på dessa två perspektiv i Trygghetsprogrammet där de endast omnämns som särskilt utsatta brottsoffer. Funktionshinderrådet i Bromma anser att programmet i dess nuvarande form inte är tillräckligt genomarbetat och pensionärsrådet anser att programmet tar för lite hänsyn till äldre och äldreperspektivet bör bli tydligare i programmet.

Programmet är tänkt att som ett övergripande paraply och inkluderar ett antal olika underliggande styrdokument som berör specifika områden. För att säkerställa att programmet blir så kraftfullt som Stockholm har behov av bör alla underliggande styrdokument listas med hyperlänkar i slutet så att man förstår helheten i programmet samt enkelt kan få fram den information som behövs.)txt";

constexpr char kBrommaStatementV[] = R"txt(När nu majoriteten valt att dela upp program för säkerhet och trygghet borde programmen gått ut på remiss samtidigt för att det ska vara möjligt att få överblick över helheten i hur trygghets- och säkerhetsarbetet ska bedrivas. Istället har programmen delats upp och säkerhetsprogrammet behandlades under 2019, vilket vi tycker är beklagligt. Trygghetsprogrammet ska gälla från och med 2020 vilket av uppenbara skäl inte är möjligt, det bör korrigeras till 2021-2023.

Programmet fäster stor vikt vid brottsprevention och stadsmiljöfrågor. Det är två mycket viktiga delar i att skapa ett tryggare Bromma och en trygg stad, men vi saknar ett tydligare fokus på sociala förebyggande insatser som leder till ökad jämlikhet. Det räcker inte med en ren och välskött stadsmiljö för att stärka tryggheten och förebygga brottslighet. En stabil och välfungerande socialtjänst som invånarna känner högt förtroende för är helt avgörande för ett lyckat trygghetsarbete. Vi vill sänka trösklarna för tidiga insatser och ge ytterligare förutsättningar för god samverkan med förskola, skola, fritidsverksamheter, civilsamhälle och andra myndigheter utifrån bland annat de rekommendationer som lämnades i Kommissionen för ett socialt hållbart Stockholm.

Trygghetsprogrammet pekar ut stadsdelsnämnderna som en av de mest centrala aktörerna för genomförandet av programmet. Stadsdelsnämnderna får genom programmet även ett stort ansvar för uppföljning och samordning av trygghetsskapande insatser. Förskola, socialtjänst samt fritidsverksamheter och aktiviteter för barn och unga beskrivs som högt prioriterade områden. Vi håller med om detta men kan samtidigt konstatera att den borgerliga majoriteten under tre års tid genomfört kraftiga besparingar inom dessa områden. Stadsdelsnämnderna har redan ett mycket omfattande ansvarsområde och bedriver stor del av stadens viktiga kärnverksamhet och skulle behöva en stärkt finansiering.

Liksom i säkerhetsprogrammet efterfrågar vi tydligare skrivningar om socioekonomisk segregation i staden. Det finns forskning om segregation och dess effekter, bland annat från Stockholms universitet som kan vara behjälplig i dessa analyser. Programmet bör också kompletteras med analyser av vilka effekter den ökade ekonomiska ojämlikheten i staden får på säkerhetsarbetet, bland annat i form av tillit i samhället i stort, vilket lyfts i programmet som en del av det övergripande målet med stadens säkerhetsarbete. Trygghetsprogrammet skulle även kunna lyfta fram vilka åtgärder som behövs för att öka tillit och tilltro till staden. Även när det rör ekonomisk ojämlikhet och tillit finns det forskning som kan vara vägledande. Det faktum att Sverige har gått från att vara ett av de länder vars skattesystem omfördelar mest till att ha det minst omfördelande skattesystemet inom EU:s kärnländer sätter fokus på att enbart ett kommunalt trygghetsprogram aldrig kan öka tryggheten för de mest otrygga. Trygghet är liksom det mesta i samhället en klassfråga.

Slutligen vill vi också framhålla att det när det kommer till kommunikation är mycket viktigt att komplettera programmet med skrivningar om hur kommunikationen ska vara tillgänglig för alla oavsett funktionsvariation.)txt";

constexpr char kBrommaStatementSD[] = R"txt(Ett nytt program har tagits fram med syfte att förbättra tryggheten för våra invånare. Även om vi tror att intentionerna är goda så ställer vi oss frågande till att tid och fokus läggs på att upprepa redan beprövade metoder. Vi hade istället velat se att det brottspreventiva arbetet som redan gjorts utvärderades, för att på så sätt se vilka lösningar som varit effektiva och vilka som varit det motsatta.

Trots att Stockholms stad under flera decennier bedrivit ett dyrt och omfattande brottspreventivt arbete blir brottsligheten allt grövre och kriminaliteten sjunker ner i åldrarna. Den alltmer påtagliga kriminaliteten har orsakat många medborgare oro för deras egen, deras familjer och i synnerhet deras barns, säkerhet.

Att staden parallellt med det skulle lyckas halvera otryggheten samt inte ha några utsatta eller särskilt utsatta områden till år 2025 framstår som en omöjlig målsättning och vi vill därför peka på vikten av att faktiskt utvärdera arbetet för att det ska kunna bli så effektivt som möjligt.)txt";

constexpr char kBrommaDecisionText[] =
    "Stadsdelsnämnden överlämnar remissvaret Stockholms stads Trygghetsprogram 2020-2023 till "
    "kommunstyrelsen.";
constexpr char kBrommaBeslutsgang[] =
    "Ordföranden ställde förslagen mot varandra och konstaterade att nämnden ställde sig bakom "
    "förvaltningens förslag.";

Document BrommaAnswerDocument() {
  return Doc("411197", "(Godkänd - R 1) Remissvar Stockholms stads Trygghetsprogram 2020- 2023",
             "7215e5e2173da39a11faa078b9c99a4ed8ad7580a39dc29a56f62d4bcfb3fc97");
}
Document BrommaProgramDocument() {
  return Doc("409404", "Trygghetsprogram KS Bilaga 1",
             "f268b8c07c5194e1815f94974a90f687932771199c556d2f3aace03af58c1531");
}

Statement BrommaStatement() {
  Statement s;
  s.set_statement_date("2021-02-04");  // chosen: the extract gives no date
  s.set_addressed_to("Bromma stadsdelsnämnd");
  s.add_proposed_decision(kBrommaDecisionText);
  s.set_summary(kBrommaSummary);
  s.set_standpoint(STANDPOINT_POSITIVE);
  return s;
}

BoardDecision BrommaDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-18");  // chosen: the extract gives no date
  d.set_paragraph("§ 5");
  d.set_decision_text(kBrommaDecisionText);
  Proposal* administration = d.add_proposals();
  administration->set_id("forvaltningen");
  administration->set_proposed_by("förvaltningen");
  administration->set_text(kBrommaDecisionText);
  Proposal* s = d.add_proposals();
  s->set_id("s");
  s->set_proposed_by("Johan Heinonen m.fl. (S)");
  s->add_parties("S");
  s->set_text(kBrommaReservationS);
  d.set_winning_proposal("forvaltningen");
  d.set_beslutsgang(kBrommaBeslutsgang);
  Reservation* reservation = d.add_reservations();
  reservation->add_parties("S");
  reservation->add_members("Johan Heinonen");
  reservation->set_in_favour_of("s");
  reservation->set_text(kBrommaReservationS);
  SpecialStatement* majority = d.add_special_statements();
  for (const char* party : {"M", "L", "MP", "C"}) majority->add_parties(party);
  for (const char* member :
       {"Johan Paccamonti", "Hanna Wistrand", "Karl Persson", "Adrian Nordén"}) {
    majority->add_members(member);
  }
  majority->set_text(kBrommaStatementMLMPC);
  SpecialStatement* v = d.add_special_statements();
  v->add_parties("V");
  v->add_members("Lillemor Samuelsson");
  v->set_text(kBrommaStatementV);
  SpecialStatement* sd = d.add_special_statements();
  sd->add_parties("SD");
  sd->add_members("Ismo Pato");
  sd->set_text(kBrommaStatementSD);
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  *d.add_documents() = BrommaAnswerDocument();
  *d.add_documents() = BrommaProgramDocument();
  return d;
}

// ---- 001: Södermalms stadsdelsnämnd, tjänsteutlåtande dated 2021-02-25 ----

constexpr char kSodermalmDiaryNumber[] = "SÖ 2020/1006";  // chosen: the document gives none

CaseOfficer SodermalmOfficer() {
  CaseOfficer o;
  o.set_person_id("sodermalm-handlaggare-3");
  o.set_name("Christina Koistinen");
  o.set_phone("0850830198");
  return o;
}

Statement SodermalmStatement() {
  Statement s;
  s.set_statement_date("2021-02-25");
  s.set_addressed_to("Södermalms stadsdelsnämnd");
  s.add_proposed_decision(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.add_proposed_decision("Beslutet justeras omedelbart.");
  s.set_summary(
      "Förvaltningen ställer sig positiv till Stockholms stads trygghetsprogram 2020-2023. Det "
      "är positivt att trygghetsfrågorna får ett eget program som sammanlänkas med stadens "
      "säkerhetsprogram. Trygghetsprogrammet lyfter på ett bra sätt fram att dess intention är "
      "att ge en gemensam struktur för arbetet.");
  s.set_background(
      "Kommunstyrelsen har remitterat ärendet Stockholms stads trygghetsprogram 2020-2023 till "
      "Södermalms stadsdelsnämnd för yttrande senast den 26 februari 2021.");
  s.set_preparation(
      "Ärendet har beretts inom stadsdelsdirektörens stab i samråd med sociala avdelningen och "
      "avdelningen för stadsmiljö. Ärendet har behandlats i förvaltningsgruppen och "
      "pensionärsrådet den 15 februari och i rådet för funktionshinderfrågor den 16 februari "
      "2021.");
  s.set_views(
      "Förvaltningen vill särskilt betona vikten av samverkan mellan stadens förvaltningar och "
      "bolag, men också med polis, region, fastighetsägare, företag och civilsamhälle.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  s.set_administration_unit("Stadsdelsdirektörens stab och kansli");
  *s.add_documents() = Program2020();
  return s;
}

BoardDecision SodermalmDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-25");
  d.set_paragraph("§ 14");  // chosen: the statement gives none
  d.set_decision_text(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

// ---- 003: Utbildningsnämnden, in the main positive, remarks on the structure ----

constexpr char kUtbildningDiaryNumber[] = "UTN 2020/1782";  // chosen: the document gives none

Remark MakeRemark(const char* topic, const char* text) {
  Remark r;
  r.set_topic(topic);
  r.set_text(text);
  return r;
}

constexpr char kUtnStructureRemark[] =
    "Programmets struktur är enligt förvaltningen svårtillgänglig. Avsaknaden av en röd tråd, "
    "struktur och tydlighet riskerar att skapa svårigheter i implementering.";
constexpr char kUtnReworkRemark[] =
    "Förvaltningen vill därför betona vikten av en omarbetning av programförslaget i syfte att "
    "skapa en mer strukturerad och tillgänglig text.";
constexpr char kUtnCoordinatorRemark[] =
    "Förvaltningen tycker det är viktigt att dessa båda samordnaruppdrag hanteras tillsammans "
    "för att minska risken för överlappande forum.";
constexpr char kUtnIndependentSchoolsRemark[] =
    "Programmet saknar skrivningar kring vad som gäller för dessa verksamheter, såväl avseende "
    "programmets sakinnehåll som frågor kring samverkan mellan exempelvis socialtjänsten och "
    "enskilda skolhuvudmän.";

Statement UtbildningStatement() {
  Statement s;
  s.set_statement_date("2021-02-08");  // chosen
  s.set_addressed_to("Utbildningsnämnden");
  s.add_proposed_decision(
      "Utbildningsnämnden godkänner förvaltningens tjänsteutlåtande och överlämnar det till "
      "kommunstyrelsen som svar på remissen.");
  s.add_proposed_decision("Beslutet justeras omedelbart.");
  s.set_summary(
      "Utbildningsförvaltningen ställer sig i huvudsak positiv till programförslagets sakliga "
      "innehåll, eftersom den gemensamma begreppsram som programmet omfattar ger en viktig grund "
      "för samverkan inom staden. Förvaltningen menar samtidigt att programmets struktur är "
      "svårtillgänglig.");
  s.set_preparation(
      "Ärendet har beretts inom avdelningen för ekonomi och styrning i samverkan med "
      "grundskoleavdelningen, gymnasieavdelningen och förskoleavdelningen.");
  s.set_standpoint(STANDPOINT_POSITIVE_WITH_REMARKS);
  *s.add_remarks() = MakeRemark("struktur", kUtnStructureRemark);
  *s.add_remarks() = MakeRemark("struktur", kUtnReworkRemark);
  *s.add_remarks() = MakeRemark("samordnare", kUtnCoordinatorRemark);
  *s.add_remarks() = MakeRemark("fristående förskolor och skolor", kUtnIndependentSchoolsRemark);
  return s;
}

BoardDecision UtbildningDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-11");  // chosen: after the råd of 10 February
  d.set_paragraph("§ 9");            // chosen
  d.set_decision_text(
      "Utbildningsnämnden godkänner förvaltningens tjänsteutlåtande och överlämnar det till "
      "kommunstyrelsen som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

// ---- 004: Hässelby-Vällingby stadsdelsnämnd, Dnr HV 2020/786, positive with a remark ----

constexpr char kHvRemark[] =
    "Förvaltningen noterar att trygghet inte bara avser oro och otrygghet för att utsättas för "
    "brott men att det föreslagna trygghetsprogrammet är skrivet helt utifrån det perspektivet.";

Statement HasselbyVallingbyStatement() {
  Statement s;
  s.set_statement_date("2021-02-04");  // chosen
  s.add_proposed_decision(
      "Hässelby-Vällingby stadsdelsnämnd godkänner förvaltningens tjänsteutlåtande som sitt svar "
      "på remissen från kommunstyrelsen.");
  s.add_proposed_decision(
      "Hässelby-Vällingby stadsdelsnämnd förklarar ärendet omedelbart justerat.");
  s.set_summary(
      "Förvaltningen ställer sig positiv till det föreslagna programmet som förtydligar "
      "arbetssätt och ansvarsområden. Förvaltningen anser dock att i ett trygghetsprogram bör det "
      "åtminstone omnämnas att det finns fler aspekter på trygghet än oro och otrygghet avseende "
      "brott.");
  s.set_preparation("Ärendet har beretts inom avdelningen för strategi och internservice.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  *s.add_remarks() = MakeRemark("trygghetsbegreppet", kHvRemark);
  return s;
}

BoardDecision HasselbyVallingbyDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-02-18");  // chosen
  d.set_paragraph("§ 7");            // chosen
  d.set_decision_text(
      "Hässelby-Vällingby stadsdelsnämnd godkänner förvaltningens tjänsteutlåtande som sitt svar "
      "på remissen från kommunstyrelsen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

// ---- made up: Skärholmen asks for more time, socialnämnden answers late ----

Statement SkarholmenStatement() {
  Statement s;
  s.set_statement_date("2021-02-22");
  s.add_proposed_decision(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.set_summary("Förvaltningen ställer sig positiv till förslaget till trygghetsprogram.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  return s;
}

BoardDecision SkarholmenDecision() {
  BoardDecision d;
  d.set_meeting_date("2021-03-11");
  d.set_paragraph("§ 6");
  d.set_decision_text(
      "Stadsdelsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_IMMEDIATE);
  return d;
}

constexpr char kSocStructureRemark[] =
    "Programmet bör tydligare ange vilken nämnd som ansvarar för vilka insatser.";
constexpr char kSocPreventionRemark[] =
    "Socialtjänstens förebyggande arbete med barn och unga bör beskrivas utförligare.";

Statement SocialStatement() {
  Statement s;
  s.set_statement_date("2021-03-01");
  s.add_proposed_decision("Förvaltningen överlämnar tjänsteutlåtandet som svar på remissen.");
  s.set_summary("Förvaltningen ställer sig i huvudsak positiv till förslaget.");
  s.set_standpoint(STANDPOINT_POSITIVE_WITH_REMARKS);
  *s.add_remarks() = MakeRemark("struktur", kSocStructureRemark);
  *s.add_remarks() = MakeRemark("sociala insatser", kSocPreventionRemark);
  return s;
}

DelegationDecision SocialDelegation() {
  DelegationDecision d;
  d.set_person_id("socialnamnden-direktor-1");
  d.set_decided_by_name("Socialdirektören");
  d.set_decided_by_title("Socialdirektör");
  d.set_date("2021-03-03");
  d.set_reference("Delegationsordning 1.4");
  d.set_decision_text("Svaret på remissen lämnas på delegation.");
  return d;
}

// ---- 002: Kyrkogårdsnämnden on the revision KS 2023/739 ----

constexpr char kKyrkogardDiaryNumber[] = "KYF 2023/1457";  // chosen: the document gives none

Statement KyrkogardStatement() {
  Statement s;
  s.set_statement_date("2023-11-21");
  s.add_proposed_decision(
      "Kyrkogårdsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.set_summary(
      "Förvaltningen ställer sig positiv till det reviderade trygghetsprogrammet. Staden har "
      "fortsatt stora utmaningar inom det brottsförebyggande och trygghetsskapande området.");
  s.set_background(
      "Kommunstyrelsen har remitterat ärendet Stockholms stads trygghetsprogram 2024-2027 till "
      "kyrkogårdsförvaltningen för yttrande senast den 20 december 2023.");
  s.set_preparation(
      "Ärendet har beretts i förvaltningschefens stab i samverkan med förvaltningens "
      "säkerhetssamordnare. Ärendet har behandlats i förvaltningsgruppen den 5 december 2023.");
  s.set_standpoint(STANDPOINT_POSITIVE);
  *s.add_documents() = Program2024();
  return s;
}

BoardDecision KyrkogardDecision() {
  BoardDecision d;
  d.set_meeting_date("2023-12-14");  // chosen
  d.set_paragraph("§ 10");           // chosen
  d.set_decision_text(
      "Kyrkogårdsnämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  d.mutable_justering()->set_kind(JUSTERING_KIND_ON_DATE);  // chosen: justerat the day after
  d.mutable_justering()->set_date("2023-12-15");
  return d;
}

// ---- made up: Bromma and utbildningsnämnden on the revision ----

Statement PositiveOnTheRevision(const char* summary) {
  Statement s;
  s.add_proposed_decision(
      "Nämnden överlämnar förvaltningens tjänsteutlåtande som svar på remissen.");
  s.set_summary(summary);
  s.set_standpoint(STANDPOINT_POSITIVE);
  return s;
}

// ---- KS's follow-up (made up, as DOMAIN.md describes it) ----

constexpr char kFeedbackToUtbildning[] =
    "Synpunkterna på programmets struktur har beaktats: programmet har delats in efter mål, "
    "ansvar och fokusområden.";
constexpr char kCoordinatorAction[] =
    "Utse en samordnare för det brottsförebyggande och trygghetsskapande arbetet.";

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
    Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::RegisterOrganization, r,
            absl::StrCat("register-", org.id));
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
    for (const std::string& org : round.addressees) {
      AddAddresseeRequest add;
      add.set_referral_id(round.referral_id);
      add.set_org_id(org);
      add.set_answer(ANSWER_KIND_REQUIRED);
      Command(c_, kKsRegistrator, c_.referrals(), &ReferralService::Stub::AddAddressee, add,
              absl::StrCat("address-", org));
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

void TheFirstRound(Cluster& c, const std::string& run) {
  const RoundSpec round = Round2019();
  Ks ks(c);

  c.SetClock(kKsRegistersOrganizations);
  for (const OrgSpec& org : Organizations()) ks.RegisterOrganization(org);

  c.SetClock(kKsDraftsRound2019);
  ks.DraftRound(round);
  c.SetClock(kKsIssuesRound2019);
  ks.Issue(round);

  Board bromma(c, round, kBromma);
  Board sodermalm(c, round, kSodermalm);
  Board hv(c, round, kHasselbyVallingby);
  Board skarholmen(c, round, kSkarholmen);
  Board utbildning(c, round, kUtbildning);
  Board social(c, round, kSocial);

  // The administrations register the round in their diaries.
  c.SetClock(kBrommaAndHvRegister);
  bromma.Register("BRO 2020/440", "2020-12-14");
  hv.Register("Dnr HV 2020/786", "2020-12-14");
  c.SetClock(kSodermalmAndUtnRegister);
  sodermalm.Register(kSodermalmDiaryNumber, "2020-12-15");
  sodermalm.AssignOfficer(SodermalmOfficer());
  utbildning.Register(kUtbildningDiaryNumber, "2020-12-15");
  c.SetClock(kSkarholmenAndSocRegister);
  skarholmen.Register("SKÄ 2020/612", "2020-12-16");  // made up
  social.Register("SOC 2020/1419", "2020-12-16");     // made up

  c.SetClock(kBrommaAndHvDraft);
  bromma.DraftStatement(BrommaStatement());
  hv.DraftStatement(HasselbyVallingbyStatement());

  // Södermalm: the statement (dated for the board's meeting on 25 February) is attested
  // digitally on 5 February; the councils meet on 15 and 16 February.
  c.SetClock(kSodermalmDraftsAndAttests);
  sodermalm.DraftStatement(SodermalmStatement());
  sodermalm.Attest("Ann-Christine Jenvén", "Stadsdelsdirektör", "2021-02-05");
  sodermalm.Attest("Maria Klemets Hellberg", "Avdelningschef", "2021-02-05");

  // Utbildningsnämnden: "Ärendet kommer att behandlas av den fackliga samverkansgruppen den 9
  // februari 2021 ... och av utbildningsnämndens råd för funktionshinderfrågor den 10 februari".
  c.SetClock(kUtnDrafts);
  utbildning.Consult(CONSULTATION_BODY_FACKLIG_SAMVERKAN, "2021-02-09");
  utbildning.Consult(CONSULTATION_BODY_FUNKTIONSHINDERRAD, "2021-02-10",
                     "utbildningsnämndens råd för funktionshinderfrågor");
  utbildning.DraftStatement(UtbildningStatement());
  c.SetClock(kUtnBoardMeets);
  utbildning.Decide(UtbildningDecision());
  c.SetClock(kUtnSubmits);
  utbildning.Submit();

  // Skärholmen's board meets only after the deadline: it asks for more time, KS grants it.
  c.SetClock(kSkarholmenAsksForTime);
  std::string anstand =
      skarholmen.RequestExtension("2021-03-12", "Nämnden sammanträder först den 11 mars 2021.");
  c.SetClock(kKsGrantsExtension);
  ks.DecideExtension(round, kSkarholmen, anstand, "Anstånd beviljas till den 12 mars 2021.");
  c.WaitForDeadline(round.case_number, kSkarholmen, "the extension", [](const Deadline& d) {
    return d.effective_date() == "2021-03-12";
  });

  c.SetClock(kSodermalmRecordsConsultations);
  sodermalm.Consult(CONSULTATION_BODY_FORVALTNINGSGRUPP, "2021-02-15");
  sodermalm.Consult(CONSULTATION_BODY_PENSIONARSRAD, "2021-02-15");
  sodermalm.Consult(CONSULTATION_BODY_FUNKTIONSHINDERRAD, "2021-02-16",
                    "rådet för funktionshinderfrågor");

  c.SetClock(kBrommaAndHvBoardsMeet);
  bromma.Decide(BrommaDecision());
  hv.Decide(HasselbyVallingbyDecision());
  c.SetClock(kBrommaAndHvSubmit);
  bromma.Submit({BrommaAnswerDocument()}, "Protokollsutdrag § 5 med remissvar.");
  hv.Submit();

  c.SetClock(kSkarholmenDrafts);
  skarholmen.DraftStatement(SkarholmenStatement());

  c.SetClock(kSodermalmBoardMeets);
  sodermalm.Decide(SodermalmDecision());
  c.SetClock(kSodermalmSubmits);
  sodermalm.Submit();

  // The deadline passes: socialnämnden has not answered and is breached; Skärholmen has
  // until 12 March.
  c.SetClock(kDayAfterTheDeadline);
  c.WaitForDeadline(round.case_number, kSocial, "the breach", [](const Deadline& d) {
    return d.outcome() == DEADLINE_OUTCOME_BREACHED;
  });
  StatusBoard after = c.WaitForBoard(round.case_number, "socialnämnden breached",
                                     [](const StatusBoard& b) {
                                       return Row(b, kSocial).deadline_outcome() == "breached";
                                     });
  SCOPED_TRACE(run);
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

  // Socialnämnden answers late, on delegation.
  c.SetClock(kSocDrafts);
  social.DraftStatement(SocialStatement());
  c.SetClock(kSocSubmitsLate);
  social.DecideByDelegation(SocialDelegation());
  social.Submit();

  c.SetClock(kSkarholmenBoardMeets);
  skarholmen.Decide(SkarholmenDecision());
  c.SetClock(kSkarholmenSubmits);
  skarholmen.Submit();

  // KS compiles once every answer is in, records the adoption, feeds back, follows up.
  c.SetClock(kKsCompiles);
  c.WaitForBoard(round.case_number, "every answer in", [](const StatusBoard& b) {
    return b.not_answered_size() == 0 && Row(b, kSocial).late() &&
           Row(b, kSkarholmen).deadline_outcome() == "met";
  });
  ks.FreezeCompilation(round,
                       "Sammanställning av remissvaren inför beredningen i kommunstyrelsen.");

  c.SetClock(kKsRecordsAdoption);
  // chosen: the adoption's date and reference (002 says only "antogs av kommunfullmäktige 2021")
  ks.RecordOutcome(round, "kommunfullmäktige", "2021-06-14", "KF 2021-06-14 § 12",
                   "Programmet antogs");
  ks.GiveFeedback(round, kUtbildning, kFeedbackToUtbildning);
  std::string action = ks.AssignAction(round, kUtbildning, kCoordinatorAction, "2021-09-30");

  c.SetClock(kUtnReportsCoordinator);
  utbildning.ReportActionDone(action, "2021-09-01",
                              "Samordnare utsedd vid avdelningen för ekonomi och styrning.");
}

void TheRevision(Cluster& c) {
  const RoundSpec round = Round2023();
  Ks ks(c);

  c.SetClock(kKsIssuesRevision);
  ks.DraftRound(round);
  ks.LinkRevision(round, Round2019());
  ks.Issue(round);

  Board kyrkogard(c, round, kKyrkogard);
  Board bromma(c, round, kBromma);
  Board utbildning(c, round, kUtbildning);
  Board hv(c, round, kHasselbyVallingby);

  c.SetClock(kRevisionRegistered);
  kyrkogard.Register(kKyrkogardDiaryNumber, "2023-11-08");
  bromma.Register("BRO 2023/512", "2023-11-08");        // made up
  utbildning.Register("UTN 2023/2011", "2023-11-08");   // made up
  hv.Register("Dnr HV 2023/655", "2023-11-08");         // made up; HV has not answered yet

  c.SetClock(kKyrkogardAttests);
  kyrkogard.DraftStatement(KyrkogardStatement());
  kyrkogard.Attest("Svante Borg", "Förvaltningschef", "2023-11-21");
  c.SetClock(kKyrkogardForvaltningsgrupp);
  kyrkogard.Consult(CONSULTATION_BODY_FORVALTNINGSGRUPP, "2023-12-05");

  c.SetClock(kBrommaAnswersRevision);
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
  kyrkogard.Submit();
  utbildning.Submit();
}

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
  Cluster cluster(mode, dir, brokers);
  TheFirstRound(cluster, ModeName(mode));
  TheRevision(cluster);
  cluster.SetClock(kKsLooksAtEverything);
  Collection collection = CollectEverything(cluster);
  cluster.Stop();
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
  const auto& parties = live.statements_by_party();
  std::vector<std::string> party_names;
  for (const auto& [party, list] : AsMap(parties)) party_names.push_back(party);
  EXPECT_EQ(party_names, (std::vector<std::string>{"C", "L", "M", "MP", "S", "SD", "V"}));
  auto only = [&](const char* party) -> PartyStatement {
    auto it = parties.find(party);
    if (it == parties.end() || it->second.statements_size() != 1) {
      ADD_FAILURE() << "party " << party << " should have exactly one statement";
      return PartyStatement();
    }
    return it->second.statements(0);
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
  EXPECT_TRUE(live.statements_by_party().empty());
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
