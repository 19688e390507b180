// ServiceHost's admin service (service_host_admin.h): the admin API over the hosted modules,
// restoring a waiting service from Kafka, the manual clock, projection digests and rebuilds,
// republishing, positions, and retrying or skipping a parked event.
#include "service_host_admin.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "remiss/core/base/keys.h"
#include "remiss/core/server/auth_gate.h"
#include "remiss/core/server/grpc_status.h"
#include "remiss/core/telemetry/log.h"

namespace remiss::core {

ServiceHost::Admin::Admin(const std::vector<HostedModule>* modules, ManualClock* manual,
                          const Clock* clock, RestoreGate* restore_gate)
    : modules_(modules), manual_(manual), clock_(clock), restore_gate_(restore_gate) {}

grpc::Status ServiceHost::Admin::RestoreFromKafka(
    grpc::ServerContext*, const remiss::v1::RestoreFromKafkaRequest* request,
    remiss::v1::RestoreReport* response) {
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

grpc::Status ServiceHost::Admin::GetClock(grpc::ServerContext*, const remiss::v1::GetClockRequest*,
                                          remiss::v1::ClockState* response) {
  FillClock(response);
  return grpc::Status::OK;
}

grpc::Status ServiceHost::Admin::SetClock(grpc::ServerContext*,
                                          const remiss::v1::SetClockRequest* request,
                                          remiss::v1::ClockState* response) {
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

grpc::Status ServiceHost::Admin::GetProjectionDigest(
    grpc::ServerContext*, const remiss::v1::GetProjectionDigestRequest* request,
    remiss::v1::ProjectionDigest* response) {
  const HostedModule* m = Find(request->service());
  if (m == nullptr) return NotFound(request->service());
  Fill(m->name, m->store->ProjectionDigest(), response);
  return grpc::Status::OK;
}

grpc::Status ServiceHost::Admin::RebuildProjections(
    grpc::ServerContext*, const remiss::v1::RebuildProjectionsRequest* request,
    remiss::v1::ProjectionDigest* response) {
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

grpc::Status ServiceHost::Admin::RepublishEvents(grpc::ServerContext* ctx,
                                                 const remiss::v1::RepublishEventsRequest* request,
                                                 remiss::v1::Positions* response) {
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

grpc::Status ServiceHost::Admin::GetPositions(grpc::ServerContext*,
                                              const remiss::v1::GetPositionsRequest* request,
                                              remiss::v1::Positions* response) {
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

grpc::Status ServiceHost::Admin::RetryParkedEvent(
    grpc::ServerContext*, const remiss::v1::RetryParkedEventRequest* request,
    remiss::v1::ParkedEventAction* response) {
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

grpc::Status ServiceHost::Admin::SkipParkedEvent(grpc::ServerContext* context,
                                                 const remiss::v1::SkipParkedEventRequest* request,
                                                 remiss::v1::ParkedEventAction* response) {
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

grpc::Status ServiceHost::Admin::Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

void ServiceHost::Admin::FillParked(const ParkedEvent& p, remiss::v1::ParkedEvent* out) {
  out->set_source(p.source);
  out->set_partition(p.partition);
  out->set_position(p.position);
  out->set_offset(p.offset);
  out->set_reason(p.reason);
  out->set_ahead(p.ahead);
}

const HostedModule* ServiceHost::Admin::Find(const std::string& name) const {
  for (const HostedModule& m : *modules_) {
    if (name.empty() || m.name == name) return &m;
  }
  return nullptr;
}

grpc::Status ServiceHost::Admin::NotFound(const std::string& name) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      absl::StrCat("service: no service \"", name, "\" runs here"));
}

void ServiceHost::Admin::Fill(const std::string& name, const Digest& d,
                              remiss::v1::ProjectionDigest* out) {
  out->set_service(name);
  out->set_sha256(d.sha256);
  out->set_entries(d.entries);
  out->set_log_position(d.log_position);
}

void ServiceHost::Admin::FillClock(remiss::v1::ClockState* out) const {
  const absl::Time now = manual_ != nullptr ? manual_->Now() : clock_ != nullptr ? clock_->Now() : absl::Now();
  out->mutable_now()->set_seconds(absl::ToUnixSeconds(now));
  out->mutable_now()->set_nanos(static_cast<int32_t>(
      (now - absl::FromUnixSeconds(absl::ToUnixSeconds(now))) / absl::Nanoseconds(1)));
  out->set_manual(manual_ != nullptr);
}

}  // namespace remiss::core
