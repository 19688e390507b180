// The metrics listener through real sockets (finding 13): a client that opens connections
// and never finishes its request does not blind the scraper.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <prometheus/exposer.h>

#include <chrono>
#include <string>
#include <vector>

#include "remiss/core/telemetry/metrics.h"

namespace remiss::core {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// GET /metrics on a new connection; the status line, or "" if nothing came in 5 s.
std::string Scrape(int port) {
  const int fd = Connect(port);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  char buf[64] = {};
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return "";
  std::string line(buf, static_cast<size_t>(n));
  return line.substr(0, line.find('\r'));
}

TEST(MetricsListener, SlowClientsDoNotBlindTheScraper) {
  auto exposer = metrics::Serve("127.0.0.1:0");
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  const int port = (*exposer)->GetListeningPorts().front();
  ASSERT_EQ(Scrape(port), "HTTP/1.1 200 OK");
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {  // connections that send half a request and wait
    slow.push_back(Connect(port));
    const std::string half = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    ASSERT_EQ(write(slow.back(), half.data(), half.size()), static_cast<ssize_t>(half.size()));
  }
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(Scrape(port), "HTTP/1.1 200 OK");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  for (int fd : slow) close(fd);
}

}  // namespace
}  // namespace remiss::core
