// The notices service's SMTP client presents a client certificate (--smtp-client-cert,
// --smtp-client-key) to a real TLS endpoint that requires and verifies one: Debian's socat
// (OPENSSL-LISTEN, verify=1, the client CA as its only trust anchor) in front of a real
// mailpit, the service mailing it over smtps:// (TLS from the start). With the certificate
// the round reaches mailpit; without one, or with one from another CA, nothing is delivered
// and each notice is recorded deferred (TLS trouble is retried, as a 4xx); given the right
// certificate again, the deferred notices go out. The deferral's reply names the TLS alert
// (certificate required, unknown CA) for the operator. A missing socat fails the test.
#include <arpa/inet.h>

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "tests/notices/mail_support.h"
#include "tests/notices/notices_server.h"
#include "tests/support/temp_dir.h"

namespace remiss::testing {
namespace {

// socat, TLS with a required and verified client certificate, forwarding to `to_port`.
class TlsFront {
 public:
  ::testing::AssertionResult Start(const std::string& dir, const std::string& pki, int to_port) {
    const std::string socat = "/usr/bin/socat";
    if (access(socat.c_str(), X_OK) != 0) {
      return ::testing::AssertionFailure() << "socat is missing (tools/setup.sh installs it)";
    }
    port_ = FreePort();
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{socat, "-d", "-d",
                                 absl::StrCat("OPENSSL-LISTEN:", port_, ",bind=127.0.0.1,reuseaddr,fork,cert=", pki,
                                              "/mail.pem,key=", pki, "/mail.key,cafile=", pki, "/ca.pem,verify=1"),
                                 absl::StrCat("TCP:127.0.0.1:", to_port)},
        dir + "/socat.log");
    for (int i = 0; i < 200 && process_->running(); ++i) {
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool connected = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(s);
      if (connected) return ::testing::AssertionSuccess();
      absl::SleepFor(absl::Milliseconds(50));
    }
    return ::testing::AssertionFailure() << "socat did not listen:\n" << process_->Log();
  }
  std::string url() const { return absl::StrCat("smtps://127.0.0.1:", port_); }
  std::string Log() const { return process_ ? process_->Log() : ""; }

