// What the fault tests share: the real service binaries as child processes (started on a data
// directory, killed with SIGKILL or stopped with SIGTERM, started again on the same data), a
// client that follows a server across restarts, commands retried with their command_id until
// they get an answer, the admin calls (positions, digests, rebuild), sizes and seeds from the
// environment, and the figures the tests print instead of asserting on time.
//
// Sizes: every test runs at CI size by default; tools/faults.sh sets REMISS_FAULTS_SIZE=full
// (and may set REMISS_FAULTS_SEED to replay a run). Figures are printed as
//   [ figures ] <test>: <name> = <value>
// one per line, for tools/faults.sh to collect.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "remiss/v1/admin.grpc.pb.h"
#include "remiss/v1/common.pb.h"
#include "remiss/v1/envelope.pb.h"

namespace remiss::faults {

// ---- sizes, seeds, figures ----------------------------------------------------------------

// True when REMISS_FAULTS_SIZE=full (tools/faults.sh).
bool FullSize();
// `ci` normally, `full` at full size; REMISS_FAULTS_<name> overrides either.
int64_t Size(const char* name, int64_t ci, int64_t full);
// REMISS_FAULTS_SEED if set, else a fresh random seed. Printed with the test's name, so a
// failing run replays with REMISS_FAULTS_SEED=<seed>.
uint64_t Seed(absl::string_view test);
// "[ figures ] <test>: <name> = <value>" on stdout.
void Figure(absl::string_view test, absl::string_view name, const std::string& value);
void Figure(absl::string_view test, absl::string_view name, int64_t value);
void Figure(absl::string_view test, absl::string_view name, absl::Duration value);

// ---- processes ----------------------------------------------------------------------------

// One server binary run on a data directory, started again as often as the test likes. Its
// output goes to <log_dir>/<name>.<incarnation>.log. The child gets SIGKILL if the test
// process dies (PR_SET_PDEATHSIG), and on destruction. Start/Kill/Stop from one thread only
// (the one that started it: the parent-death signal follows the starting thread).
class ServerProcess {
 public:
  // args: the flags after the binary, without --listen (127.0.0.1:0 is added).
  ServerProcess(std::string name, std::string binary, std::vector<std::string> args,
                std::string log_dir);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts it and waits (at most `timeout`) for "listening on 127.0.0.1:PORT". Returns the
  // address; an error (with the log's tail) if it exits or does not listen.
  absl::StatusOr<std::string> Start(absl::Duration timeout = absl::Seconds(60));
  // SIGKILL and reap. OK if it was not running.
  void Kill();
  // SIGTERM, then up to `grace` (SIGKILL after). Empty when it exited with status 0; else how
  // it ended.
  std::string Stop(absl::Duration grace = absl::Seconds(30));
  // Empty while it runs; how it ended once it has.
  std::string Ended();
  bool running() const { return pid_ > 0; }
  // The flags after the binary (without --listen), and extra environment variables
  // ("NAME=value") for the next Start. SetFlag replaces a flag's value (or appends the flag).
  const std::vector<std::string>& args() const { return args_; }
  void set_args(std::vector<std::string> args) { args_ = std::move(args); }
  void SetFlag(const std::string& flag, const std::string& value);
  void RemoveFlag(const std::string& flag);  // a flag without a value, e.g. --restore-from-kafka
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }
  const std::string& address() const { return address_; }
  const std::string& name() const { return name_; }
  int incarnations() const { return incarnation_; }
  // The current (or last) incarnation's log, and the tail of every incarnation's log.
  std::string Log() const;
  std::string LogTails(size_t per_log = 4000) const;

 private:
  std::string LogPath(int incarnation) const;

  std::string name_, binary_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::string log_dir_;
  pid_t pid_ = -1;
  int incarnation_ = 0;
  std::string address_;
  std::string ended_;
};

// ---- a client that follows a restarting server ---------------------------------------------

// The current address of a server that restarts on new ports; a channel per incarnation.
class Endpoint {
 public:
  void Set(const std::string& address);  // a new incarnation: new channel
  void Down();                           // between a kill and the next start
  // The current channel (null while down) and its generation.
  std::shared_ptr<grpc::Channel> Channel(uint64_t* generation = nullptr) const;
  uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<grpc::Channel> channel_;
  uint64_t generation_ = 0;
};

