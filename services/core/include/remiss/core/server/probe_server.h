// A plaintext listener for Kubernetes' native gRPC probes, which speak no TLS: it serves
// grpc.health.v1.Health/Check and no data (gRPC's reflection, on for every server of the
// process, lists just that), so it may listen on any address while the services themselves
// serve mutual TLS only. Two names:
//   ""          readiness: the host's status, SERVING while every hosted module serves (not
//               while a feed is parked or stopped, the store poisoned, the relay failing)
//   "liveness"  SERVING unless the host's watchdog, once started, has not come round for
//               kWedgedAfter: a wedged process. A parked feed or a store waiting for a
//               restore is not a reason to restart the process, so they never fail it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace remiss::core {

class ProbeServer {
 public:
  static constexpr absl::Duration kWedgedAfter = absl::Seconds(60);
  static constexpr char kLiveness[] = "liveness";

  // Binds `listen` (host:port; port 0 picks one) and serves; NOT ready until SetReady(true).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ProbeServer>> Start(const std::string& listen);
  ~ProbeServer();

  void SetReady(bool ready);
  // The watchdog came round (liveness is judged by these from the first one on).
  void Beat();
  // NOT_SERVING for both names from now on (a stopping process), then stops serving.
  void Shutdown();
  int port() const { return port_; }

  // What Check answers for `service`: 1 SERVING, 2 NOT_SERVING, 0 unknown name.
  int Status(const std::string& service, absl::Time now) const;

 private:
  class Health;
  ProbeServer();
  std::unique_ptr<Health> health_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_beat_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace remiss::core
