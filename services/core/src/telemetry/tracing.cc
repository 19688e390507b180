#include "remiss/core/telemetry/tracing.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "remiss/core/telemetry/log.h"
#include "remiss/core/telemetry/metrics.h"

namespace remiss::core::tracing {
namespace {

namespace otlp = opentelemetry::proto;
using otlp::trace::v1::Span_SpanKind;

bool HexByte(char hi, char lo, uint8_t* out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int h = nibble(hi), l = nibble(lo);
  if (h < 0 || l < 0) return false;
  *out = static_cast<uint8_t>(h * 16 + l);
  return true;
}

template <size_t N>
bool ParseHex(absl::string_view s, std::array<uint8_t, N>* out) {
  if (s.size() != 2 * N) return false;
  for (size_t i = 0; i < N; ++i) {
    if (!HexByte(s[2 * i], s[2 * i + 1], &(*out)[i])) return false;
  }
  return true;
}

template <size_t N>
std::string Hex(const std::array<uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& bytes) {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

template <size_t N>
void RandomId(std::array<uint8_t, N>* out) {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  do {
    for (size_t i = 0; i < N; i += 8) {
      uint64_t r = rng();
      for (size_t j = 0; j < 8 && i + j < N; ++j) (*out)[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  } while (AllZero(*out));
}

uint64_t UnixNanos(absl::Time t) { return static_cast<uint64_t>(absl::ToUnixNanos(t)); }

template <size_t N>
std::string Bytes(const std::array<uint8_t, N>& id) {
  return std::string(reinterpret_cast<const char*>(id.data()), N);
}

// Counts over the process's life (they outlive an exporter, for a last report).
std::atomic<uint64_t> dropped_{0}, exported_{0}, failures_{0};

struct QueuedSpan {
  std::string service;
  otlp::trace::v1::Span span;
};

class Exporter {
 public:
  explicit Exporter(ExporterOptions options) : options_(std::move(options)) {
    channel_ = grpc::CreateChannel(options_.endpoint, grpc::InsecureChannelCredentials());
    stub_ = otlp::collector::trace::v1::TraceService::NewStub(channel_);
    thread_ = std::thread([this] { Run(); });
  }
  ~Exporter() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
  }

  void Enqueue(std::string service, otlp::trace::v1::Span span) {
    absl::MutexLock lock(&mu_);
    if (queue_.size() >= options_.max_queue || stopping_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back({std::move(service), std::move(span)});
  }

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t exported() const { return exported_.load(std::memory_order_relaxed); }

 private:
  void Run() {
    while (true) {
      std::vector<QueuedSpan> batch;
      bool stopping;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || queue_.size() >= options_.max_batch;
        };
        mu_.AwaitWithTimeout(absl::Condition(&ready), options_.interval);
        stopping = stopping_;
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (!batch.empty()) Export(batch);
      PublishCounts();
      if (stopping) {
        absl::MutexLock lock(&mu_);
        if (queue_.empty()) return;
      }
    }
  }

  void Export(std::vector<QueuedSpan>& batch) {
    otlp::collector::trace::v1::ExportTraceServiceRequest request;
    std::map<std::string, otlp::trace::v1::ScopeSpans*> by_service;
    for (QueuedSpan& q : batch) {
      auto& scope = by_service[q.service];
      if (scope == nullptr) {
        auto* rs = request.add_resource_spans();
        auto* attr = rs->mutable_resource()->add_attributes();
        attr->set_key("service.name");
        attr->mutable_value()->set_string_value(q.service);
        auto* ns = rs->mutable_resource()->add_attributes();
        ns->set_key("service.namespace");
        ns->mutable_value()->set_string_value("remiss");
        scope = rs->add_scope_spans();
        scope->mutable_scope()->set_name("remiss");
      }
      *scope->add_spans() = std::move(q.span);
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
    otlp::collector::trace::v1::ExportTraceServiceResponse response;
    grpc::Status s = stub_->Export(&context, request, &response);
    if (!s.ok()) {
      dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      failures_.fetch_add(1, std::memory_order_relaxed);
      if (!warned_) {
        warned_ = true;
        LogJson("tracing", "trace_export_failed",
                {{"endpoint", options_.endpoint},
                 {"code", absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code()))},
                 {"message", s.error_message()}});
      }
      return;
    }
    warned_ = false;
    const uint64_t rejected =
        response.has_partial_success() ? static_cast<uint64_t>(response.partial_success().rejected_spans()) : 0;
    dropped_.fetch_add(rejected, std::memory_order_relaxed);
    exported_.fetch_add(batch.size() - std::min<uint64_t>(rejected, batch.size()), std::memory_order_relaxed);
  }

  void PublishCounts() {
    metrics::RaiseCounterTo("remiss_trace_spans_dropped_total",
                            "Spans dropped: the export queue was full, or their export failed", {},
                            static_cast<double>(dropped()));
    metrics::RaiseCounterTo("remiss_trace_spans_exported_total", "Spans exported over OTLP", {},
                            static_cast<double>(exported()));
    metrics::RaiseCounterTo("remiss_trace_export_failures_total", "OTLP Export calls that failed", {},
                            static_cast<double>(failures_.load(std::memory_order_relaxed)));
  }

  const ExporterOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<otlp::collector::trace::v1::TraceService::Stub> stub_;
  absl::Mutex mu_;
  std::deque<QueuedSpan> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool warned_ = false;  // exporter thread only
  std::thread thread_;
};

std::atomic<Exporter*> exporter{nullptr};
absl::Mutex lifecycle_mu;
bool started ABSL_GUARDED_BY(lifecycle_mu) = false;

}  // namespace

bool SpanContext::valid() const { return !AllZero(trace_id) && !AllZero(span_id); }
std::string SpanContext::TraceIdHex() const { return Hex(trace_id); }
std::string SpanContext::SpanIdHex() const { return Hex(span_id); }

std::optional<SpanContext> ParseTraceparent(absl::string_view tp) {
  // version(2) - trace id(32) - span id(16) - flags(2)
  if (tp.size() != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  if (tp.substr(0, 2) != "00") return std::nullopt;
  SpanContext c;
  std::array<uint8_t, 1> flags{};
  if (!ParseHex(tp.substr(3, 32), &c.trace_id) || !ParseHex(tp.substr(36, 16), &c.span_id) ||
      !ParseHex(tp.substr(53, 2), &flags)) {
    return std::nullopt;
  }
  c.flags = flags[0];
  if (!c.valid()) return std::nullopt;
  return c;
}

std::string FormatTraceparent(const SpanContext& c) {
  std::array<uint8_t, 1> flags{c.flags};
  return absl::StrCat("00-", Hex(c.trace_id), "-", Hex(c.span_id), "-", Hex(flags));
}

absl::Status Start(ExporterOptions options) {
  const size_t colon = options.endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == options.endpoint.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--otlp-endpoint: must be HOST:PORT of an OTLP/gRPC receiver, not \"",
                     options.endpoint, "\""));
  }
  absl::MutexLock lock(&lifecycle_mu);
  if (started) return absl::FailedPreconditionError("tracing: already started");
  started = true;
  exporter.store(new Exporter(std::move(options)));
  return absl::OkStatus();
}

