// The outbox: a thread that sends what the outbox/ projection holds when its next try is
// due (the store's clock), one message at a time over the Transport, and records each
// server reply as an event in its own transaction right after it: 250 -> NoticeDelivered
// (the notice leaves the outbox: never sent again once that is recorded), 4xx or no answer
// -> NoticeDeferred with the next try (backoff), 5xx or a template that does not fill ->
// NoticeRejected (parked for an operator). A crash between a 250 and its record sends the
// message again on restart, with the same Message-ID (RFC 1047). Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "remiss/core/base/stop_flag.h"
#include "remiss/core/store/event_store.h"
#include "remiss/notices/smtp.h"

namespace remiss::notices {

struct OutboxSettings {
  std::string from_address = "remiss@localhost";  // envelope sender and From
  std::string from_name = "Remisstjänsten";
  std::string domain = "remiss.local";            // Message-ID's right-hand side
  std::string templates_dir;                      // read before every batch
  absl::Duration backoff = absl::Minutes(1);      // after the first 4xx; doubles
  absl::Duration max_backoff = absl::Hours(1);
  size_t batch = 100;                             // messages per pass at most
};

class Outbox {
 public:
  // Neither is owned... the store must outlive the outbox; the transport is its own.
  Outbox(core::EventStore* store, std::unique_ptr<Transport> transport, OutboxSettings settings)
      : store_(store), transport_(std::move(transport)), settings_(std::move(settings)) {}
  ~Outbox() { Stop(); }

  void Start();
  void Stop();
  // Sends what is due now, at most settings.batch; returns how many it tried. Stop() ends a
  // pass after the message under way (each waits at most the transport's timeout).
  [[nodiscard]] absl::StatusOr<size_t> SendDue();

 private:
  core::EventStore* store_;
  std::unique_ptr<Transport> transport_;
  OutboxSettings settings_;
  core::StopFlag stop_;
  std::thread thread_;
};

}  // namespace remiss::notices
