#include "remiss/core/server/service_host.h"

#include "remiss/core/telemetry/log.h"
#include "remiss/core/server/restore_gate.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>
#include <grpc/support/log.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "remiss/core/server/grpc_status.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/telemetry/metrics.h"
#include "remiss/core/telemetry/tracing.h"
#include "grpc/health/v1/health.pb.h"
#include "remiss/v1/admin.grpc.pb.h"

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
        {"/remiss.v1.DeadlineService/", "deadlines"}, {"/remiss.v1.FollowupService/", "followup"}};
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

// The admin API over the hosted modules. Synchronous: a rebuild may take a while and
// should not hold a callback thread.
class ServiceHost::Admin final : public remiss::v1::AdminService::Service {
 public:
  Admin(const std::vector<HostedModule>* modules, ManualClock* manual, const Clock* clock,
        RestoreGate* restore_gate)
      : modules_(modules), manual_(manual), clock_(clock), restore_gate_(restore_gate) {}

  grpc::Status RestoreFromKafka(grpc::ServerContext*,
                                const remiss::v1::RestoreFromKafkaRequest* request,
                                remiss::v1::RestoreReport* response) override {
    if (request->service().empty()) return Invalid("service: is required");
    if (restore_gate_ == nullptr) {
      const HostedModule* m = Find(request->service());
      if (m == nullptr) return NotFound(request->service());
      if (m->relay == nullptr) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            absl::StrCat("service: ", m->name, " publishes to no Kafka topic here: "
                                         "there is nothing to restore it from"));
      }
      return grpc::Status(
          grpc::StatusCode::FAILED_PRECONDITION,
          absl::StrCat("service: ", m->name, " runs with its log (position ",
                       m->store->LastPosition(), ") and is not restored over it: stop it, "
                       "empty its data directory and start it again, and it waits for this"));
    }
    absl::StatusOr<RestoreSummary> restored = restore_gate_->Restore(request->service());
    if (!restored.ok()) return ToGrpcStatus(restored.status());
    response->set_service(request->service());
    response->set_topic(TopicFor(request->service()));
    response->set_events(restored->imported.events);
    response->set_duplicates(restored->duplicates);
    response->set_incarnation(restored->incarnation);
    response->set_feed_cursors(restored->imported.feed_cursors);
    response->set_command_records(restored->imported.command_records);
    Fill(request->service(), restored->imported.digest, response->mutable_digest());
    return grpc::Status::OK;
  }

  grpc::Status GetClock(grpc::ServerContext*, const remiss::v1::GetClockRequest*,
                        remiss::v1::ClockState* response) override {
    FillClock(response);
    return grpc::Status::OK;
  }

  grpc::Status SetClock(grpc::ServerContext*, const remiss::v1::SetClockRequest* request,
                        remiss::v1::ClockState* response) override {
    if (manual_ == nullptr) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "clock: this server runs on the system clock (start it with "
                          "--manual-clock to set the time)");
    }
    if (request->has_to() == request->has_advance()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "to: give either `to` or `advance`");
    }
    absl::Time target = request->has_to()
                            ? absl::FromUnixSeconds(request->to().seconds()) +
                                  absl::Nanoseconds(request->to().nanos())
                            : manual_->Now() + absl::Seconds(request->advance().seconds()) +
                                  absl::Nanoseconds(request->advance().nanos());
    if (target < manual_->Now()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          request->has_to() ? "to: time never moves backwards"
                                            : "advance: time never moves backwards");
    }
    manual_->Set(target);
    FillClock(response);
    return grpc::Status::OK;
  }

  grpc::Status GetProjectionDigest(grpc::ServerContext*,
                                   const remiss::v1::GetProjectionDigestRequest* request,
                                   remiss::v1::ProjectionDigest* response) override {
    const HostedModule* m = Find(request->service());
    if (m == nullptr) return NotFound(request->service());
    Fill(m->name, m->store->ProjectionDigest(), response);
    return grpc::Status::OK;
  }

  grpc::Status RebuildProjections(grpc::ServerContext*,
                                  const remiss::v1::RebuildProjectionsRequest* request,
                                  remiss::v1::ProjectionDigest* response) override {
    const HostedModule* m = Find(request->service());
    if (m == nullptr) return NotFound(request->service());
    if (request->background()) {
      if (absl::Status s = m->store->StartRebuild(); !s.ok()) return ToGrpcStatus(s);
      Fill(m->name, m->store->ProjectionDigest(), response);
      return grpc::Status::OK;
    }
    auto digest = m->store->RebuildProjections();
    if (!digest.ok()) return ToGrpcStatus(digest.status());
    Fill(m->name, *digest, response);
    return grpc::Status::OK;
  }

  grpc::Status RepublishEvents(grpc::ServerContext* ctx, const remiss::v1::RepublishEventsRequest* request,
                               remiss::v1::Positions* response) override {
    if (request->service().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "service: is required");
    }
    const HostedModule* m = Find(request->service());
    if (m == nullptr) return NotFound(request->service());
    if (m->relay == nullptr) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("service: ", m->name, " publishes to no Kafka here"));
    }
    LogMessage(m->name, "republish", "an operator asked to publish the whole log again");
    m->relay->Republish();
    remiss::v1::GetPositionsRequest positions;
    positions.set_service(m->name);
    return GetPositions(ctx, &positions, response);
  }

  grpc::Status GetPositions(grpc::ServerContext*, const remiss::v1::GetPositionsRequest* request,
                            remiss::v1::Positions* response) override {
    for (const HostedModule& m : *modules_) {
      if (!request->service().empty() && request->service() != m.name) continue;
      auto* s = response->add_services();
      s->set_service(m.name);
      s->set_log_position(m.store->LastPosition());
      s->set_relay_enabled(m.relay != nullptr);
      if (m.relay != nullptr) {
        s->set_relay_cursor(m.relay->Cursor());
        s->set_relay_lag(s->log_position() - std::min(s->log_position(), s->relay_cursor()));
        if (absl::Status health = m.relay->Health(); !health.ok()) {
          s->set_relay_error(std::string(health.message()));
        }
      }
      const RebuildProgress rebuild = m.store->Rebuild();
      s->mutable_rebuild()->set_running(rebuild.running);
      s->mutable_rebuild()->set_position(rebuild.position);
      s->mutable_rebuild()->set_target(rebuild.target);
      s->mutable_rebuild()->set_events_per_second(rebuild.events_per_second);
      s->mutable_rebuild()->set_error(rebuild.error);
      std::vector<ParkedEvent> parked;
      for (const Feed* feed : m.feeds) {
        for (ParkedEvent& p : feed->Parked()) parked.push_back(std::move(p));
      }
      for (const auto& [source, partition, cursor] : m.store->FeedCursors()) {
        auto* f = s->add_feeds();
        f->set_source(source);
        f->set_partition(partition);
        f->set_offset(cursor.offset);
        f->set_position(cursor.position);
        for (auto it = parked.begin(); it != parked.end(); ++it) {
          if (it->source == source && it->partition == partition) {
            FillParked(*it, f->mutable_parked());
            parked.erase(it);
            break;
          }
        }
      }
      for (const ParkedEvent& p : parked) {  // parked before anything of it was applied
        auto* f = s->add_feeds();
        f->set_source(p.source);
        f->set_partition(p.partition);
        f->set_offset(-1);
        FillParked(p, f->mutable_parked());
      }
    }
    response->set_refused_calls(RefusedCalls());
    if (response->services_size() == 0 && !request->service().empty()) {
      return NotFound(request->service());
    }
    return grpc::Status::OK;
  }

  grpc::Status RetryParkedEvent(grpc::ServerContext*,
                                const remiss::v1::RetryParkedEventRequest* request,
                                remiss::v1::ParkedEventAction* response) override {
    const HostedModule* m = Find(request->service());
    if (m == nullptr) return NotFound(request->service());
    if (request->source().empty()) return Invalid("source: is required");
    absl::Status last = absl::NotFoundError(
        absl::StrCat("source: ", request->source(), " partition ", request->partition(),
                     " has no parked event in ", m->name));
    for (FeedConsumer* consumer : m->consumers) {
      absl::StatusOr<ParkedEvent> retried = consumer->Retry(request->source(), request->partition());
      if (retried.ok()) {
        response->set_service(m->name);
        FillParked(*retried, response->mutable_event());
        LogJson(m->name, "parked_event_retried",
                {{"source", retried->source}, {"partition", std::to_string(retried->partition)},
                 {"position", std::to_string(retried->position)}});
        return grpc::Status::OK;
      }
      if (retried.status().code() != absl::StatusCode::kNotFound) last = retried.status();
    }
    return ToGrpcStatus(last);
  }

  grpc::Status SkipParkedEvent(grpc::ServerContext* context,
                               const remiss::v1::SkipParkedEventRequest* request,
                               remiss::v1::ParkedEventAction* response) override {
    const HostedModule* m = Find(request->service());
    if (m == nullptr) return NotFound(request->service());
    if (request->source().empty()) return Invalid("source: is required");
    if (request->position() == 0 && !request->has_offset()) {
      return Invalid("position: is required (the parked event's; for a message that is not an "
                     "envelope, parked at position 0, give its offset)");
    }
    if (request->reason().empty()) return Invalid("reason: is required (why skip it?)");
    const std::optional<int64_t> offset =
        request->has_offset() ? std::optional<int64_t>(request->offset()) : std::nullopt;
    const remiss::v1::Actor actor = MetaFromCall(*context, "").actor;
    absl::Status last = absl::NotFoundError(
        absl::StrCat("source: ", request->source(), " partition ", request->partition(),
                     " has no parked event in ", m->name));
    for (FeedConsumer* consumer : m->consumers) {
      auto skipped = consumer->Skip(request->source(), request->partition(), request->position(),
                                    offset, actor, request->reason());
      if (skipped.ok()) {
        response->set_service(m->name);
        FillParked(skipped->first, response->mutable_event());
        response->set_skip_position(skipped->second.last_position);
        LogJson(m->name, "parked_event_skipped",
                {{"source", request->source()}, {"partition", std::to_string(request->partition())},
                 {"position", std::to_string(request->position())},
                 {"offset", std::to_string(skipped->first.offset)},
                 {"operator", absl::StrCat(actor.org_id(), "/", actor.role())}});
        return grpc::Status::OK;
      }
      if (skipped.status().code() != absl::StatusCode::kNotFound) last = skipped.status();
    }
    return ToGrpcStatus(last);
  }

 private:
  static grpc::Status Invalid(const std::string& message) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
  }
  static void FillParked(const ParkedEvent& p, remiss::v1::ParkedEvent* out) {
    out->set_source(p.source);
    out->set_partition(p.partition);
    out->set_position(p.position);
    out->set_offset(p.offset);
    out->set_reason(p.reason);
  }
  const HostedModule* Find(const std::string& name) const {
    for (const HostedModule& m : *modules_) {
      if (name.empty() || m.name == name) return &m;
    }
    return nullptr;
  }
  static grpc::Status NotFound(const std::string& name) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("service: no service \"", name, "\" runs here"));
  }
  static void Fill(const std::string& name, const Digest& d, remiss::v1::ProjectionDigest* out) {
    out->set_service(name);
    out->set_sha256(d.sha256);
    out->set_entries(d.entries);
    out->set_log_position(d.log_position);
  }

  void FillClock(remiss::v1::ClockState* out) const {
    const absl::Time now = manual_ != nullptr ? manual_->Now() : clock_ != nullptr ? clock_->Now() : absl::Now();
    out->mutable_now()->set_seconds(absl::ToUnixSeconds(now));
    out->mutable_now()->set_nanos(static_cast<int32_t>(
        (now - absl::FromUnixSeconds(absl::ToUnixSeconds(now))) / absl::Nanoseconds(1)));
    out->set_manual(manual_ != nullptr);
  }

  const std::vector<HostedModule>* modules_;
  ManualClock* manual_;
  const Clock* clock_;
  RestoreGate* restore_gate_;
};

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
  builder.SetMaxSendMessageSize(4 * max_message_bytes_);
  for (grpc::Service* s : services_) builder.RegisterService(s);
  builder.RegisterService(admin_.get());
  builder.RegisterService(events_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
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
  auto* health = server_->GetHealthCheckService();
  if (restore_gate_ != nullptr) {  // waiting for a restore: nothing here serves yet
    health->SetServingStatus(false);
    return absl::OkStatus();
  }
  for (const HostedModule& m : modules_) health->SetServingStatus(m.grpc_service, true);
  health->SetServingStatus(true);
  watchdog_ = std::thread([this] { Watch(); });
  return absl::OkStatus();
}

