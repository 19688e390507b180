// Raw sockets for the listener tests: slow clients from a chosen loopback address (each
// 127.0.0.x is a peer of its own), and a plain HTTP probe that is timed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace remiss::console::testing {

// A socket connected to 127.0.0.1:`port` from `from` (another loopback address is another
// peer); -1 if it cannot connect.
inline int ConnectFrom(const std::string& from, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Whether the server closed `fd` (end of stream or reset) within `wait`; what it sent
// before that is dropped.
inline bool ClosedWithin(int fd, std::chrono::milliseconds wait) {
  const auto until = std::chrono::steady_clock::now() + wait;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
}

struct Probe {
  int status = -1;  // the response's status code; -1: none within the wait
  std::chrono::milliseconds took{0};
};

// GET `path` over plain HTTP from 127.0.0.1, the connection closed after the response;
// timed from connect to the response's end.
inline Probe ProbeGet(int port, const std::string& path, std::chrono::milliseconds wait = std::chrono::seconds(10)) {
  Probe p;
  const auto started = std::chrono::steady_clock::now();
  const int fd = ConnectFrom("127.0.0.1", port);
  if (fd < 0) return p;
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nConnection: close\r\n\r\n";
  std::string response;
  if (SendAll(fd, req)) {
    const auto until = started + wait;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      pollfd pf{fd, POLLIN, 0};
      if (left.count() <= 0 || poll(&pf, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[8192];
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        if (response.rfind("HTTP/1.", 0) == 0 && response.size() > 12) p.status = std::stoi(response.substr(9, 3));
        break;
      }
      response.append(buf, static_cast<size_t>(n));
    }
  }
  p.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  close(fd);
  return p;
}

}  // namespace remiss::console::testing
