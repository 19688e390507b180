// The four services as the simulation runs them, in this process: their real modules
// (stores, feeds, relays, the deadline scheduler) on the manual clock, each store on a
// SimDisk, each hosted by a real ServiceHost on a loopback port that the workload calls
// through gRPC. Wired as remissd (LocalFeeds; one process: a crash takes all four down) or
// as separate services over Kafka (the mock cluster's brokers; KafkaFeeds and relays; a
// crash takes one down).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/kafka/kafka.h"
#include "remiss/core/server/server_main.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/store/event_store.h"
#include "tests/simulation/flaky_feed.h"
#include "tests/simulation/sim_disk.h"

namespace remiss::deadlines {
class Scheduler;
}  // namespace remiss::deadlines

namespace remiss::sim {

// kRemissd: one process, LocalFeeds; kRemissdKafka: the same publishing to Kafka (relays);
// kKafka: four processes over Kafka (relays and KafkaFeeds).
enum class Wiring { kRemissd, kRemissdKafka, kKafka };

struct SystemOptions {
  Wiring wiring = Wiring::kRemissd;
  std::string dir;                 // <dir>/<service> is a service's data directory
  core::ManualClock* clock = nullptr;
  std::string brokers;             // kKafka: the mock cluster
  std::optional<core::TopicsConfig> topics;
  // A rebuild's chunk in events: small, so that a stop lands between chunks of a short log.
  size_t rebuild_chunk_events = 16;
};

// The services in the order they follow each other.
const std::vector<std::string>& Services();
// The services `service` follows (none for referrals).
const std::vector<std::string>& SourcesOf(const std::string& service);

class System {
 public:
  explicit System(SystemOptions options);
  ~System();

  Wiring wiring() const { return options_.wiring; }
  // The services that go down together with `service` (all four in remissd).
  std::vector<std::string> ProcessOf(const std::string& service) const;

  // Starts the process of `service` (every service in remissd) on what its disk kept.
  // `restore` opens an empty store by restoring it from its topic first (kKafka).
  absl::Status Start(const std::string& service, bool restore = false);
  absl::Status StartAll();
  bool running(const std::string& service) const;
  // A crash of the process of `service`: its disks die, it is torn down, and each disk
  // loses what was never synced (all of it, or a part when keep_part).
  void Crash(const std::string& service, uint64_t random, bool keep_part);
  // A clean stop (SIGTERM) of the process of `service`.
  void Stop(const std::string& service);
  void StopAll();
  // The store of `service` lost for good (a disk that died): its data directory is gone.
  void LoseStore(const std::string& service);

  SimDisk& disk(const std::string& service) { return *disks_.at(service); }
  HandlerFaults& handler_faults(const std::string& service) { return *handler_faults_.at(service); }
  // Null while the service is down.
  core::EventStore* store(const std::string& service) const;
  std::shared_ptr<grpc::Channel> channel(const std::string& service) const;
  // Every timer due before this instant has fired (deadlines' Scheduler::FiredThrough);
  // nullopt while deadlines is down.
  std::optional<absl::Time> DeadlinesFiredThrough() const;
  std::string DataDir(const std::string& service) const;

 private:
  struct Process {
    std::vector<std::string> services;
    std::unique_ptr<core::ServiceHost> host;
    core::Modules modules;  // in the order of `services`
    std::map<std::string, core::EventStore*> stores;
    deadlines::Scheduler* scheduler = nullptr;  // deadlines' timers, in its process
    std::shared_ptr<grpc::Channel> channel;
  };
  std::string ProcessName(const std::string& service) const;
  absl::StatusOr<std::vector<std::unique_ptr<core::Feed>>> FeedsFor(const std::string& consumer,
                                                                    Process& process);
  void TearDown(Process& process);

  SystemOptions options_;
  std::map<std::string, std::unique_ptr<SimDisk>> disks_;
  std::map<std::string, std::shared_ptr<HandlerFaults>> handler_faults_;
  std::map<std::string, std::unique_ptr<Process>> processes_;  // by process name; running ones
};

}  // namespace remiss::sim
