// A steady load of whole rounds over the four services, the same commands in every run
// (their command ids and contents depend only on the round's number), for the fault tests
// that compare a run under faults with a clean remissd run.
//
// KS's thread plays round after round on the referrals service: registers a board, drafts a
// round, addresses it to that board and to the previous round's board, sets the deadline,
// issues it. Board threads answer each issued round on the responses service: the round's own
// board registers its response, records its statement and the delegation's decision, and
// submits; the previous board registers only. A board's first command waits (retrying
// NOT_FOUND) until the responses service has heard of the round. Every command is sent again
// with its command_id while its answer is in doubt (a server gone, a full queue); any other
// answer than OK is a failure.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/faults/cluster_support.h"

namespace remiss::faults {

class RoundsLoad {
 public:
  // `max_rounds` < 0: until StopRounds. KS pauses REMISS_FAULTS_ROUND_PAUSE_MS (CI 100, full
  // 20) between rounds, or `pause` when given (the reference run: none).
  RoundsLoad(Services& services, int max_rounds, int board_threads = 2,
             absl::Duration pause = absl::InfiniteDuration());
  ~RoundsLoad();  // joins (after StopRounds)

  // Sets up KS (before the threads start); then starts the threads.
  absl::Status Start();
  // KS finishes the round under way and plays no more.
  void StopRounds() { stop_rounds_ = true; }
  // Waits until KS stopped and every issued round is answered (at most `limit`, then the
  // board threads give up). Returns the failures.
  std::vector<std::string> Finish(absl::Duration limit);

  int rounds_issued() const { return issued_.load(); }
  // The ids of the rounds issued, in order ("ks-2021-1000", ...).
  std::vector<std::string> RoundIds() const;
  // Commands answered OK, and of those the ones answered while `marker` was set.
  int64_t ok() const { return ok_.load(); }
  int64_t ok_while_marked() const { return ok_marked_.load(); }
  // Commands that needed more than one try (their answer was in doubt at first).
  int64_t retried() const { return retried_.load(); }
  void set_marker(bool on) { marker_ = on; }

  static std::string RoundId(int i);

 private:
  bool Do(const std::string& service, const Send& send, const std::string& what,
          bool until_known = false);
  void Ks();
  void Board();

  Services& services_;
  const int max_rounds_;
  const int board_threads_;
  const absl::Duration pause_;
  std::atomic<bool> stop_rounds_{false};
  std::atomic<bool> give_up_{false};
  std::atomic<bool> ks_done_{false};
  std::atomic<bool> marker_{false};
  std::atomic<int> issued_{0};
  std::atomic<int64_t> ok_{0}, ok_marked_{0}, retried_{0};
  std::vector<std::thread> threads_;

  mutable absl::Mutex mu_;
  std::deque<int> to_answer_ ABSL_GUARDED_BY(mu_);
  int answering_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
};

// What a run leaves once it has settled: KS's status boards of its rounds, every service's
// projection digest and log head, and (read from disk after stopping the processes) the
// consumers' logs.
struct RunResult {
  std::map<std::string, std::string> boards;
  std::map<std::string, std::string> digests;
  std::map<std::string, uint64_t> heads;
  std::map<std::string, std::vector<remiss::v1::EventEnvelope>> logs;  // the consumers'
};
// Settles (at most `limit`), collects, stops every process (an unclean stop is an error).
absl::StatusOr<RunResult> CollectAndStop(Services& services,
                                         const std::vector<std::string>& round_ids,
                                         absl::Duration limit = absl::Seconds(180));
// A clean remissd run of rounds 0..rounds-1 (the reference), in `dir`.
absl::StatusOr<RunResult> RemissdRounds(const std::string& dir, int rounds);

// What differs between a run and the reference: the boards, and (with `digests`) the
// projection digests of `services`. One line per difference.
std::vector<std::string> CompareWithReference(const RunResult& run, const RunResult& reference,
                                              const std::vector<std::string>& services);
// Every consumer applied every source event once: no source event applied in two places of
// its log, responses restated each referrals position at most once, and as many source
// events led to events as in the reference. One line per problem.
std::vector<std::string> CheckExactlyOnce(const RunResult& run, const RunResult& reference);

}  // namespace remiss::faults
