// The console behind the front proxy, over HTTPS with client certificates from tools/pki.sh:
// who counts as the proxy, the identity headers it sends, and its CSRF tokens. The services
// are nowhere: what is checked here happens before any of them is called.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <thread>
#include <regex>

#include "absl/strings/str_cat.h"
#include "remiss/console/console.h"
#include "tests/console/slow_clients.h"
#include "tests/support/temp_dir.h"

namespace remiss::console {
namespace {

class ConsoleBehindTheProxyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new remiss::testing::TempDir();
    const std::string tool = std::string(REMISS_SOURCE_DIR) + "/tools/pki.sh";
    const std::string d = pki_->path();
    const std::string script = tool + " ca " + d + " && " + tool + " server " + d + " console 127.0.0.1 && " + tool +
                               " server " + d + " proxy proxy.example && " + tool + " server " + d +
                               " other other.example";
    ASSERT_EQ(std::system(script.c_str()), 0) << script;
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }
  void SetUp() override {
    ConsoleOptions o;
    o.listen = "127.0.0.1:0";
    o.https_cert = pki_->Sub("console.pem");
    o.https_key = pki_->Sub("console.key");
    o.proxy_ca = pki_->Sub("ca.pem");
    o.proxy_name = "proxy.example";
    o.referrals = o.responses = o.deadlines = o.followup = "127.0.0.1:1";
    auto c = StartConsole(o);
    ASSERT_TRUE(c.ok()) << c.status();
    console_ = std::move(*c);
    const std::string url = console_->Url();
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
  }
  std::unique_ptr<httplib::SSLClient> As(const std::string& name) {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port_, pki_->Sub(name + ".pem"),
                                                       pki_->Sub(name + ".key"));
    client->set_ca_cert_path(pki_->Sub("ca.pem").c_str());
    client->enable_server_certificate_verification(true);
    client->set_tcp_nodelay(true);  // else its handshake waits on our delayed ACKs (~40 ms)
    return client;
  }
  httplib::Headers Person(const std::string& browser) const {
    return {{"X-Remiss-Person", "p-4711"}, {"X-Remiss-Org", "bromma-sdn"}, {"X-Remiss-Role", "board"},
            {"Cookie", "remiss_csrf=" + browser}};
  }

  static remiss::testing::TempDir* pki_;
  std::unique_ptr<Console> console_;
  int port_ = 0;
};
remiss::testing::TempDir* ConsoleBehindTheProxyTest::pki_ = nullptr;

// Finding 7: another certificate of the proxy's CA is not the proxy, and an identity header
// given twice names no one.
TEST_F(ConsoleBehindTheProxyTest, OnlyTheProxyNamedInItsCertificateAndEachIdentityHeaderOnce) {
  const std::string browser(32, 'a');
  auto proxy = As("proxy");
  auto ok = proxy->Get("/stil.css", Person(browser));
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  auto other = As("other")->Get("/stil.css", Person(browser));
  EXPECT_FALSE(other && other->status == 200) << "a certificate that does not name the proxy got in";

  httplib::Headers twice = Person(browser);
  twice.emplace("X-Remiss-Person", "p-0001");
  auto r = proxy->Get("/remisser", twice);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("X-Remiss-Person"), std::string::npos) << r->body;
}

