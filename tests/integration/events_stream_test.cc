// remiss.v1.EventsService through real gRPC: a ServiceHost on a loopback port serving one
// store's log (events appended straight to the store), read by a real client. Catch-up from
// the beginning and from a position, live events after it, watermarks (never ahead of what
// was sent), a reader that does not read (the server holds one page and its writes wait:
// asserted on the mechanism's counters, not on timing), client cancel and server shutdown
// ending the stream, and, under mutual TLS, only integrators and operators let in.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/store/event_store.h"
#include "remiss/core/server/service_host.h"
#include "remiss/core/base/timestamps.h"
#include "remiss/v1/events.grpc.pb.h"
#include "tests/support/referrals_events.h"
#include "tests/support/temp_dir.h"

namespace remiss {
namespace {

using remiss::testing::Registered;
using remiss::v1::EventsService;
using remiss::v1::SubscribeRequest;
using remiss::v1::SubscribeResponse;

constexpr absl::Duration kWaitLimit = absl::Seconds(60);

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits (bounded) for `done`; whether it came.
template <typename Fn>
bool Eventually(Fn done) {
  for (absl::Time until = absl::Now() + kWaitLimit; absl::Now() < until;) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

class EventsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = core::EventStore::Open(
        {.path = dir_.Sub("referrals"), .source = "referrals", .clock = &clock_, .sync = false});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    if (host_) host_->Shutdown(absl::Seconds(2));
  }

  void StartHost(core::TlsSettings tls = {}) {
    host_ = std::make_unique<core::ServiceHost>("127.0.0.1:0", 4 << 20, &clock_);
    host_->UseTls(std::move(tls));
    host_->AddModule({.name = "referrals", .grpc_service = "remiss.v1.ReferralService",
                      .store = store_.get()});
    absl::Status s = host_->Start();
    ASSERT_TRUE(s.ok()) << s;
  }

  // Appends `n` organizations, `size` bytes of name each, in transactions of up to 100.
  void Append(int n, size_t size = 16) {
    for (int done = 0; done < n;) {
      const int batch = std::min(100, n - done);
      auto r = store_->Execute({}, [&](core::Tx& tx) {
        std::vector<remiss::v1::EventEnvelope> events;
        for (int i = 0; i < batch; ++i) {
          const std::string org = absl::StrCat("org-", done + i);
          events.push_back(Registered(org, std::string(size, 'n')));
        }
        return tx.Append("organizations", std::nullopt, std::move(events));
      });
      ASSERT_TRUE(r.ok()) << r.status();
      done += batch;
    }
  }

  // A plaintext client; `small_window`: no BDP probing, so that HTTP/2 keeps its 64 KiB window.
  std::unique_ptr<EventsService::Stub> Client(bool small_window = false) {
    grpc::ChannelArguments args;
    if (small_window) args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    return EventsService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", host_->port()), grpc::InsecureChannelCredentials(), args));
  }

  static std::unique_ptr<grpc::ClientContext> Context(bool deadline = true) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (deadline) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ctx->AddMetadata("x-remiss-org", "diariet");
    ctx->AddMetadata("x-remiss-role", "integrator");
    return ctx;
  }

  static SubscribeRequest Request(uint64_t from, bool follow) {
    SubscribeRequest r;
    r.set_service("referrals");
    r.set_from_position(from);
    r.set_follow(follow);
    return r;
  }

