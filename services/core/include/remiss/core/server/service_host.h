// Runs one or more services' gRPC APIs on one address, with what every remiss server has:
// grpc.health.v1 health, server reflection, the admin service (digest, rebuild, positions,
// parked events: retry or skip), the events service (each hosted log as a stream), bounded message sizes, mutual TLS with one policy per
// service checked before any handler (plaintext only on loopback, for development), and a
// watchdog that marks a service NOT_SERVING while one of its feeds has stopped or parked an
// event or its relay cannot publish (logging which), and SERVING again once that is repaired.
// Thread-safe after Start(); services and modules must
// outlive the host.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "remiss/core/server/auth_gate.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/base/stop_flag.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/server/events_service.h"
#include "remiss/core/feeds/feed.h"
#include "remiss/core/server/policy.h"
#include "remiss/core/server/probe_server.h"
#include "remiss/core/kafka/relay.h"

namespace remiss::core {

class RestoreGate;

// What the admin service and the health checks need to know of one service.
struct HostedModule {
  std::string name;                 // "referrals"
  std::string grpc_service;         // "remiss.v1.ReferralService", for health
  EventStore* store = nullptr;
  Relay* relay = nullptr;           // null when not publishing to Kafka
  std::vector<const Feed*> feeds;   // what it consumes
  // The consumers behind those feeds: the admin service's retry and skip of a parked event.
  std::vector<FeedConsumer*> consumers;
  // Sets the module's own metrics from its state (e.g. deadlines per organization); called
  // by the host every couple of seconds. May be empty.
  std::function<void()> export_metrics;
};

class ServiceHost {
 public:
  // `manual_clock`, when not null, is the clock the admin service may set.
  ServiceHost(std::string listen, int max_message_bytes, ManualClock* manual_clock = nullptr,
              const Clock* clock = nullptr);
  ~ServiceHost();

  // A service and its policy: a rule for every one of its RPCs (Start refuses otherwise).
  void AddService(grpc::Service* service, ServicePolicy policy);
  // Serve mutual TLS (before Start). Without it the host serves plaintext, and only on a
  // loopback address: development, where callers name themselves in metadata.
  void UseTls(TlsSettings tls) { tls_ = std::move(tls); }
  void AddModule(HostedModule module);
  // Makes this the address of a service that waits for an operator's restore (restore_gate.h):
  // it hosts no module, answers AdminService.RestoreFromKafka through `gate`, and its health
  // is NOT_SERVING. Before Start.
  void UseRestoreGate(RestoreGate* gate) { restore_gate_ = gate; }
  // Also serve the kubelet's gRPC probes, plaintext, on `listen` (probe_server.h); before
  // Start. Empty: none.
  void ServeProbes(std::string listen) { probe_listen_ = std::move(listen); }

  // Binds and starts serving. The bound port is then port().
  [[nodiscard]] absl::Status Start();
  int port() const { return port_; }
  // The largest answer this host sends: 4 x the largest request it accepts. A service whose
  // answer may grow past it (a round's compilation) refuses such a call with a clear status.
  int max_send_message_bytes() const { return 4 * max_message_bytes_; }
  // The events service (remiss.v1.EventsService) over the hosted modules; null before Start.
  EventsGrpcService* events_service() { return events_.get(); }
  // Stops accepting calls and finishes the ones under way (for at most `grace`).
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  class Admin;
  void Watch();
  // The hosted modules' state as metrics (metrics.h): log, relay, feeds, rebuild, and each
  // module's own.
  void ExportMetrics();
  [[nodiscard]] absl::Status BuildPolicy();
  [[nodiscard]] absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials() const;

  std::string listen_;
  int max_message_bytes_;
  ManualClock* manual_clock_;
  const Clock* clock_;
  int port_ = 0;
  std::vector<grpc::Service*> services_;
  std::vector<ServicePolicy> policies_;
  TlsSettings tls_;
  PolicyTable table_;
  std::vector<HostedModule> modules_;
  RestoreGate* restore_gate_ = nullptr;
  std::string probe_listen_;
  std::unique_ptr<ProbeServer> probes_;
  std::unique_ptr<Admin> admin_;
  std::unique_ptr<EventsGrpcService> events_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<bool> stopping_{false};
  StopFlag watching_;  // stops the watchdog
  std::thread watchdog_;
};

// Blocks SIGINT and SIGTERM in this thread and every thread started after it; call first
// in main(). AwaitShutdownSignal() then waits for one and returns its number.
void BlockShutdownSignals();
int AwaitShutdownSignal();
// A SIGINT or SIGTERM that is pending, taken (its number), or 0 at once if none is.
int PollShutdownSignal();

// The command's meta from a call: command id, the caller's identity (CallerOf: its verified
// certificate on TLS, the metadata x-remiss-org/-role/-person on a plaintext loopback
// listener), traceparent and x-correlation-id.
[[nodiscard]] CommandMeta MetaFromCall(const grpc::ServerContextBase& context,
                                       const std::string& command_id);

}  // namespace remiss::core
