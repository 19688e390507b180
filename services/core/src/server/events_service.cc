#include "remiss/core/server/events_service.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "remiss/core/server/caller.h"
#include "remiss/core/server/grpc_status.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/base/timestamps.h"

namespace remiss::core {
namespace {

void RaiseTo(std::atomic<size_t>& max, size_t value) {
  size_t seen = max.load();
  while (value > seen && !max.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

// A subscription's place: counted in the server's and its caller's totals, and watched while
// it writes, for as long as it lives.
class SubscriptionSlot {
 public:
  // Takes a slot for `caller` if there is room (per caller, and the last slots kept for
  // operators); else refusal() says why and nothing is counted.
  SubscriptionSlot(EventsGrpcService* service, const Caller& caller, grpc::ServerContext* context)
      : service_(service), caller_(absl::StrCat(caller.org_id, "/", caller.role)) {
    const EventsGrpcService::Options& o = service_->options_;
    absl::MutexLock lock(&service_->mu_);
    const bool operator_caller = caller.role == kRoleOperator;
    const size_t limit = operator_caller || o.kept_for_operators >= o.max_subscriptions
                             ? o.max_subscriptions
                             : o.max_subscriptions - o.kept_for_operators;
    if (service_->active_.load() >= limit) {
      refusal_ = absl::StrCat("this server serves at most ", limit, " subscriptions at once",
                              operator_caller ? "" : " (the last ones are kept for operators)", "; try again later");
      return;
    }
    if (auto it = service_->per_caller_.find(caller_); it != service_->per_caller_.end() && it->second >= o.max_per_caller) {
      refusal_ = absl::StrCat("one caller (", caller_, ") may hold at most ", o.max_per_caller,
                              " subscriptions at once; end one first");
      return;
    }
    ++service_->per_caller_[caller_];
    ++service_->active_;
    id_ = service_->next_watch_++;
    service_->watches_[id_].context = context;
  }
  const std::string& refusal() const { return refusal_; }
  ~SubscriptionSlot() {
    if (!refusal_.empty()) return;
    absl::MutexLock lock(&service_->mu_);
    if (--service_->per_caller_[caller_] == 0) service_->per_caller_.erase(caller_);
    --service_->active_;
    service_->watches_.erase(id_);
  }
  SubscriptionSlot(const SubscriptionSlot&) = delete;
  SubscriptionSlot& operator=(const SubscriptionSlot&) = delete;
  // Around each write to the reader.
  void Writing(bool writing) {
    absl::MutexLock lock(&service_->mu_);
    service_->watches_[id_].write_started = writing ? absl::Now() : absl::InfinitePast();
  }

 private:
  EventsGrpcService* service_;
  std::string caller_;
  std::string refusal_;
  uint64_t id_ = 0;
};

EventsGrpcService::EventsGrpcService(const std::vector<HostedModule>* modules, Options options)
    : modules_(modules), options_(options) {
  options_.page_events = std::max<size_t>(options_.page_events, 1);
  watchdog_ = std::thread([this] { WatchStalledWrites(); });
}

EventsGrpcService::~EventsGrpcService() {
  {
    absl::MutexLock lock(&mu_);
    ending_ = true;
  }
  watchdog_.join();
}

void EventsGrpcService::WatchStalledWrites() {
  absl::MutexLock lock(&mu_);
  while (!ending_) {
    const absl::Duration limit = options_.stalled_write_limit;
    mu_.AwaitWithTimeout(absl::Condition(&ending_), std::clamp(limit / 4, absl::Milliseconds(50), absl::Seconds(5)));
    const absl::Time now = absl::Now();
    for (auto& [id, watch] : watches_) {
      if (watch.write_started != absl::InfinitePast() && now - watch.write_started > limit) {
        watch.context->TryCancel();  // the blocked Write returns false: the reader went away
        watch.write_started = absl::InfinitePast();
      }
    }
  }
}

EventsGrpcService::Stats EventsGrpcService::stats() const {
  return {.subscriptions = subscriptions_.load(),
          .active = active_.load(),
          .events_written = events_written_.load(),
          .watermarks_written = watermarks_written_.load(),
          .max_held = max_held_.load()};
}

grpc::Status EventsGrpcService::Subscribe(grpc::ServerContext* context,
                                          const remiss::v1::SubscribeRequest* request,
                                          grpc::ServerWriter<remiss::v1::SubscribeResponse>* writer) {
  const HostedModule* module = nullptr;
  for (const HostedModule& m : *modules_) {
    if (request->service().empty() || request->service() == m.name) {
      module = &m;
      break;
    }
  }
  if (module == nullptr || module->store == nullptr) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("service: no service \"", request->service(), "\" here"));
  }
  if (stopping_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down");
  }
  // Room: per caller, and the last slots kept for operators.
  SubscriptionSlot slot(this, CallerOf(*context), context);
  if (!slot.refusal().empty()) return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, slot.refusal());
  ++subscriptions_;
  const EventStore& store = *module->store;
  uint64_t next = std::max<uint64_t>(request->from_position(), 1);
  absl::Time sent_until = absl::InfinitePast();  // the last watermark's instant
  absl::Time last_watermark_at = absl::InfinitePast();
  bool sent_since_watermark = false;

  // Why the stream ends early, if it does: the caller went away or the server is stopping.
  auto interrupted = [&]() -> std::optional<grpc::Status> {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (stopping_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("the server is shutting down; subscribe again from "
                                       "position ", next));
    }
    return std::nullopt;
  };

  for (bool first = true;; first = false) {
    if (auto end = interrupted()) return *end;
    // Everything recorded before mark.until is at or below mark.position: send up to there
    // (in pages, one message at a time), then the watermark.
    const SettledMark mark = store.Settled();
    while (next <= mark.position) {
      auto page = store.ReadLog(next, options_.page_events);
      if (!page.ok()) return ToGrpcStatus(page.status());
      if (page->empty()) break;
      RaiseTo(max_held_, page->size());
      for (remiss::v1::EventEnvelope& event : *page) {
        remiss::v1::SubscribeResponse message;
        message.mutable_event()->Swap(&event);
        const uint64_t position = message.event().position();
        slot.Writing(true);
        const bool written = writer->Write(message);
        slot.Writing(false);
        if (!written) {
          return grpc::Status(grpc::StatusCode::CANCELLED, "the reader went away");
        }
        ++events_written_;
        next = position + 1;
        sent_since_watermark = true;
      }
      if (auto end = interrupted()) return *end;
    }
    const absl::Time now = absl::Now();
    const bool due = first || !request->follow() || sent_since_watermark ||
                     now - last_watermark_at >= options_.heartbeat;
    if (next > mark.position && mark.until > sent_until && mark.until != absl::InfinitePast() &&
        due) {
      remiss::v1::SubscribeResponse message;
      auto* w = message.mutable_watermark();
      *w->mutable_settled_until() = ToTimestamp(mark.until);
      w->set_position(mark.position);
      w->set_head_position(std::max(store.LastPosition(), mark.position));
      slot.Writing(true);
      const bool written = writer->Write(message);
      slot.Writing(false);
      if (!written) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "the reader went away");
      }
      ++watermarks_written_;
      sent_until = mark.until;
      last_watermark_at = now;
      sent_since_watermark = false;
    }
    if (!request->follow()) return grpc::Status::OK;
    // Live: wait for the next event (or a while, to look at the caller, the server and the
    // watermark again).
    (void)store.WaitForPosition(next - 1, options_.poll);
  }
}

}  // namespace remiss::core