  remiss::testing::TempDir dir_;
  core::ManualClock clock_{absl::FromCivil(absl::CivilSecond(2021, 2, 1, 9, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<core::EventStore> store_;
  std::unique_ptr<core::ServiceHost> host_;
};

TEST_F(EventsStreamTest, CatchesUpFromTheBeginningOrAPositionThenEndsWithAWatermark) {
  Append(250);
  StartHost();
  for (uint64_t from : {0u, 1u, 101u, 250u, 251u}) {
    SCOPED_TRACE(absl::StrCat("from ", from));
    auto ctx = Context();
    auto reader = Client()->Subscribe(ctx.get(), Request(from, false));
    SubscribeResponse m;
    uint64_t expected = std::max<uint64_t>(from, 1);
    int watermarks = 0;
    while (reader->Read(&m)) {
      if (m.has_event()) {
        EXPECT_EQ(watermarks, 0) << "an event after the closing watermark";
        EXPECT_EQ(m.event().position(), expected);
        EXPECT_EQ(m.event().source(), "referrals");
        EXPECT_EQ(m.event().type(), "OrganizationRegistered");
        ++expected;
      } else {
        ++watermarks;
        EXPECT_EQ(m.watermark().position(), 250u);
        EXPECT_EQ(m.watermark().head_position(), 250u);
        // The store's settled instant: the clock's, or just past its last commit's.
        EXPECT_GE(core::FromTimestamp(m.watermark().settled_until()), clock_.Now());
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(expected, 251u) << "not every event up to the head was sent";
    EXPECT_EQ(watermarks, 1);
  }
}

TEST_F(EventsStreamTest, FollowsLiveAfterCatchingUpWithWatermarksNeverAheadOfTheEvents) {
  Append(40);
  StartHost();
  auto ctx = Context(/*deadline=*/false);
  auto reader = Client()->Subscribe(ctx.get(), Request(0, true));
  SubscribeResponse m;
  uint64_t last = 0;
  absl::Time until = absl::InfinitePast();
  // Reads until a watermark covers `position` and the clock's instant, checking every
  // message on the way.
  auto read_until_covered = [&](uint64_t position) {
    while (reader->Read(&m)) {
      if (m.has_event()) {
        EXPECT_EQ(m.event().position(), last + 1) << "a gap or a repeat";
        last = m.event().position();
        continue;
      }
      const absl::Time t = core::FromTimestamp(m.watermark().settled_until());
      EXPECT_LE(m.watermark().position(), last) << "a watermark ahead of the events sent";
      EXPECT_GT(t, until) << "watermarks only move forward";
      until = t;
      if (m.watermark().position() >= position && until >= clock_.Now()) return true;
    }
    return false;
  };
  ASSERT_TRUE(read_until_covered(40));
  EXPECT_EQ(last, 40u);

  // Live: new events, and the clock moving on, reach the subscriber.
  clock_.Advance(absl::Minutes(5));
  Append(30);
  ASSERT_TRUE(read_until_covered(70));
  EXPECT_EQ(last, 70u);
  // Idle: a later clock alone brings a later watermark (at the same position).
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(read_until_covered(70));
  EXPECT_EQ(last, 70u);

  // The client cancels: the stream ends and the server lets the subscription go.
  ctx->TryCancel();
  while (reader->Read(&m)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return host_->events_service()->stats().active == 0; }));
  EXPECT_EQ(host_->events_service()->stats().subscriptions, 1u);
}

// The mechanism of flow control: a reader that reads nothing holds its subscription after
// what HTTP/2's window (64 KiB here) and the socket take; the server then keeps at most one
// page of the log (16 events) in memory and has written only a small part of a 32 MB log.
// Once the reader reads, everything arrives, in order, and the server ends the stream.
TEST_F(EventsStreamTest, AReaderThatDoesNotReadHoldsTheServerAtOnePage) {
  constexpr int kEvents = 2000;
  constexpr size_t kBytes = 16 << 10;  // 2000 x 16 KiB: 32 MiB of log
  Append(kEvents, kBytes);
  StartHost();
  auto ctx = Context();
  auto stub = Client(/*small_window=*/true);
  auto reader = stub->Subscribe(ctx.get(), Request(0, false));
  // The subscription starts; wait until its writes stop advancing (they are blocked).
  core::EventsGrpcService& events = *host_->events_service();
  ASSERT_TRUE(Eventually([&] { return events.stats().events_written > 0; }));
  uint64_t written = events.stats().events_written;
  for (int still = 0; still < 25;) {  // 25 looks 20 ms apart with nothing written: held
    absl::SleepFor(absl::Milliseconds(20));
    const uint64_t now = events.stats().events_written;
    still = now == written ? still + 1 : 0;
    written = now;
    ASSERT_LT(written, static_cast<uint64_t>(kEvents)) << "the whole log was written to a reader that reads nothing";
  }
  std::cout << "[ events ] a reader that reads nothing: the server wrote " << written << " of "
            << kEvents << " events (" << (written * kBytes >> 10) << " KiB) and holds at most "
            << events.stats().max_held << " events" << std::endl;
  EXPECT_LE(events.stats().max_held, 16u);
  EXPECT_LT(written * kBytes, 16u << 20) << "more than 16 MiB went out to a reader that reads nothing";

  SubscribeResponse m;
  uint64_t expected = 1;
  while (reader->Read(&m)) {
    if (m.has_event()) {
      ASSERT_EQ(m.event().position(), expected);
      ++expected;
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(expected, static_cast<uint64_t>(kEvents) + 1);
  EXPECT_LE(events.stats().max_held, 16u);
}

// Finding 11: the subscriptions are shared fairly: one caller holds at most its share, the
// last ones are kept for operators, and a reader that reads nothing is cut off once its
// write has waited past the limit, freeing its slot.
TEST_F(EventsStreamTest, SubscriptionsAreCappedPerCallerKeepRoomForOperatorsAndStalledReadersEnd) {
  Append(3);
  StartHost();
  core::EventsGrpcService::Options o;
  o.max_subscriptions = 6;
  o.max_per_caller = 2;
  o.kept_for_operators = 2;
  o.stalled_write_limit = absl::Milliseconds(500);
  core::EventsGrpcService& events = *host_->events_service();
  events.SetOptions(o);
  struct Open {
    std::unique_ptr<grpc::ClientContext> ctx;
    std::unique_ptr<grpc::ClientReader<SubscribeResponse>> reader;
  };
  std::vector<Open> open;
  auto stub = Client();
  // Subscribes (following) as org/role; whether the server let it in.
  auto subscribe = [&](const std::string& org, const std::string& role) {
    Open s;
    s.ctx = std::make_unique<grpc::ClientContext>();
    s.ctx->AddMetadata("x-remiss-org", org);
    s.ctx->AddMetadata("x-remiss-role", role);
    s.reader = stub->Subscribe(s.ctx.get(), Request(0, true));
    SubscribeResponse first;
    if (s.reader->Read(&first)) {
      open.push_back(std::move(s));
      return grpc::Status::OK;
    }
    return s.reader->Finish();
  };
  EXPECT_TRUE(subscribe("diariet", "integrator").ok());
  EXPECT_TRUE(subscribe("diariet", "integrator").ok());
  grpc::Status third = subscribe("diariet", "integrator");
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(third.error_message().find("one caller"), std::string::npos) << third.error_message();
  EXPECT_TRUE(subscribe("arkivet", "integrator").ok());
  EXPECT_TRUE(subscribe("arkivet", "integrator").ok());
  grpc::Status full = subscribe("webben", "integrator");  // 4 of 6: the rest is the operators'
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(full.error_message().find("operators"), std::string::npos) << full.error_message();
  EXPECT_TRUE(subscribe("drift", "operator").ok());
  EXPECT_EQ(events.stats().active, 5u);
  for (Open& s : open) s.ctx->TryCancel();
  open.clear();
  ASSERT_TRUE(Eventually([&] { return events.stats().active == 0; }));

  // A reader that reads nothing: its write waits, then the subscription is ended.
  Append(2000, 16 << 10);
  auto ctx = Context();
  auto idle = Client(/*small_window=*/true)->Subscribe(ctx.get(), Request(0, false));
  ASSERT_TRUE(Eventually([&] { return events.stats().active == 1 && events.stats().events_written > 0; }));
  EXPECT_TRUE(Eventually([&] { return events.stats().active == 0; })) << "a stalled reader kept its slot";
}

TEST_F(EventsStreamTest, ServerShutdownEndsAFollowingStreamWithUnavailable) {
  Append(5);
  StartHost();
  auto ctx = Context(/*deadline=*/false);
  auto reader = Client()->Subscribe(ctx.get(), Request(0, true));
  SubscribeResponse m;
  int events = 0;
  while (events < 5 && reader->Read(&m)) events += m.has_event();
  ASSERT_EQ(events, 5);
  host_->Shutdown(absl::Seconds(30));  // returns once the subscription has ended
  while (reader->Read(&m)) {
  }
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(host_->events_service()->stats().active, 0u);
}

TEST_F(EventsStreamTest, AnUnknownServiceIsNotFound) {
  StartHost();
  auto ctx = Context();
  SubscribeRequest r = Request(0, false);
  r.set_service("payroll");
  auto reader = Client()->Subscribe(ctx.get(), r);
  SubscribeResponse m;
  EXPECT_FALSE(reader->Read(&m));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

// Under mutual TLS: the integrator's and the operator's certificates subscribe; KS, a board,
// a reader and the gateway are refused (PERMISSION_DENIED) before any event is read.
TEST_F(EventsStreamTest, OnlyIntegratorsAndOperatorsMaySubscribe) {
  remiss::testing::TempDir pki;
  const std::string script = absl::StrCat(REMISS_SOURCE_DIR, "/tools/pki.sh ", pki.path(), " >/dev/null");
  ASSERT_EQ(std::system(script.c_str()), 0) << script;
  Append(3);
  StartHost({.cert_file = pki.Sub("server.pem"), .key_file = pki.Sub("server.key"),
             .ca_file = pki.Sub("ca.pem")});
  auto as = [&](const std::string& name) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = Read(pki.Sub("ca.pem"));
    o.pem_cert_chain = Read(pki.Sub(name + ".pem"));
    o.pem_private_key = Read(pki.Sub(name + ".key"));
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub = EventsService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", host_->port()), grpc::SslCredentials(o), args));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = stub->Subscribe(&ctx, Request(0, false));
    SubscribeResponse m;
    int events = 0;
    while (reader->Read(&m)) events += m.has_event();
    grpc::Status s = reader->Finish();
    return std::make_pair(s, events);
  };
  for (const char* allowed : {"integrator", "operator"}) {
    auto [s, events] = as(allowed);
    EXPECT_TRUE(s.ok()) << allowed << ": " << s.error_message();
    EXPECT_EQ(events, 3) << allowed;
  }
  for (const char* refused : {"ks", "bromma-sdn", "reader", "gateway"}) {
    auto [s, events] = as(refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused << ": " << s.error_message();
    EXPECT_EQ(events, 0) << refused;
  }
  EXPECT_EQ(host_->events_service()->stats().subscriptions, 2u);
}

}  // namespace
}  // namespace remiss
