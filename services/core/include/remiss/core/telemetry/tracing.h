// Traces: OpenTelemetry spans exported over OTLP/gRPC (TraceService/Export) to
// --otlp-endpoint, with W3C trace context (traceparent) carried call -> envelope -> Kafka
// header -> consumer span -> reaction events.
//
// A small exporter of our own (no opentelemetry-cpp exists in any reachable registry): ended
// spans go into a bounded queue that a background thread exports in batches. A full queue
// DROPS the span (remiss_trace_spans_dropped_total) rather than block the caller; an export
// that fails drops its batch (remiss_trace_export_failures_total). Without Start() every Span
// is inert: starting one costs a branch.
//
// Spans carry their own service (OTLP resource service.name): remissd hosts four services in
// one process, and a trace should say which of them did what.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace opentelemetry::proto::trace::v1 {
class Span;
}

namespace remiss::core::tracing {

// W3C trace context (https://www.w3.org/TR/trace-context/): version 00.
struct SpanContext {
  std::array<uint8_t, 16> trace_id{};
  std::array<uint8_t, 8> span_id{};
  uint8_t flags = 1;  // sampled
  [[nodiscard]] bool valid() const;
  [[nodiscard]] std::string TraceIdHex() const;
  [[nodiscard]] std::string SpanIdHex() const;
};
// "00-<32 hex>-<16 hex>-<2 hex>", lower case; nullopt for anything else, and for all-zero ids.
[[nodiscard]] std::optional<SpanContext> ParseTraceparent(absl::string_view traceparent);
[[nodiscard]] std::string FormatTraceparent(const SpanContext& context);

// OTLP Span.SpanKind.
enum class Kind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };

struct ExporterOptions {
  std::string endpoint;             // host:port of an OTLP/gRPC receiver (plaintext)
  size_t max_queue = 4096;          // ended spans waiting for export, at most; more are dropped
  size_t max_batch = 512;           // spans per Export call, at most
  absl::Duration interval = absl::Seconds(1);  // how often a partial batch goes
  absl::Duration timeout = absl::Seconds(5);   // per Export call
};

// Starts the process's exporter (one at a time: a second call before Shutdown() is
// FAILED_PRECONDITION). INVALID_ARGUMENT naming --otlp-endpoint when it is not host:port.
[[nodiscard]] absl::Status Start(ExporterOptions options);
// Exports what is queued (bounded by the timeout) and stops the exporter; spans started
// afterwards are inert. Idempotent. Call it once no other thread can end a span (servers:
// after their modules closed).
void Shutdown();
// Whether spans are recorded at all (an exporter runs).
[[nodiscard]] bool Enabled();
// Spans dropped so far because the queue was full or an export failed; spans exported.
[[nodiscard]] uint64_t DroppedSpans();
[[nodiscard]] uint64_t ExportedSpans();

// One span. Inert (records nothing, traceparent() empty) when tracing is off. Ends (and is
// queued for export) on End() or destruction. Movable, not copyable; not thread-safe.
class Span {
 public:
  Span();
  // A span of `service` named `name`; its parent is `parent` when that is a valid traceparent,
  // else it starts a new trace.
  Span(absl::string_view service, absl::string_view name, Kind kind,
       absl::string_view parent = "");
  Span(Span&&) noexcept;
  Span& operator=(Span&&) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span();

  [[nodiscard]] bool recording() const { return span_ != nullptr; }
  // This span's own context as a traceparent ("" when inert): what its children name as parent.
  [[nodiscard]] std::string traceparent() const;
  [[nodiscard]] std::string trace_id() const;  // hex; "" when inert
  [[nodiscard]] std::string span_id() const;

  void SetAttribute(absl::string_view key, absl::string_view value);
  void SetAttribute(absl::string_view key, const char* value) { SetAttribute(key, absl::string_view(value)); }
  void SetAttribute(absl::string_view key, int64_t value);
  void SetAttribute(absl::string_view key, bool value);
  // A link to another span (another trace, typically), when `traceparent` is valid.
  void AddLink(absl::string_view traceparent, absl::string_view relation = "");
  // Status ERROR with a message; Ok() marks it OK explicitly.
  void SetError(absl::string_view message);
  void SetOk();
  void End();

 private:
  std::string service_;
  std::unique_ptr<opentelemetry::proto::trace::v1::Span> span_;
};

}  // namespace remiss::core::tracing
