// A service started with Kafka on an empty data directory whose topic holds events waits
// here for an operator's restore (AdminService.RestoreFromKafka, `remissctl restore`):
// meanwhile its address serves only health (NOT_SERVING) and the admin service, so nothing
// is recorded or published before its log is back.
//
// The module's start (PrepareStore) waits in Await(); the admin call comes in through
// Restore(), which wakes it and waits for the outcome that PrepareStore hands to Finish().
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "remiss/core/kafka/restore.h"

namespace remiss::core {

class ServiceHost;

class RestoreGate {
 public:
  // `start_host` starts the waiting address (a ServiceHost that hosts no module and knows
  // this gate); it is called when a first store waits.
  using StartHost = std::function<absl::StatusOr<std::unique_ptr<ServiceHost>>(RestoreGate*)>;
  explicit RestoreGate(StartHost start_host);
  ~RestoreGate();

  // Blocks until an operator asks to restore `service` (OK: restore it now, then call
  // Finish) or a shutdown signal comes (CANCELLED). `why` is what the operator is told.
  [[nodiscard]] absl::Status Await(const std::string& service, const std::string& why);
  // The restore's outcome, for the operator's call that is waiting for it.
  void Finish(const std::string& service, absl::StatusOr<RestoreSummary> outcome);

  // AdminService.RestoreFromKafka: FAILED_PRECONDITION unless `service` waits for a
  // restore; else starts it and answers with its outcome.
  [[nodiscard]] absl::StatusOr<RestoreSummary> Restore(const std::string& service);

  // Stops the waiting address, so that the service's own server can bind it.
  void Stop();

 private:
  enum class State { kIdle, kWaiting, kRestoring, kDone };
  StartHost start_host_;
  std::unique_ptr<ServiceHost> host_;
  std::mutex mu_;
  std::condition_variable changed_;
  State state_ = State::kIdle;
  std::string service_;
  std::optional<absl::StatusOr<RestoreSummary>> outcome_;
};

}  // namespace remiss::core
