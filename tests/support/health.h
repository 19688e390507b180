// Asks a server's grpc.health.v1.Health/Check, without the health proto's generated code
// (Debian does not ship it): HealthCheckRequest{service=1} and HealthCheckResponse{status=1}
// are encoded by hand. Returns the ServingStatus (1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN)
// or -1 when the call fails.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace remiss::testing {

inline int HealthStatus(grpc::Channel& channel, const std::string& service) {
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0a);
    request.push_back(static_cast<char>(service.size()));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  absl::Notification done;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &in, &out,
                 [&](grpc::Status s) {
                   status = s;
                   done.Notify();
                 });
  done.WaitForNotification();
  if (!status.ok()) return status.error_code() == grpc::StatusCode::NOT_FOUND ? 3 : -1;
  std::vector<grpc::Slice> slices;
  if (!out.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return bytes.empty() ? 0 : -1;
}

// The status once it is `want`, or the last one seen after `timeout`: a server's health
// follows what its watchdog saw at its last round, a moment after the fact.
inline int AwaitHealthStatus(grpc::Channel& channel, const std::string& service, int want,
                             absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time until = absl::Now() + timeout;
  int seen = HealthStatus(channel, service);
  while (seen != want && absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(50));
    seen = HealthStatus(channel, service);
  }
  return seen;
}

}  // namespace remiss::testing
