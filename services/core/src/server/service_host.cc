// ServiceHost (service_host.h): the policy table and credentials, starting the server with its
// metrics and tracing interceptors (gRPC's own log held back while it starts), shutdown and
// the shutdown signals, and a call's command meta. The admin service is in
// service_host_admin.cc, the watchdog and the metrics export in service_host_watch.cc.
#include "remiss/core/server/service_host.h"

#include "remiss/core/server/call_metadata.h"
#include "remiss/core/server/parse_refusal.h"

#include "remiss/core/telemetry/log.h"
#include "remiss/core/server/restore_gate.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>
#include <grpc/support/log.h>
#include <signal.h>

#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/telemetry/metrics.h"
#include "remiss/core/telemetry/tracing.h"
#include "grpc/health/v1/health.pb.h"
#include "service_host_admin.h"

namespace remiss::core {
namespace {

// gRPC's own log lines. While a server starts they are held back: when the start fails, the
// host's one line names the cause and they are dropped; otherwise they are written then.
absl::Mutex grpc_log_mu;
bool grpc_log_holding ABSL_GUARDED_BY(grpc_log_mu) = false;
std::vector<std::string> grpc_log_held ABSL_GUARDED_BY(grpc_log_mu);

void GrpcLog(gpr_log_func_args* args) {
  std::string line = JsonLine("grpc", "grpc_log",
                              {{"severity", gpr_log_severity_string(args->severity)},
                               {"at", absl::StrCat(args->file, ":", args->line)},
                               {"message", args->message}});
  absl::MutexLock lock(&grpc_log_mu);
  if (grpc_log_holding) {
    grpc_log_held.push_back(std::move(line));
  } else {
    std::cerr << line;
  }
}

void HoldGrpcLog() {
  gpr_set_log_function(&GrpcLog);
  absl::MutexLock lock(&grpc_log_mu);
  grpc_log_holding = true;
}

void ReleaseGrpcLog(bool write) {
  absl::MutexLock lock(&grpc_log_mu);
  grpc_log_holding = false;
  if (write) {
    for (const std::string& line : grpc_log_held) std::cerr << line;
  }
  grpc_log_held.clear();
}

// Every call's method, status code and latency as metrics (remiss_rpc_total/_seconds).
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(KnownMethod(info->method())), started_(absl::Now()) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics::RpcFinished(method_, StatusCodeName(methods->GetSendStatus().error_code()),
                           absl::Now() - started_);
    }
    methods->Proceed();
  }

 private:
  // "/pkg.Service/Method" when the descriptor pool has it, else "unknown": a caller's made-up
  // method names never become labels.
  static std::string KnownMethod(const char* path) {
    if (path == nullptr || path[0] != '/') return "unknown";
    std::string name(path + 1);
    const size_t slash = name.find('/');
    if (slash == std::string::npos) return "unknown";
    name[slash] = '.';
    if (google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name) == nullptr) {
      return "unknown";
    }
    return path;
  }
  static std::string StatusCodeName(grpc::StatusCode code) {
    return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  }
  std::string method_;
  absl::Time started_;
};

