#include "remiss/core/telemetry/tracing.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/feeds/feed.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

// Each test starts the process's exporter and shuts it down.
namespace remiss::core::tracing {
namespace {

namespace otlp = opentelemetry::proto;
constexpr char kParent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

// An OTLP/gRPC receiver that keeps what it is sent.
class Receiver final : public otlp::collector::trace::v1::TraceService::Service {
 public:
  Receiver() {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(this);
    server_ = b.BuildAndStart();
  }
  ~Receiver() override { server_->Shutdown(); }
  std::string endpoint() const { return absl::StrCat("127.0.0.1:", port_); }

  grpc::Status Export(grpc::ServerContext*, const otlp::collector::trace::v1::ExportTraceServiceRequest* request,
                      otlp::collector::trace::v1::ExportTraceServiceResponse*) override {
    absl::MutexLock lock(&mu_);
    for (const auto& rs : request->resource_spans()) {
      std::string service;
      for (const auto& a : rs.resource().attributes()) {
        if (a.key() == "service.name") service = a.value().string_value();
      }
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) spans_.push_back({service, s});
      }
    }
    return grpc::Status::OK;
  }
  std::vector<std::pair<std::string, otlp::trace::v1::Span>> spans() {
    absl::MutexLock lock(&mu_);
    return spans_;
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, otlp::trace::v1::Span>> spans_;
};

std::string Attr(const otlp::trace::v1::Span& s, const std::string& key) {
  for (const auto& a : s.attributes()) {
    if (a.key() != key) continue;
    if (a.value().has_int_value()) return absl::StrCat(a.value().int_value());
    return a.value().string_value();
  }
  return "<none>";
}

TEST(TraceparentTest, ParsesAndFormatsW3CTraceContext) {
  std::optional<SpanContext> c = ParseTraceparent(kParent);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c->SpanIdHex(), "00f067aa0ba902b7");
  EXPECT_EQ(c->flags, 1);
  EXPECT_EQ(FormatTraceparent(*c), kParent);
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                          "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736x00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01"}) {
    EXPECT_FALSE(ParseTraceparent(bad).has_value()) << bad;
  }
}

TEST(TracingTest, SpansAreInertWithoutAnExporter) {
  EXPECT_FALSE(Enabled());
  Span s("referrals", "x", Kind::kServer, kParent);
  EXPECT_FALSE(s.recording());
  EXPECT_EQ(s.traceparent(), "");
  s.SetAttribute("k", "v");
  s.SetError("no");
  s.End();
}

