// ProbeServer (probe_server.h): Health/Check on a plaintext listener for the kubelet.
#include "remiss/core/server/probe_server.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace remiss::core {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class ProbeServer::Health final : public grpc::health::v1::Health::Service {
 public:
  explicit Health(const ProbeServer* probes) : probes_(probes) {}
  grpc::Status Check(grpc::ServerContext*, const HealthCheckRequest* request,
                     HealthCheckResponse* response) override {
    const int status = probes_->Status(request->service(), absl::Now());
    if (status == 0) return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    response->set_status(status == 1 ? HealthCheckResponse::SERVING
                                     : HealthCheckResponse::NOT_SERVING);
    return grpc::Status::OK;
  }

 private:
  const ProbeServer* probes_;
};

ProbeServer::ProbeServer() : health_(std::make_unique<Health>(this)) {}

ProbeServer::~ProbeServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<ProbeServer>> ProbeServer::Start(const std::string& listen) {
  std::unique_ptr<ProbeServer> probes(new ProbeServer());
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &probes->port_);
  builder.RegisterService(probes->health_.get());
  probes->server_ = builder.BuildAndStart();
  if (probes->server_ == nullptr || probes->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("--probe-listen: cannot serve on ", listen,
                     " (the port is taken by another process, or the address is not this machine's)"));
  }
  return probes;
}

void ProbeServer::SetReady(bool ready) {
  absl::MutexLock lock(&mu_);
  ready_ = ready;
}

void ProbeServer::Beat() {
  absl::MutexLock lock(&mu_);
  last_beat_ = absl::Now();
}

void ProbeServer::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && server_ == nullptr) return;
    stopping_ = true;
  }
  if (server_ != nullptr) {
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    server_->Wait();
    server_.reset();
  }
}

int ProbeServer::Status(const std::string& service, absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (service.empty()) return ready_ && !stopping_ ? 1 : 2;
  if (service == kLiveness) {
    const bool wedged = last_beat_ != absl::InfinitePast() && now - last_beat_ > kWedgedAfter;
    return wedged || stopping_ ? 2 : 1;
  }
  return 0;
}

}  // namespace remiss::core
