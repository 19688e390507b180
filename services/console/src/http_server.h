// The console's HTTP(S) server: routes matched by regular expression, requests and responses
// of our own, over GNU libmicrohttpd. Chosen for what it does under load:
//  - one event loop (epoll) holds every connection, so a socket that is slow to send its
//    headers, or never starts TLS, costs a file descriptor and a little memory, never a
//    thread; TLS handshakes run inside that loop, not on the handlers' threads;
//  - handlers run on a pool of their own while their connection is suspended, so a slow
//    service call holds a worker, not the loop;
//  - a deadline for a whole request header (from accept, TLS handshake included, or from the
//    end of the previous response), one for a whole body and one for a whole response, on
//    top of libmicrohttpd's idle timeout; a connection past its deadline is shut down;
//  - a cap on connections per peer address and on connections in all.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace remiss::console::http {

// Decodes application/x-www-form-urlencoded text (a query string or a form body): '&'
// separated name=value, '+' is a space, %XX a byte. A name may repeat.
std::multimap<std::string, std::string> ParseUrlEncoded(absl::string_view text);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query, not decoded ("/remisser?status=issued")
  std::string path;    // the target's path, %XX decoded ("/remisser")
  std::vector<std::pair<std::string, std::string>> headers;  // in order; a name may repeat
  std::multimap<std::string, std::string> params;              // the query string's fields
  std::string body;
  bool body_too_large = false;  // the body went past max_body_bytes: `body` is empty
  std::vector<std::string> matches;  // the route's groups: [0] the whole path, [1] the first group ...
  std::string remote_address;        // the peer's IP address ("127.0.0.1", "::1")

  // The first value of header `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
  size_t HeaderCount(absl::string_view name) const;
  // The first value of query field `name`, or "".
  std::string Param(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(const std::string& name, const std::string& value);  // replaces a header of that name
  void SetContent(std::string content, const std::string& content_type);
  void Redirect(const std::string& location, int code = 303);
};

using Handler = std::function<void(const Request&, Response&)>;

// Routes in the order given; the first whose method matches and whose pattern matches the
// whole path answers. A HEAD request takes the GET routes (libmicrohttpd sends no body).
class Router {
 public:
  void Get(const std::string& pattern, Handler h) { Add("GET", pattern, std::move(h)); }
  void Post(const std::string& pattern, Handler h) { Add("POST", pattern, std::move(h)); }
  // Runs before any route; returns true when it answered (the routes are then skipped).
  void Before(std::function<bool(const Request&, Response&)> f) { before_ = std::move(f); }
  // Headers every response carries, unless it set them itself.
  void DefaultHeaders(std::vector<std::pair<std::string, std::string>> h) { default_headers_ = std::move(h); }
  // What a handler's exception becomes (by default: a plain 500).
  void OnException(std::function<void(const Request&, Response&, const std::exception&)> f) { on_exception_ = std::move(f); }

  // Answers `req` (its `matches` are filled in for the route that answers).
  void Serve(Request& req, Response& res) const;

 private:
  struct Route {
    std::string method;
    std::regex pattern;
    Handler handler;
  };
  void Add(const std::string& method, const std::string& pattern, Handler h);
  std::vector<Route> routes_;
  std::function<bool(const Request&, Response&)> before_;
  std::vector<std::pair<std::string, std::string>> default_headers_;
  std::function<void(const Request&, Response&, const std::exception&)> on_exception_;
};

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
