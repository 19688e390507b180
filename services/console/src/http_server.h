// The console's HTTP(S) server: serves a Router (http_routes.h) over GNU libmicrohttpd,
// chosen for what it does under load:
//  - epoll event loops hold every connection, so a socket that is slow to send its headers,
//    or never starts TLS, costs a file descriptor and a little memory, never a thread; TLS
//    handshakes run inside the loops, not on the handlers' threads;
//  - handlers run on a pool of their own while their connection is suspended, so a slow
//    service call holds a worker, not a loop;
//  - a deadline for a whole request header (from accept, TLS handshake included, or from the
//    end of the previous response), one for a whole body and one for a whole response, on
//    top of libmicrohttpd's idle timeout; a connection past its deadline is shut down;
//  - a cap on connections per peer address and on connections in all.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "http_routes.h"

namespace remiss::console::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an address or a name to resolve; the first address that binds
  int port = 0;                    // 0: one the system picks
  // HTTPS: PEM texts (not paths). With `client_ca`, a client must present a certificate of
  // that CA, for TLS client use, naming `client_name` (a DNS name in its subjectAltName);
  // any other connection is answered 403 and closed before any route sees it.
  std::string tls_cert, tls_key, client_ca, client_name;

  int max_connections = 1024;         // in all; more are accepted and closed at once
  int max_connections_per_peer = 128; // per IP address
  std::chrono::milliseconds header_deadline{10000};  // a whole request header, TLS handshake included
  std::chrono::milliseconds body_deadline{60000};    // a whole body, once the header is in
  std::chrono::milliseconds write_deadline{60000};   // a whole response
  int idle_timeout_seconds = 10;      // no byte either way (libmicrohttpd's own timeout)
  size_t max_body_bytes = 8 << 20;    // past this the body is dropped and `body_too_large` set
  int worker_threads = 16;            // handlers running at once
};

class Server {
 public:
  virtual ~Server() = default;  // stops: waits for running handlers, closes every connection
  virtual int port() const = 0;
};

// Binds, and serves `router` until the server is destroyed. Errors say why in one line.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Server>> StartServer(const ServerOptions& options,
                                                                 std::shared_ptr<const Router> router);

}  // namespace remiss::console::http