// A module is NOT_SERVING while one of its feeds has stopped or parked an event, or its relay
// cannot publish; SERVING again once that is repaired (a stopped feed stays stopped).
void ServiceHost::Watch() {
  auto* health = server_->GetHealthCheckService();
  std::vector<std::string> reported(modules_.size());
  absl::Time exported = absl::InfinitePast();
  while (!stopping_) {
    if (absl::Now() - exported >= absl::Seconds(2)) {
      ExportMetrics();
      exported = absl::Now();
    }
    bool all_ok = true;
    for (size_t i = 0; i < modules_.size(); ++i) {
      std::string problem;
      if (absl::Status p = modules_[i].store->Poisoned(); !p.ok()) {
        problem = absl::StrCat("its store is poisoned (", p.message(),
                               "): it refuses commands until the service is restarted");
      }
      for (const Feed* feed : modules_[i].feeds) {
        if (absl::Status s = feed->status(); !s.ok()) problem = absl::StrCat("a feed stopped: ", s.ToString());
        for (const ParkedEvent& p : feed->Parked()) {
          if (!problem.empty()) absl::StrAppend(&problem, "; ");
          absl::StrAppend(&problem, "feed ", p.source, " partition ", p.partition,
                          " parked at position ", p.position, " (offset ", p.offset, "): ",
                          p.reason);
        }
      }
      if (problem.empty() && modules_[i].relay != nullptr) {
        if (absl::Status s = modules_[i].relay->Health(); !s.ok()) problem = std::string(s.message());
      }
      if (!problem.empty()) all_ok = false;
      if (problem == reported[i]) continue;
      if (problem.empty()) {
        LogMessage(modules_[i].name, "serving", "recovered; SERVING again");
      } else {
        LogMessage(modules_[i].name, "not_serving", absl::StrCat(problem, "; marked NOT_SERVING"));
      }
      health->SetServingStatus(modules_[i].grpc_service, problem.empty());
      reported[i] = problem;
    }
    health->SetServingStatus(all_ok);
    absl::SleepFor(absl::Milliseconds(200));
  }
}