// Every call as a server span (when tracing is on), a child of the caller's `traceparent`
// when it sent one. The span's own traceparent replaces the caller's in the call's metadata,
// so MetaFromCall hands it to the command and the events it records carry it.
class TracingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit TracingInterceptor(grpc::experimental::ServerRpcInfo* info)
      : path_(info->method() != nullptr ? info->method() : "") {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::multimap<grpc::string_ref, grpc::string_ref>* md = methods->GetRecvInitialMetadata();
      std::string parent;
      if (auto it = md->find("traceparent"); it != md->end()) {
        parent.assign(it->second.data(), it->second.size());
        md->erase(it);
      }
      span_ = tracing::Span(ServiceOf(path_), path_.empty() ? "unknown" : path_.substr(1),
                            tracing::Kind::kServer, parent);
      span_.SetAttribute("rpc.system", "grpc");
      span_.SetAttribute("rpc.method", path_);
      own_ = span_.traceparent();
      md->emplace(grpc::string_ref("traceparent"), grpc::string_ref(own_));
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const std::string code = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
      span_.SetAttribute("rpc.grpc.status_code", static_cast<int64_t>(status.error_code()));
      // Server faults are errors of this span; a caller's mistake (INVALID_ARGUMENT, ...) is not.
      switch (status.error_code()) {
        case grpc::StatusCode::UNKNOWN:
        case grpc::StatusCode::INTERNAL:
        case grpc::StatusCode::UNAVAILABLE:
        case grpc::StatusCode::DATA_LOSS:
        case grpc::StatusCode::DEADLINE_EXCEEDED:
          span_.SetError(status.error_message());
          LogJson(ServiceOf(path_), "rpc_failed",
                           {{"rpc", path_}, {"code", code}, {"message", status.error_message()}},
                           own_);
          break;
        default:
          break;
      }
      span_.End();
    }
    methods->Proceed();
  }

 private:
  // "/remiss.v1.ResponseService/SubmitResponse" -> "responses" (the store's name); the admin
  // API, health and reflection as "remiss".
  static std::string ServiceOf(const std::string& path) {
    static const auto* names = new std::map<std::string, std::string, std::less<>>{
        {"/remiss.v1.ReferralService/", "referrals"}, {"/remiss.v1.ResponseService/", "responses"},
        {"/remiss.v1.DeadlineService/", "deadlines"}, {"/remiss.v1.FollowupService/", "followup"},
        {"/remiss.v1.NoticesService/", "notices"}};
    const size_t slash = path.find('/', 1);
    if (slash == std::string::npos) return "remiss";
    auto it = names->find(absl::string_view(path).substr(0, slash + 1));
    return it == names->end() ? "remiss" : it->second;
  }
  std::string path_;
  tracing::Span span_;
  std::string own_;  // the metadata's traceparent points into it
};

class TracingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new TracingInterceptor(info);
  }
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);
  }
};

}  // namespace

ServiceHost::ServiceHost(std::string listen, int max_message_bytes, ManualClock* manual_clock,
                         const Clock* clock)
    : listen_(std::move(listen)),
      max_message_bytes_(max_message_bytes),
      manual_clock_(manual_clock),
      clock_(clock != nullptr ? clock : manual_clock) {}

ServiceHost::~ServiceHost() { Shutdown(absl::ZeroDuration()); }

void ServiceHost::AddService(grpc::Service* service, ServicePolicy policy) {
  services_.push_back(service);
  policies_.push_back(std::move(policy));
}

// The table of every RPC served here, checked against the services' descriptors.
absl::Status ServiceHost::BuildPolicy() {
  std::vector<ServicePolicy> all = HostPolicies();
  all.insert(all.end(), policies_.begin(), policies_.end());
  for (const ServicePolicy& p : all) table_.Add(p);
  std::vector<std::string> problems;
  for (const ServicePolicy& p : all) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(p.service);
    if (service == nullptr) {
      problems.push_back(absl::StrCat(p.service, ": no such service is linked in"));
      continue;
    }
    for (std::string& problem : table_.Problems(*service)) problems.push_back(std::move(problem));
    RegisterOwnOrganizationRules(*service, table_);
  }
  if (!problems.empty()) {
    return absl::InternalError(absl::StrCat("policy: ", absl::StrJoin(problems, "; ")));
  }
  return absl::OkStatus();
}

// Mutual TLS with the gate, or plaintext on loopback (said loudly), never plaintext elsewhere.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServiceHost::Credentials() const {
  if (tls_.enabled()) {
    return MutualTlsCredentials(tls_, std::make_shared<AuthGate>(&table_, tls_.trust_domain));
  }
  if (!IsLoopbackAddress(listen_)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--listen: refusing to serve plaintext on ", listen_,
        ", which is not loopback; give --tls-cert, --tls-key and --tls-ca (see tools/pki.sh)"));
  }
  return grpc::InsecureServerCredentials();
}