// Who calls (plaintext loopback names the caller in metadata).
struct Caller {
  std::string org = "ks";
  std::string role = "ks";
  std::string person = "ks-handlaggare-1";
};
// The operator, who registers organizations without a ks's sender rule (issue 25, finding 5).
inline const Caller kOperator{"drift", "operator", "drift-operator-1"};

// A client context with the caller's metadata and a deadline.
std::unique_ptr<grpc::ClientContext> Context(const Caller& caller = {},
                                             absl::Duration deadline = absl::Seconds(10));

// gRPC codes that leave a command's fate unknown or say "try again": the server went away
// (UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, UNKNOWN from a torn connection) or its queue
// was full (RESOURCE_EXHAUSTED). Retried with the same command_id.
bool InDoubt(grpc::StatusCode code);

std::string Describe(const grpc::Status& s);

// What happened to one command across its tries.
struct CommandOutcome {
  grpc::Status status;          // the final answer
  remiss::v1::CommandResult result;  // when OK
  int tries = 0;
  bool was_in_doubt = false;    // some try got an in-doubt answer before the final one
};

// Sends a command through `endpoint` until it gets an answer that is not in doubt, or
// `stop` is set (then the last in-doubt status), or `max_tries` pass. `send` makes one try
// on a channel. While the endpoint is down, waits (polling every 10 ms).
using Send = std::function<grpc::Status(grpc::Channel&, remiss::v1::CommandResult*)>;
CommandOutcome Execute(const Endpoint& endpoint, const Send& send,
                       const std::atomic<bool>* stop = nullptr, int max_tries = 100000);

// A Send for one command RPC of a service's stub, as `caller`.
template <typename Request, typename Stub>
Send Command(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                          remiss::v1::CommandResult*),
             Request request, Caller caller = {}) {
  return [method, request = std::move(request), caller = std::move(caller)](
             grpc::Channel& channel, remiss::v1::CommandResult* result) {
    Stub stub(std::shared_ptr<grpc::Channel>(&channel, [](auto*) {}));
    auto ctx = Context(caller, absl::Seconds(10));
    return (stub.*method)(ctx.get(), request, result);
  };
}

// ---- admin --------------------------------------------------------------------------------

absl::StatusOr<remiss::v1::Positions> GetPositions(grpc::Channel& channel);
absl::StatusOr<remiss::v1::ProjectionDigest> GetDigest(grpc::Channel& channel,
                                                       const std::string& service);
absl::StatusOr<remiss::v1::ProjectionDigest> Rebuild(grpc::Channel& channel,
                                                     const std::string& service);
// GetPositions' entry for `service` (an error if it is not there).
absl::StatusOr<remiss::v1::ServicePositions> PositionsOf(grpc::Channel& channel,
                                                         const std::string& service);

// Polls GetPositions (every 20 ms, at most `limit`) until `settled` holds for two answers in
// a row with the same log positions. An error naming what it last saw if it does not.
absl::Status WaitForPositions(
    grpc::Channel& channel, const std::function<bool(const remiss::v1::Positions&)>& settled,
    absl::Duration limit = absl::Seconds(60));

// In one process (remissd, LocalFeed): every follower has applied everything its sources
// have logged (responses <- referrals, deadlines <- responses, followup <- all three).
bool FollowersCaughtUp(const remiss::v1::Positions& p, std::string* seen);

// For every service in `services`: the live digest, the digest of a rebuild from its own log,
// and the live digest again after the rebuild (what queries answer from then). Fills
// `report` with one line per service.
struct DigestCheck {
  std::string service;
  remiss::v1::ProjectionDigest live, rebuilt, after;
};
absl::StatusOr<std::vector<DigestCheck>> CheckDigests(grpc::Channel& channel,
                                                      const std::vector<std::string>& services);

// Every event of a stopped service's store, read straight from its RocksDB directory
// (data_dir/<service>) with the core EventStore, in log order; and just their positions, for
// the check that the log has no gap, where no public API lists a log.
absl::StatusOr<std::vector<remiss::v1::EventEnvelope>> LogOnDisk(const std::string& data_dir,
                                                                 const std::string& service);
absl::StatusOr<std::vector<uint64_t>> LogPositionsOnDisk(const std::string& data_dir,
                                                         const std::string& service);

}  // namespace remiss::faults