// Finding 4, over HTTPS: `peers` peers (127.0.0.2, ...) each open 64 connections that never
// start TLS and 64 that send a ClientHello a byte at a time; the proxy's request meanwhile
// takes how long (TLS handshake included).
std::chrono::milliseconds ProxyRequestUnderSlowloris(int port, int peers,
                                                     const std::function<httplib::Result()>& request) {
  std::vector<int> slow;
  for (int peer = 0; peer < peers; ++peer) {
    for (int i = 0; i < 128; ++i) {
      slow.push_back(testing::ConnectFrom(absl::StrCat("127.0.0.", 2 + peer), port));
      EXPECT_GE(slow.back(), 0);
    }
  }
  // The start of a TLS record (handshake, ClientHello) and then no end to it.
  const std::string hello = std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(100, 'r');
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (size_t at = 0; at < hello.size() && !stop; ++at) {
      for (size_t i = 0; i < slow.size(); ++i) {
        if (i % 128 >= 64) send(slow[i], &hello[at], 1, MSG_NOSIGNAL);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto started = std::chrono::steady_clock::now();
  auto r = request();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  stop = true;
  trickle.join();
  for (int fd : slow) close(fd);
  EXPECT_TRUE(r) << httplib::to_string(r.error());
  if (r) EXPECT_EQ(r->status, 200);
  std::cout << peers * 128 << " slow connections: the proxy's request took " << took.count() << " ms" << std::endl;
  return took;
}

// 64 connections that never start TLS and 64 sending their ClientHello a byte at a time
// leave the proxy's request served in under 100 ms: TLS handshakes run in the server's
// event loops, not on threads the slow ones could hold. A client without a certificate is
// not served.
TEST_F(ConsoleBehindTheProxyTest, SlowlorisWithoutTlsLeavesTheProxyServedAtOnce) {
  auto proxy = As("proxy");
  const auto took = ProxyRequestUnderSlowloris(port_, 1, [&] { return proxy->Get("/stil.css", Person(std::string(32, 'a'))); });
  EXPECT_LT(took, std::chrono::milliseconds(100));

  httplib::SSLClient anonymous("127.0.0.1", port_);
  anonymous.set_ca_cert_path(pki_->Sub("ca.pem").c_str());
  auto none = anonymous.Get("/stil.css", Person(std::string(32, 'a')));
  EXPECT_FALSE(none && none->status == 200) << "a client without a certificate was served";
}

// The same from four peers: 512 slow connections, more than any pool of threads the console
// had (cpp-httplib's 8, then 256).
TEST_F(ConsoleBehindTheProxyTest, FiveHundredSlowTlsConnectionsLeaveTheProxyServedAtOnce) {
  auto proxy = As("proxy");
  const auto took = ProxyRequestUnderSlowloris(port_, 4, [&] { return proxy->Get("/stil.css", Person(std::string(32, 'a'))); });
  EXPECT_LT(took, std::chrono::milliseconds(100));
}

TEST(ConsoleOptionsForTheProxy, HttpsWithoutTheProxysNameIsRefused) {
  ConsoleOptions o;
  o.listen = "0.0.0.0:0";
  o.https_cert = "/nonexistent/c.pem";
  o.https_key = "/nonexistent/c.key";
  o.proxy_ca = "/nonexistent/ca.pem";
  auto c = StartConsole(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--proxy-name"), std::string::npos) << c.status();
}

// Finding 15: behind the proxy a person's CSRF token binds the browser's own random cookie,
// so it is not one token per person for the life of the process.
TEST_F(ConsoleBehindTheProxyTest, TheCsrfTokenDiffersPerBrowser) {
  auto proxy = As("proxy");
  auto token_of = [&](const std::string& browser) {
    auto page = proxy->Get("/remisser", Person(browser));
    EXPECT_TRUE(page);
    if (!page) return std::string();
    std::smatch m;
    EXPECT_TRUE(std::regex_search(page->body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\""))) << page->body;
    return m.size() > 1 ? m[1].str() : std::string();
  };
  const std::string a = token_of(std::string(32, 'a')), b = token_of(std::string(32, 'b'));
  EXPECT_FALSE(a.empty());
  EXPECT_NE(a, b);
  EXPECT_EQ(a, token_of(std::string(32, 'a')));
  // A browser without its cookie gets one first, then the page.
  httplib::Headers bare = Person("");
  bare.erase("Cookie");
  auto first = proxy->Get("/remisser?status=issued", bare);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 303);
  EXPECT_EQ(first->get_header_value("Location"), "/remisser?status=issued");
  EXPECT_NE(first->get_header_value("Set-Cookie").find("remiss_csrf="), std::string::npos);
}

}  // namespace
}  // namespace remiss::console