TEST(TracingTest, RefusesAnEndpointThatIsNotHostPort) {
  absl::Status s = Start({.endpoint = "localhost"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--otlp-endpoint"), std::string::npos) << s;
}

TEST(TracingTest, ExportsSpansWithTheirContextLinksAndStatus) {
  Receiver receiver;
  ASSERT_TRUE(Start({.endpoint = receiver.endpoint(), .interval = absl::Milliseconds(50)}).ok());
  std::string child_tp;
  {
    Span s("deadlines", "deadline.breached", Kind::kInternal, kParent);
    ASSERT_TRUE(s.recording());
    child_tp = s.traceparent();
    s.SetAttribute("remiss.org_id", "bromma-sdn");
    s.SetAttribute("remiss.days_late", int64_t{3});
    s.AddLink("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "issued_round");
    s.AddLink("not a traceparent");
    s.SetError("breached");
  }
  { Span root("referrals", "root", Kind::kServer); }
  Shutdown();  // exports what is queued
  EXPECT_FALSE(Enabled());

  auto spans = receiver.spans();
  ASSERT_EQ(spans.size(), 2u);
  const auto& [service, s] = spans[0];
  EXPECT_EQ(service, "deadlines");
  EXPECT_EQ(s.name(), "deadline.breached");
  EXPECT_EQ(absl::BytesToHexString(s.trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(absl::BytesToHexString(s.parent_span_id()), "00f067aa0ba902b7");
  EXPECT_EQ(absl::StrCat("00-", absl::BytesToHexString(s.trace_id()), "-",
                         absl::BytesToHexString(s.span_id()), "-01"),
            child_tp);
  EXPECT_EQ(s.kind(), otlp::trace::v1::Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(Attr(s, "remiss.org_id"), "bromma-sdn");
  EXPECT_EQ(Attr(s, "remiss.days_late"), "3");
  ASSERT_EQ(s.links_size(), 1);
  EXPECT_EQ(absl::BytesToHexString(s.links(0).trace_id()), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(absl::BytesToHexString(s.links(0).span_id()), "b7ad6b7169203331");
  EXPECT_EQ(s.status().code(), otlp::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_LE(s.start_time_unix_nano(), s.end_time_unix_nano());
  // A span without a parent starts a trace of its own.
  EXPECT_EQ(spans[1].first, "referrals");
  EXPECT_TRUE(spans[1].second.parent_span_id().empty());
  EXPECT_NE(spans[1].second.trace_id(), s.trace_id());
}

TEST(TracingTest, AFullQueueDropsSpansAndCountsThemInsteadOfBlocking) {
  Receiver receiver;
  // Nothing goes before shutdown: a batch is 1000 spans, the interval an hour.
  ASSERT_TRUE(Start({.endpoint = receiver.endpoint(), .max_queue = 2, .max_batch = 1000,
                     .interval = absl::Hours(1)})
                  .ok());
  const uint64_t before = DroppedSpans();
  for (int i = 0; i < 5; ++i) Span("referrals", absl::StrCat("s", i), Kind::kInternal).End();
  EXPECT_EQ(DroppedSpans() - before, 3u);
  Shutdown();
  EXPECT_EQ(receiver.spans().size(), 2u);
}

TEST(TracingTest, AnUnreachableEndpointDropsItsBatches) {
  ASSERT_TRUE(Start({.endpoint = "127.0.0.1:1", .interval = absl::Milliseconds(10),
                     .timeout = absl::Milliseconds(200)})
                  .ok());
  const uint64_t dropped = DroppedSpans(), exported = ExportedSpans();
  Span("referrals", "lost", Kind::kInternal).End();
  for (int i = 0; i < 500 && DroppedSpans() == dropped; ++i) absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(DroppedSpans() - dropped, 1u);
  EXPECT_EQ(ExportedSpans(), exported);
  Shutdown();
}

// A consumer's span is the child of the event's context, and what the consumer records in
// reaction carries the consumer span's context: the trace goes on through the reaction.
TEST(TracingTest, ReactionsCarryTheConsumerSpansContext) {
  Receiver receiver;
  ASSERT_TRUE(Start({.endpoint = receiver.endpoint(), .interval = absl::Milliseconds(50)}).ok());
  remiss::testing::TempDir dir;
  ManualClock clock(absl::UnixEpoch() + absl::Hours(24 * 365 * 51));
  auto store = EventStore::Open({.path = dir.Sub("consumer"), .source = "consumer", .clock = &clock});
  ASSERT_TRUE(store.ok()) << store.status();
  FeedConsumer consumer(store->get(), [](const FeedEvent& e, Tx& tx) {
    remiss::v1::EventEnvelope reaction = remiss::testing::Registered("reacted");
    reaction.set_traceparent(e.envelope.traceparent());  // as a follower copies it; overridden
    return tx.Append("organization/reacted", std::nullopt, {std::move(reaction)});
  });
  FeedEvent fed;
  fed.source = "source";
  fed.offset = 1;
  fed.envelope = remiss::testing::Registered("org-1");
  fed.envelope.set_source("source");
  fed.envelope.set_position(1);
  fed.envelope.set_event_id("source-1");
  fed.envelope.set_traceparent(kParent);
  ASSERT_TRUE(consumer.Consume({fed}).ok());
  auto log = (*store)->ReadLog(1, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  std::optional<SpanContext> reacted = ParseTraceparent(log->front().traceparent());
  ASSERT_TRUE(reacted.has_value()) << log->front().traceparent();
  EXPECT_EQ(reacted->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(reacted->SpanIdHex(), "00f067aa0ba902b7");
  Shutdown();
  bool consumer_span = false;
  for (const auto& [service, s] : receiver.spans()) {
    if (s.kind() != otlp::trace::v1::Span::SPAN_KIND_CONSUMER) continue;
    consumer_span = true;
    EXPECT_EQ(service, "consumer");
    EXPECT_EQ(absl::BytesToHexString(s.span_id()), reacted->SpanIdHex());
    EXPECT_EQ(absl::BytesToHexString(s.parent_span_id()), "00f067aa0ba902b7");
  }
  EXPECT_TRUE(consumer_span);
}

}  // namespace
}  // namespace remiss::core::tracing
