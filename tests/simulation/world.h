// The simulation's independent model of what was acknowledged: every command the workload
// sent, with the answers it got (the ledger), and from the acknowledged ones the world as
// the clients know it: boards, rounds, addressees, deadlines, answers. The workload draws
// its next commands from this world, and the checks compare the services with it. It
// never asks the services what they decided.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "remiss/v1/common.pb.h"

namespace remiss::sim {

class World;

// One command as a client sends it: to which service, as whom, with which id and content.
struct Command {
  std::string service;
  std::string rpc;
  std::string org, role, person;  // the caller
  std::string command_id;
  std::string fingerprint;        // the request's bytes: a retry sends the same
  std::function<grpc::Status(grpc::Channel&, remiss::v1::CommandResult*)> send;
  // What an OK answer makes true in the clients' world (at the instant it was answered).
  std::function<void(World&, const remiss::v1::CommandResult&, absl::Time)> apply;
  // The deadlines whose fate an answer in doubt leaves unknown ("<round>/<org>", or
  // "<round>/*" for all of a round's).
  std::vector<std::string> touches;
};

// What a command's answer says about its events.
enum class Fate {
  kAcknowledged,  // OK: its events are recorded (or were, the first time: repeated)
  kRefused,       // a definitive refusal: nothing recorded
  kInDoubt,       // the caller cannot know (UNAVAILABLE, DEADLINE_EXCEEDED, ...)
};
Fate FateOf(grpc::StatusCode code);
// Codes no command of the workload may ever get (a bug whatever the faults): INTERNAL.
bool Undocumented(grpc::StatusCode code);

// Every try of one command id.
struct Ledger {
  struct Try {
    grpc::StatusCode code;
    std::string message;
    remiss::v1::CommandResult result;
    absl::Time at;
    int step = 0;
    bool same_content = true;  // false: a retry with other content
  };
  Command command;
  std::vector<Try> tries;
  bool acknowledged() const;
  bool only_refused() const;  // every try was a definitive refusal
  const Try* first_ok() const;
};

// One addressee's deadline as the clients know it.
struct BoardDeadline {
  std::optional<absl::CivilDay> stated;   // the addressee's own date (override or moved)
  std::optional<absl::CivilDay> granted;  // the latest date KS granted
  std::optional<absl::Time> answered_at;  // submitted or declined (acknowledged)
  std::optional<absl::Time> removed_at;
  std::optional<absl::Time> settled_at;   // answered, declined or removed
  std::optional<absl::CivilDay> frozen;   // the effective date once settled
  int stage = 0;  // 0 none, 1 registered, 2 statement, 3 decided, 4 answered
  int extensions = 0;                     // requested (acknowledged)
  std::vector<int> pending_extensions;    // their numbers, not yet decided
  std::map<int, absl::CivilDay> requested;
  bool uncertain = false;                 // an answer in doubt touched it
};

struct Round {
  std::string id, case_number;
  std::optional<absl::CivilDay> deadline;  // the round's stated deadline
  bool issued = false, closed = false, withdrawn = false, uncertain = false;
  std::optional<absl::Time> issued_at, withdrawn_at;
  std::map<std::string, BoardDeadline> boards;  // addressees
};

class World {
 public:
  explicit World(uint64_t seed);

  std::mt19937_64& random() { return random_; }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(random_); }

  // The next command of a real round's life, drawn from what is known now.
  Command Next(absl::Time now, int step);
  // The same command again (same id): the same content, or (other_content) a changed one.
  Command Again(const Command& c, bool other_content, int step);

  // Records a try's answer and, when it is the first OK, applies the command.
  void Answer(const Command& c, grpc::StatusCode code, const std::string& message,
              const remiss::v1::CommandResult& result, absl::Time at, int step);

  // Keyed by (service, caller org, command id).
  std::map<std::tuple<std::string, std::string, std::string>, Ledger>& ledger() { return ledger_; }
  // Commands whose every try was in doubt, for a retry.
  std::vector<const Ledger*> InDoubt() const;

  std::map<std::string, Round>& rounds() { return rounds_; }
  const std::map<std::string, Round>& rounds() const { return rounds_; }
  // The effective date of an addressee's deadline, as the model computes it (no working-
  // day rule in this workload): max(its stated date, the latest granted), frozen once settled.
  std::optional<absl::CivilDay> Effective(const Round& r, const BoardDeadline& d) const;
  // A board's answer (submitted or declined) was acknowledged at `at`.
  void Answered(const std::string& id, const std::string& org, absl::Time at);
  // Marks what an answer in doubt touched as uncertain.
  void Uncertain(const std::vector<std::string>& touches);

  int64_t acknowledged = 0, refused = 0, in_doubt = 0;

 private:
  std::string NewId(int step);
  Command RegisterBoard(int step);
  Command RegisterKs(int step);
  Command CreateRound(int step);
  Command ForRound(Round& r, absl::Time now, int step);
  Command ForBoard(Round& r, const std::string& org, BoardDeadline& d, absl::Time now, int step);
  absl::CivilDay DayAfter(absl::Time now, int min_days, int max_days);

  std::mt19937_64 random_;
  int next_id_ = 0;
  int boards_wanted_;
  std::vector<std::string> boards_;        // registered (acknowledged)
  std::set<std::string> boards_pending_;   // registration sent, not acknowledged
  int rounds_created_ = 0;
  // KS, the sender of every round, registered first; its registration sent again (same id)
  // while it is not acknowledged.
  std::optional<Command> ks_registration_;
  bool ks_registered_ = false;
  std::map<std::string, Round> rounds_;    // by referral id
  std::map<std::tuple<std::string, std::string, std::string>, Ledger> ledger_;
};

}  // namespace remiss::sim