void ServiceHost::AddModule(HostedModule module) { modules_.push_back(std::move(module)); }

absl::Status ServiceHost::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  // Links the health protocol's descriptor in, so that reflection can describe it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  admin_ = std::make_unique<Admin>(&modules_, manual_clock_, clock_, restore_gate_);
  events_ = std::make_unique<EventsGrpcService>(&modules_);
  if (absl::Status s = BuildPolicy(); !s.ok()) return s;
  auto credentials = Credentials();
  if (!credentials.ok()) return credentials.status();
  grpc::ServerBuilder builder;
  // One address, one server: without this a second server could bind the same port and the
  // two would answer in turn.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(listen_, *credentials, &port_);
  builder.SetMaxReceiveMessageSize(max_message_bytes_);
  builder.SetMaxSendMessageSize(max_send_message_bytes());
  for (grpc::Service* s : services_) builder.RegisterService(s);
  builder.RegisterService(admin_.get());
  builder.RegisterService(events_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  InstallProtobufLogHandler();
  interceptors.push_back(ParseRefusalInterceptorFactory());  // first: the others see its status
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>());
  if (tracing::Enabled()) interceptors.push_back(std::make_unique<TracingInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  HoldGrpcLog();
  server_ = builder.BuildAndStart();
  ReleaseGrpcLog(/*write=*/server_ != nullptr && port_ != 0);
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot serve on ", listen_,
        " (the port is taken by another process, or the address is not this machine's)"));
  }
  if (!tls_.enabled()) {  // said once the server runs, so that a failed start stays one line
    LogMessage("server", "plaintext_listener",
               absl::StrCat("WARNING: PLAINTEXT development listener on ", listen_,
                            ": no TLS; callers name themselves in x-remiss-* metadata and no "
                            "policy is checked. Loopback only: serve --tls-cert/--tls-key/"
                            "--tls-ca anywhere else."));
  }
  if (!probe_listen_.empty()) {
    auto probes = ProbeServer::Start(probe_listen_);
    if (!probes.ok()) return probes.status();
    probes_ = std::move(*probes);
  }
  auto* health = server_->GetHealthCheckService();
  if (restore_gate_ != nullptr) {  // waiting for a restore: nothing here serves yet
    health->SetServingStatus(false);
    return absl::OkStatus();
  }
  for (const HostedModule& m : modules_) health->SetServingStatus(m.grpc_service, true);
  health->SetServingStatus(true);
  if (probes_ != nullptr) probes_->SetReady(true);
  watchdog_ = std::thread([this] { Watch(); });
  return absl::OkStatus();
}

void ServiceHost::Shutdown(absl::Duration grace) {
  if (stopping_.exchange(true)) return;
  if (probes_ != nullptr) probes_->SetReady(false);  // no new calls routed here
  watching_.Stop();
  if (watchdog_.joinable()) watchdog_.join();
  if (probes_ != nullptr) probes_->SetReady(false);  // the watchdog's last round may have set it
  if (events_ != nullptr) events_->Stop();  // subscriptions end now, not at the grace's end
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
  if (probes_ != nullptr) probes_->Shutdown();
}

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int AwaitShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

int PollShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  const timespec now{0, 0};
  const int signal = sigtimedwait(&set, nullptr, &now);
  return signal > 0 ? signal : 0;
}

CommandMeta MetaFromCall(const grpc::ServerContextBase& context, const std::string& command_id) {
  CommandMeta meta;
  meta.command_id = command_id;
  const auto& md = context.client_metadata();
  auto get = [&md](const char* key) {
    auto it = md.find(key);
    return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
  };
  const Caller caller = CallerOf(context);
  meta.actor.set_org_id(caller.org_id);
  meta.actor.set_role(caller.role);
  meta.actor.set_person_id(caller.person_id);
  // Into immutable events only what parses (a caller's junk is dropped, not recorded).
  meta.traceparent = KeptTraceparent(get("traceparent"));
  meta.correlation_id = KeptCorrelationId(get("x-correlation-id"));
  return meta;
}

}  // namespace remiss::core
