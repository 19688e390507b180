// remiss.v1.EventsService: a hosted service's event log as a gRPC server stream, for systems
// without Kafka. A subscription reads the log in small pages (EventStore::ReadLog) and writes
// one message at a time, waiting for each write (gRPC's synchronous Write blocks on HTTP/2
// flow control), so a reader that does not read holds its subscription where it is and the
// server keeps at most one page of events for it. Watermarks (EventStore::Settled) are sent
// once every event up to their position has been sent. The ServiceHost owns one and serves
// it for every module it hosts. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "remiss/v1/events.grpc.pb.h"

namespace remiss::core {

struct HostedModule;

class EventsGrpcService final : public remiss::v1::EventsService::Service {
 public:
  struct Options {
    size_t page_events = 16;  // events read from the log at a time: what one reader holds
    // How often a waiting subscription looks at its caller, the server and the watermark.
    absl::Duration poll = absl::Milliseconds(200);
    // A following subscription that sent nothing sends a new watermark at most this often.
    absl::Duration heartbeat = absl::Seconds(1);
    size_t max_subscriptions = 64;  // more at once: RESOURCE_EXHAUSTED
    // One caller (organization and role) at once, at most: a runaway client cannot take the
    // server's subscriptions from the others.
    size_t max_per_caller = 8;
    // The last ones of max_subscriptions are kept for operators (role operator), so that an
    // operator can always look at a log.
    size_t kept_for_operators = 8;
    // A subscription whose write to its reader has waited this long (the reader reads
    // nothing) is ended (CANCELLED), and its slot freed.
    absl::Duration stalled_write_limit = absl::Minutes(2);
  };

  // What subscriptions did since the service was made (for tests and operators).
  struct Stats {
    uint64_t subscriptions = 0;    // started
    uint64_t active = 0;           // running now
    uint64_t events_written = 0;   // event messages whose Write completed
    uint64_t watermarks_written = 0;
    size_t max_held = 0;           // the most events one subscription held in memory at once
  };

  // `modules` (the host's) must outlive the service and not change once calls arrive.
  explicit EventsGrpcService(const std::vector<HostedModule>* modules, Options options);
  explicit EventsGrpcService(const std::vector<HostedModule>* modules)
      : EventsGrpcService(modules, Options()) {}
  ~EventsGrpcService() override;

  grpc::Status Subscribe(grpc::ServerContext* context, const remiss::v1::SubscribeRequest* request,
                         grpc::ServerWriter<remiss::v1::SubscribeResponse>* writer) override;

  // The server is shutting down: every subscription ends (UNAVAILABLE) at its next look,
  // and new ones are refused. A subscription blocked in a Write to a reader that does not
  // read ends when the server's shutdown grace cancels its call.
  void Stop() { stopping_ = true; }
  // Replaces the options; before the first call only (tests: small limits).
  void SetOptions(Options options) {
    absl::MutexLock lock(&mu_);
    options_ = options;
  }

  Stats stats() const;

 private:
  const std::vector<HostedModule>* modules_;
  Options options_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> subscriptions_{0};
  std::atomic<uint64_t> active_{0};
  std::atomic<uint64_t> events_written_{0};
  std::atomic<uint64_t> watermarks_written_{0};
  std::atomic<size_t> max_held_{0};

  // Who holds the slots, and the writes that wait (for the watchdog).
  struct Watch {
    grpc::ServerContext* context = nullptr;
    absl::Time write_started = absl::InfinitePast();  // InfinitePast: not writing
  };
  friend class SubscriptionSlot;
  absl::Mutex mu_;
  std::map<std::string, size_t> per_caller_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Watch> watches_ ABSL_GUARDED_BY(mu_);
  uint64_t next_watch_ ABSL_GUARDED_BY(mu_) = 0;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watchdog_;  // ends writes that waited past stalled_write_limit
  void WatchStalledWrites();
};

}  // namespace remiss::core
