// The four services as the fault tests over Kafka run them: one remissd process (LocalFeed,
// the reference run), or the four services' own processes over a real broker (KafkaFeed and
// relays). Plus what those tests check: that the services have settled (every relay has
// published its log, every consumer has read its sources' topics to their ends), that every
// event is on its topic, that no consumer applied a source's event twice, and what KS sees
// (the followup service's status boards).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "remiss/v1/envelope.pb.h"
#include "tests/faults/fault_support.h"

namespace remiss::faults {

enum class Deployment { kRemissd, kOverKafka };

// The services in the order they follow each other: referrals, responses, deadlines, followup.
const std::vector<std::string>& ServiceNames();

// Who follows whom: (consumer, source).
const std::vector<std::pair<std::string, std::string>>& Follows();

class Services {
 public:
  // Every process on the manual clock at `start` (RFC 3339), with its own data directory
  // under `dir` (<dir>/<name>-data), logs in `dir`. Over Kafka `brokers` is the bootstrap.
  Services(Deployment deployment, std::string dir, std::string brokers, std::string start);
  ~Services();

  Deployment deployment() const { return deployment_; }
  const std::string& brokers() const { return brokers_; }

  // The process that serves `service` (remissd for every service in one process); its binary
  // and environment may be changed before the next start.
  ServerProcess& Process(const std::string& service);
  faults::Endpoint& endpoint(const std::string& service);
  // --data-dir of the process that serves `service`; the service's store is <it>/<service>.
  std::string DataDir(const std::string& service) const;
  // Replaces the binary of a service's process (a test variant), with extra environment.
  void UseBinary(const std::string& service, const std::string& binary,
                 std::vector<std::string> env);

  // Starts every process (the sources first) and points the endpoints at them.
  absl::Status StartAll();
  // Starts (again) the process of `service`, at the current manual clock, and points its
  // endpoint at it.
  absl::Status Start(const std::string& service);
  // SIGKILL; the endpoint is down until Start.
  void Kill(const std::string& service);
  // SIGTERM; empty when it exited cleanly.
  std::string Stop(const std::string& service);
  // SIGTERM to every process, the followers first; the failures, one line each.
  std::string StopAll();

  // Moves every process's manual clock to `to` (also the clock the next Start uses).
  absl::Status SetClock(absl::Time to);
  absl::Time now() const { return now_; }

  // Every relay has published its whole log (lag 0, no error), every consumer has applied
  // its sources to the end (in one process: their log positions; over Kafka: the end offset
  // of every partition of their topics), no feed is parked, and the same twice in a row.
  // All of it unchanged for `quiet` (the deadlines service fires due timers every 100 ms; a
  // relay publishes watermarks, which let breaches be declared, about once a second).
  // `seen` (if set) gets the last snapshot.
  absl::Status Settle(absl::Duration limit, std::string* seen = nullptr,
                      absl::Duration quiet = absl::Milliseconds(300));

  // The tails of every process's logs, for failure messages.
  std::string LogTails() const;

 private:
  Deployment deployment_;
  std::string dir_, brokers_;
  absl::Time now_;
  std::map<std::string, std::unique_ptr<ServerProcess>> processes_;  // by process name
  std::map<std::string, std::unique_ptr<faults::Endpoint>> endpoints_;  // by process name
  std::map<std::string, std::string> process_of_;                       // service -> process
  std::vector<std::string> order_;                                      // process names
};

// The high watermark of every partition of `topic` (partition -> end offset).
absl::StatusOr<std::map<int32_t, int64_t>> TopicEndOffsets(const std::string& brokers,
                                                            const std::string& topic);

// A service's topic against its log head.
struct TopicCheck {
  int64_t messages = 0;
  int64_t duplicates = 0;            // messages whose position came before
  std::vector<uint64_t> missing;     // positions 1..head not on the topic
  std::vector<uint64_t> differing;   // positions whose repeats differ from the first
  std::vector<std::string> foreign;  // messages that are not this source's envelopes
};
absl::StatusOr<TopicCheck> CheckTopic(const std::string& brokers, const std::string& service,
                                      uint64_t head);

// What a consumer's log says about what it applied: the events it recorded while applying a
// source's event carry that event's (source, position) (EventEnvelope.consumed), and one
// source event is applied in one transaction, so its events stand together in the log.
struct AppliedCheck {
  int64_t applied = 0;                  // source events that led to events of the consumer
  std::vector<std::string> twice;       // "<source>@<position>" applied in two places
  std::map<std::string, int64_t> by_type;  // consumer events recorded from feeds, by type
};
AppliedCheck CheckApplied(const std::vector<remiss::v1::EventEnvelope>& log);

// The responses service's restatements of referrals' rounds: RoundTermsRecorded per
// referrals position (each position at most once).
std::map<uint64_t, int> RoundTermsByReferralsPosition(
    const std::vector<remiss::v1::EventEnvelope>& log);

// What KS sees of each round (FollowupService/GetStatusBoard): round id -> the board's
// deterministic bytes (an error's text for a round that has none).
std::map<std::string, std::string> StatusBoards(grpc::Channel& followup,
                                                const std::vector<std::string>& round_ids);
// The first difference between two sets of boards, readable; empty when equal.
std::string DescribeDifference(const std::map<std::string, std::string>& a,
                               const std::map<std::string, std::string>& b);

// Every service's projection digest ("<sha256> entries <n>"; over Kafka each process is
// asked for its own service).
std::map<std::string, std::string> ProjectionDigests(Services& services);

}  // namespace remiss::faults
