#include "remiss/core/server/events_service.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "remiss/core/server/grpc_status.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/base/timestamps.h"

namespace remiss::core {
namespace {

// Counts a running subscription for as long as it lives.
class Active {
 public:
  explicit Active(std::atomic<uint64_t>* n) : n_(n) { ++*n_; }
  ~Active() { --*n_; }
  Active(const Active&) = delete;
  Active& operator=(const Active&) = delete;

 private:
  std::atomic<uint64_t>* n_;
};

void RaiseTo(std::atomic<size_t>& max, size_t value) {
  size_t seen = max.load();
  while (value > seen && !max.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

EventsGrpcService::EventsGrpcService(const std::vector<HostedModule>* modules, Options options)
    : modules_(modules), options_(options) {
  options_.page_events = std::max<size_t>(options_.page_events, 1);
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
  Active active(&active_);
  if (active_.load() > options_.max_subscriptions) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("this server serves at most ", options_.max_subscriptions,
                                     " subscriptions at once; try again later"));
  }
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
        if (!writer->Write(message)) {
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
      if (!writer->Write(message)) {
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