 private:
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

int PortOf(const std::string& url) {
  int port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(url.substr(url.rfind(':') + 1), &port)) << url;
  return port;
}

// The service's flags for mailing through `front`, trusting the server's CA in `pki`.
std::vector<std::string> Args(const Mailpit& mailpit, const TlsFront& front, const std::string& pki,
                              const std::string& client = "") {
  std::vector<std::string> args = NoticeArgs(mailpit, {"--smtp-ca", pki + "/ca.pem"});
  args[1] = front.url();  // --smtp-url
  if (!client.empty()) {
    args.insert(args.end(), {"--smtp-client-cert", client + ".pem", "--smtp-client-key", client + ".key"});
  }
  return args;
}

// Waits until each of `referral_id`'s `count` notices has been tried and recorded deferred,
// its reply naming `why` (the TLS alert: it reaches libcurl on most tries, not on every one,
// as the server closes the connection right after it).
::testing::AssertionResult AwaitDeferred(Remissd& server, const std::string& referral_id, size_t count,
                                         const std::string& why) {
  std::string seen;
  for (int i = 0; i < 1200; ++i) {
    std::vector<Notice> list = server.List(referral_id);
    size_t deferred = 0;
    seen.clear();
    for (const Notice& n : list) {
      deferred += n.state() == NOTICE_STATE_DEFERRED && n.attempts() >= 1 && absl::StrContains(n.last_reply(), why);
      absl::StrAppend(&seen, "\n  ", n.notice_id(), " ", NoticeState_Name(n.state()), " ", n.last_reply());
    }
    if (list.size() == count && deferred == count) return ::testing::AssertionSuccess();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return ::testing::AssertionFailure() << referral_id << " not all deferred:" << seen;
}

TEST(NoticesClientCertificate, DeliveredWithTheCertificateDeferredWithoutOrWithAnotherCas) {
  TempDir dir;
  const std::string pki = dir.path() + "/pki", other = dir.path() + "/other";
  const std::string tool = absl::StrCat(REMISS_SOURCE_DIR, "/tools/pki.sh");
  const std::string make = absl::StrCat(tool, " ca ", pki, " >/dev/null && ", tool, " server ", pki,
                                        " mail 127.0.0.1 >/dev/null && ", tool, " client ", pki,
                                        " notices notices smtp >/dev/null && ", tool, " ca ", other, " >/dev/null && ",
                                        tool, " client ", other, " notices notices smtp >/dev/null");
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  Mailpit mailpit;
  ASSERT_TRUE(mailpit.Start(dir.path()));
  TlsFront front;
  ASSERT_TRUE(front.Start(dir.path(), pki, PortOf(mailpit.smtp_url())));
  for (const char* d : {"/with", "/without", "/other-ca"}) std::filesystem::create_directories(dir.path() + d);

  // With the certificate: the round reaches both registries.
  {
    Remissd server(dir.path() + "/with", Args(mailpit, front, pki, pki + "/notices"));
    ASSERT_TRUE(server.Start());
    ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/101", 2, "2030-06-28"));
    ASSERT_TRUE(server.AwaitSettled("ks-2024-101", 2)) << front.Log();
    for (const Notice& n : server.List("ks-2024-101")) {
      EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED) << n.notice_id() << ": " << n.last_reply();
      EXPECT_EQ(n.last_code(), 250) << n.last_reply();
    }
    server.Stop();
  }
  ASSERT_EQ(mailpit.Count(), 2u);

  // Without a certificate, and with one from another CA: refused in the handshake, deferred.
  {
    Remissd server(dir.path() + "/without", Args(mailpit, front, pki));
    ASSERT_TRUE(server.Start());
    ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/102", 2, "2030-06-28"));
    ASSERT_TRUE(AwaitDeferred(server, "ks-2024-102", 2, "certificate required")) << front.Log();
    // (The operator reads why: the server's TLS alert, not only "failure when receiving data".)
    for (const Notice& n : server.List("ks-2024-102")) {
      std::cout << "without a certificate: " << n.last_reply() << "\n";
    }
    server.Stop();
  }
  {
    Remissd server(dir.path() + "/other-ca", Args(mailpit, front, pki, other + "/notices"));
    ASSERT_TRUE(server.Start());
    ASSERT_NO_FATAL_FAILURE(IssueRoundToBoards(server, "KS 2024/103", 2, "2030-06-28"));
    ASSERT_TRUE(AwaitDeferred(server, "ks-2024-103", 2, "unknown ca")) << front.Log();
    for (const Notice& n : server.List("ks-2024-103")) {
      std::cout << "another CA's certificate: " << n.last_reply() << "\n";
    }
    server.Stop();
  }
  EXPECT_EQ(mailpit.Count(), 2u) << "a notice went through without the right client certificate";
  const std::string refusals = front.Log();
  EXPECT_TRUE(absl::StrContains(refusals, "certificate")) << "socat logged no refused certificate:\n" << refusals;

  // The certificate given: the deferred notices go out at their next try.
  {
    Remissd server(dir.path() + "/without", Args(mailpit, front, pki, pki + "/notices"));
    ASSERT_TRUE(server.Start());
    ASSERT_TRUE(server.AwaitSettled("ks-2024-102", 2)) << front.Log();
    for (const Notice& n : server.List("ks-2024-102")) {
      EXPECT_EQ(n.state(), NOTICE_STATE_DELIVERED) << n.notice_id() << ": " << n.last_reply();
      EXPECT_GE(n.attempts(), 2u);
    }
    server.Stop();
  }
  std::map<std::string, int> to;
  for (const nlohmann::json& m : mailpit.Messages()) {
    for (const auto& r : m["To"]) ++to[r.value("Address", "")];
  }
  EXPECT_EQ(to, (std::map<std::string, int>{{"registrator@board-001.stockholm.example", 2},
                                            {"registrator@board-002.stockholm.example", 2}}));
}

}  // namespace
}  // namespace remiss::testing
