#include "remiss/core/server/restore_gate.h"

#include <chrono>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "remiss/core/server/service_host.h"

namespace remiss::core {

RestoreGate::RestoreGate(StartHost start_host) : start_host_(std::move(start_host)) {}

RestoreGate::~RestoreGate() { Stop(); }

absl::Status RestoreGate::Await(const std::string& service, const std::string& why) {
  std::unique_lock lock(mu_);
  if (host_ == nullptr) {
    absl::StatusOr<std::unique_ptr<ServiceHost>> host = start_host_(this);
    if (!host.ok()) return host.status();
    host_ = std::move(*host);
  }
  state_ = State::kWaiting;
  service_ = service;
  std::cout << service << ": waiting for a restore (NOT_SERVING, nothing recorded or published "
            << "meanwhile): " << why << ". Restore it with `remissctl restore " << service
            << "` (AdminService.RestoreFromKafka) on 127.0.0.1:" << host_->port()
            << ", or stop this and start it again with --restore-from-kafka" << std::endl;
  while (state_ == State::kWaiting) {
    changed_.wait_for(lock, std::chrono::milliseconds(200));
    if (state_ == State::kWaiting && PollShutdownSignal() != 0) {
      state_ = State::kIdle;
      return absl::CancelledError(absl::StrCat(service, ": stopped while waiting for a restore"));
    }
  }
  return absl::OkStatus();
}

void RestoreGate::Finish(const std::string& service, absl::StatusOr<RestoreSummary> outcome) {
  std::lock_guard lock(mu_);
  if (state_ != State::kRestoring || service_ != service) return;
  outcome_ = std::move(outcome);
  state_ = State::kDone;
  changed_.notify_all();
}

absl::StatusOr<RestoreSummary> RestoreGate::Restore(const std::string& service) {
  std::unique_lock lock(mu_);
  if (state_ == State::kRestoring && service_ == service) {
    return absl::FailedPreconditionError(
        absl::StrCat("service: ", service, " is being restored already (by another call)"));
  }
  if (state_ != State::kWaiting || service_ != service) {
    return absl::FailedPreconditionError(absl::StrCat(
        "service: ", service.empty() ? std::string("(none given)") : service,
        " does not wait for a restore here",
        state_ == State::kWaiting ? absl::StrCat(" (", service_, " does)") : std::string(),
        ": only a service started with Kafka on an empty data directory whose topic holds "
        "events waits for one"));
  }
  state_ = State::kRestoring;
  outcome_.reset();
  changed_.notify_all();
  changed_.wait(lock, [this] { return state_ == State::kDone; });
  absl::StatusOr<RestoreSummary> outcome = std::move(*outcome_);
  outcome_.reset();
  state_ = State::kIdle;
  return outcome;
}

void RestoreGate::Stop() {
  std::unique_ptr<ServiceHost> host;
  {
    std::lock_guard lock(mu_);
    host = std::move(host_);
  }
  if (host != nullptr) host->Shutdown(absl::Seconds(2));
}

}  // namespace remiss::core