void ServiceHost::ExportMetrics() {
  using metrics::SetGauge;
  for (const HostedModule& m : modules_) {
    const std::map<std::string, std::string> store = {{"store", m.name}};
    const uint64_t head = m.store->LastPosition();
    SetGauge("remiss_log_position", "The last position of the store's event log", store,
             static_cast<double>(head));
    SetGauge("remiss_store_poisoned",
             "1 while the store is poisoned (a failed fsync or a RocksDB background error): it "
             "refuses commands until the service is restarted",
             store, m.store->Poisoned().ok() ? 0.0 : 1.0);
    if (m.relay != nullptr) {
      const uint64_t cursor = m.relay->Cursor();
      SetGauge("remiss_relay_cursor", "The highest position Kafka confirmed, contiguously", store,
               static_cast<double>(cursor));
      SetGauge("remiss_relay_lag_events", "Events recorded but not yet confirmed by Kafka", store,
               static_cast<double>(head > cursor ? head - cursor : 0));
      double lag_seconds = 0;
      if (head > cursor) {
        auto oldest = m.store->ReadLog(cursor + 1, 1);
        if (oldest.ok() && !oldest->empty()) {
          const auto& at = oldest->front().recorded_at();
          lag_seconds = std::max(0.0, absl::ToDoubleSeconds(
              m.store->clock().Now() - (absl::FromUnixSeconds(at.seconds()) + absl::Nanoseconds(at.nanos()))));
        }
      }
      SetGauge("remiss_relay_lag_seconds", "Age of the oldest event not yet confirmed by Kafka",
               store, lag_seconds);
      SetGauge("remiss_relay_stalled", "1 while the relay cannot publish (relay_error)", store,
               m.relay->Health().ok() ? 0 : 1);
    }
    for (const auto& [source, partition, cursor] : m.store->FeedCursors()) {
      const std::map<std::string, std::string> where = {
          {"store", m.name}, {"source", source}, {"partition", absl::StrCat(partition)}};
      std::optional<int64_t> last;
      bool parked = false, ahead = false;
      for (const Feed* feed : m.feeds) {
        if (auto l = feed->LastOffset(source, partition); l) last = l;
        for (const ParkedEvent& p : feed->Parked()) {
          if (p.source == source && p.partition == partition) {
            parked = true;
            ahead |= p.ahead;
          }
        }
      }
      if (last) {
        SetGauge("remiss_consumer_lag_events",
                 "Events of the source's partition not yet applied by this consumer", where,
                 static_cast<double>(std::max<int64_t>(0, *last - cursor.offset)));
      }
      SetGauge("remiss_feed_parked", "1 while the feed of this source/partition is parked", where,
               parked ? 1 : 0);
      SetGauge("remiss_feed_ahead_of_source",
               "1 while the feed of this source/partition is parked because this consumer's "
               "cursor is past what the source holds (a source restored to an earlier point)",
               where, ahead ? 1 : 0);
    }
    const RebuildProgress rebuild = m.store->Rebuild();
    SetGauge("remiss_rebuild_running", "1 while the projections are being rebuilt", store,
             rebuild.running ? 1 : 0);
    SetGauge("remiss_rebuild_progress_ratio", "How far a running rebuild is (0..1)", store,
             rebuild.running && rebuild.target > 0
                 ? static_cast<double>(rebuild.position) / static_cast<double>(rebuild.target)
                 : (rebuild.running ? 0 : 1));
    if (m.export_metrics) m.export_metrics();
  }
}

void ServiceHost::Shutdown(absl::Duration grace) {
  if (stopping_.exchange(true)) return;
  if (watchdog_.joinable()) watchdog_.join();
  if (events_ != nullptr) events_->Stop();  // subscriptions end now, not at the grace's end
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
    server_->Wait();
  }
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
  meta.traceparent = get("traceparent");
  meta.correlation_id = get("x-correlation-id");
  return meta;
}

}  // namespace remiss::core