void Shutdown() {
  absl::MutexLock lock(&lifecycle_mu);
  Exporter* e = exporter.exchange(nullptr);
  delete e;
  started = false;  // exports what is queued, each call bounded by its timeout
}

bool Enabled() { return exporter.load(std::memory_order_relaxed) != nullptr; }

uint64_t DroppedSpans() { return dropped_.load(); }
uint64_t ExportedSpans() { return exported_.load(); }

Span::Span(absl::string_view service, absl::string_view name, Kind kind, absl::string_view parent) {
  if (!Enabled()) return;
  service_ = std::string(service);
  span_ = std::make_unique<otlp::trace::v1::Span>();
  SpanContext self;
  if (std::optional<SpanContext> p = ParseTraceparent(parent)) {
    self.trace_id = p->trace_id;
    self.flags = p->flags;
    span_->set_parent_span_id(Bytes(p->span_id));
  } else {
    RandomId(&self.trace_id);
  }
  RandomId(&self.span_id);
  span_->set_trace_id(Bytes(self.trace_id));
  span_->set_span_id(Bytes(self.span_id));
  span_->set_flags(self.flags);
  span_->set_name(std::string(name));
  span_->set_kind(static_cast<Span_SpanKind>(kind));
  span_->set_start_time_unix_nano(UnixNanos(absl::Now()));
}

Span::Span() = default;
Span::Span(Span&&) noexcept = default;
Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    End();
    service_ = std::move(other.service_);
    span_ = std::move(other.span_);
  }
  return *this;
}
Span::~Span() { End(); }

std::string Span::trace_id() const {
  return span_ == nullptr ? std::string() : absl::BytesToHexString(span_->trace_id());
}
std::string Span::span_id() const {
  return span_ == nullptr ? std::string() : absl::BytesToHexString(span_->span_id());
}
std::string Span::traceparent() const {
  if (span_ == nullptr) return std::string();
  return absl::StrCat("00-", trace_id(), "-", span_id(), "-",
                      span_->flags() & 1 ? "01" : "00");
}

void Span::SetAttribute(absl::string_view key, absl::string_view value) {
  if (span_ == nullptr) return;
  auto* a = span_->add_attributes();
  a->set_key(std::string(key));
  a->mutable_value()->set_string_value(std::string(value));
}
void Span::SetAttribute(absl::string_view key, int64_t value) {
  if (span_ == nullptr) return;
  auto* a = span_->add_attributes();
  a->set_key(std::string(key));
  a->mutable_value()->set_int_value(value);
}
void Span::SetAttribute(absl::string_view key, bool value) {
  if (span_ == nullptr) return;
  auto* a = span_->add_attributes();
  a->set_key(std::string(key));
  a->mutable_value()->set_bool_value(value);
}

void Span::AddLink(absl::string_view traceparent, absl::string_view relation) {
  if (span_ == nullptr) return;
  std::optional<SpanContext> c = ParseTraceparent(traceparent);
  if (!c) return;
  auto* link = span_->add_links();
  link->set_trace_id(Bytes(c->trace_id));
  link->set_span_id(Bytes(c->span_id));
  link->set_flags(c->flags);
  if (!relation.empty()) {
    auto* a = link->add_attributes();
    a->set_key("remiss.link");
    a->mutable_value()->set_string_value(std::string(relation));
  }
}

void Span::SetError(absl::string_view message) {
  if (span_ == nullptr) return;
  span_->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_ERROR);
  span_->mutable_status()->set_message(std::string(message));
}
void Span::SetOk() {
  if (span_ == nullptr) return;
  span_->mutable_status()->set_code(otlp::trace::v1::Status::STATUS_CODE_OK);
}

void Span::End() {
  if (span_ == nullptr) return;
  span_->set_end_time_unix_nano(UnixNanos(absl::Now()));
  Exporter* e = exporter.load(std::memory_order_acquire);
  if (e != nullptr) e->Enqueue(std::move(service_), std::move(*span_));
  span_.reset();
}

}  // namespace remiss::core::tracing
