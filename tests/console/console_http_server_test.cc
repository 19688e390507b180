// The console's HTTP server on its own, through a real listener: routes and what a request
// carries, bodies over the limit, and the deadlines and caps (shortened here) that the
// console uses at their defaults.
#include "services/console/src/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/console/slow_clients.h"

namespace remiss::console::http {
namespace {

using namespace std::chrono_literals;
using remiss::console::testing::ClosedWithin;
using remiss::console::testing::ConnectFrom;
using remiss::console::testing::ProbeGet;
using remiss::console::testing::SendAll;

std::shared_ptr<Router> EchoRoutes() {
  auto r = std::make_shared<Router>();
  r->DefaultHeaders({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  r->Get(R"(/rounds/([^/]+?)(\.json)?)", [](const Request& req, Response& res) {
    res.SetContent(absl::StrCat(req.method, " ", req.path, " id=", req.matches[1], " json=", req.matches[2],
                                " q=", req.Param("q"), " twice=", req.HeaderCount("X-Twice"),
                                " from=", req.remote_address, " target=", req.target),
                   "text/plain");
  });
  r->Post("/forms", [](const Request& req, Response& res) {
    if (req.body_too_large) {
      res.status = 413;
      return;
    }
    const auto fields = ParseUrlEncoded(req.body);
    res.SetHeader("Cache-Control", "max-age=5");
    res.SetContent(absl::StrCat(fields.count("a"), " ", fields.find("text")->second.size()), "text/plain");
  });
  r->Get("/fault", [](const Request&, Response&) { throw std::runtime_error("inside"); });
  r->Get("/fast", [](const Request&, Response& res) { res.SetContent("ok", "text/plain"); });
  r->Get("/slow", [](const Request&, Response& res) {
    std::this_thread::sleep_for(300ms);
    res.SetContent("slow", "text/plain");
  });
  return r;
}

std::unique_ptr<Server> Start(ServerOptions o = {}) {
  o.max_body_bytes = 1 << 20;
  auto s = StartServer(o, EchoRoutes());
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(ParseUrlEncoded, DecodesPlusPercentAndRepeats) {
  auto f = ParseUrlEncoded("a=1&a=2&text=h%C3%A4r+och%20d%C3%A4r&empty=&flag&bad=%zz%4");
  EXPECT_EQ(f.count("a"), 2u);
  EXPECT_EQ(f.find("text")->second, "här och där");
  EXPECT_EQ(f.find("empty")->second, "");
  EXPECT_EQ(f.count("flag"), 1u);
  EXPECT_EQ(f.find("bad")->second, "%zz%4");
}

TEST(HttpServer, RoutesWithGroupsQueryHeadersAndDefaults) {
  auto s = Start();
  ASSERT_NE(s, nullptr);
  httplib::Client c("127.0.0.1", s->port());
  // (httplib's client sends the query as "q=a%2Bb%26c%20d".)
  auto r = c.Get("/rounds/r%2D1.json?q=a+b%26c%20d", {{"X-Twice", "1"}, {"X-Twice", "2"}});
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /rounds/r-1.json id=r-1 json=.json q=a+b&c d twice=2 from=127.0.0.1 "
            "target=/rounds/r%2D1.json?q=a%2Bb%26c%20d");
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(c.Get("/nowhere")->status, 404);
  EXPECT_EQ(c.Post("/rounds/x", "", "text/plain")->status, 405);
  auto fault = c.Get("/fault");
  EXPECT_EQ(fault->status, 500);
  EXPECT_EQ(fault->body.find("inside"), std::string::npos);  // the exception's text stays inside
}

TEST(HttpServer, BodiesUpToTheLimitAndNotBeyond) {
  auto s = Start();
  ASSERT_NE(s, nullptr);
  httplib::Client c("127.0.0.1", s->port());
  const std::string text(900 * 1024, 'x');
  auto ok = c.Post("/forms", absl::StrCat("a=1&a=2&text=", text), "application/x-www-form-urlencoded");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->body, absl::StrCat("2 ", text.size()));
  EXPECT_EQ(ok->get_header_value("Cache-Control"), "max-age=5");  // its own, not the default
  auto big = c.Post("/forms", absl::StrCat("text=", std::string(2 << 20, 'x')), "application/x-www-form-urlencoded");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

// A slow handler holds a worker, not the event loop: requests to fast routes go on.
TEST(HttpServer, ASlowHandlerDoesNotHoldOthers) {
  ServerOptions o;
  o.worker_threads = 2;
  auto s = Start(o);
  ASSERT_NE(s, nullptr);
  std::thread slow([&] { EXPECT_EQ(ProbeGet(s->port(), "/slow").status, 200); });
  std::this_thread::sleep_for(50ms);
  const auto fast = ProbeGet(s->port(), "/fast");
  EXPECT_EQ(fast.status, 200);
  EXPECT_LT(fast.took, 200ms) << fast.took.count() << " ms";
  slow.join();
}

// Requests one after another, each answered (a job's wake-up must reach a worker, whatever
// else waits).
TEST(HttpServer, RequestsOneAfterAnotherAreEachAnswered) {
  ServerOptions o;
  o.worker_threads = 1;
  auto s = Start(o);
  ASSERT_NE(s, nullptr);
  for (int i = 0; i < 200; ++i) {
    const auto p = ProbeGet(s->port(), "/fast", 5s);
    ASSERT_EQ(p.status, 200) << "request " << i;
  }
}

// A header sent a byte every 200 ms (never idle) is closed at the header deadline; a body
// likewise at the body deadline.
TEST(HttpServer, HeaderAndBodyDeadlinesCountTheWholeOfEach) {
  ServerOptions o;
  o.header_deadline = 1s;
  o.body_deadline = 1s;
  o.idle_timeout_seconds = 30;
  auto s = Start(o);
  ASSERT_NE(s, nullptr);
  auto trickle = [&](const std::string& start) {
    const int fd = ConnectFrom("127.0.0.1", s->port());
    EXPECT_TRUE(SendAll(fd, start));
    const auto began = std::chrono::steady_clock::now();
    bool closed = false;
    while (!closed && std::chrono::steady_clock::now() - began < 10s) {
      if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) break;
      closed = ClosedWithin(fd, 200ms);
    }
    close(fd);
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
  };
  const auto header = trickle("GET /fast HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  EXPECT_GE(header, 800ms);
  EXPECT_LT(header, 3s);
  const auto body = trickle("POST /forms HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                            "Content-Type: application/x-www-form-urlencoded\r\n\r\ntext=");
  EXPECT_GE(body, 800ms);
  EXPECT_LT(body, 3s);
}

// A peer's connections past its cap are closed at once; another peer is served.
TEST(HttpServer, ConnectionsPerPeerAreCapped) {
  ServerOptions o;
  o.max_connections_per_peer = 4;
  auto s = Start(o);
  ASSERT_NE(s, nullptr);
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(ConnectFrom("127.0.0.5", s->port()));
    ASSERT_TRUE(SendAll(held.back(), "GET /fast HTTP/1.1\r\n"));
  }
  std::this_thread::sleep_for(200ms);
  for (int fd : held) EXPECT_FALSE(ClosedWithin(fd, 1ms));
  const int fifth = ConnectFrom("127.0.0.5", s->port());
  EXPECT_TRUE(ClosedWithin(fifth, 2s));
  EXPECT_EQ(ProbeGet(s->port(), "/fast").status, 200);
  close(fifth);
  for (int fd : held) close(fd);
}

TEST(HttpServer, APortInUseIsRefused) {
  auto first = Start();
  ASSERT_NE(first, nullptr);
  ServerOptions o;
  o.port = first->port();
  auto second = StartServer(o, EchoRoutes());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status();
}

}  // namespace
}  // namespace remiss::console::http
