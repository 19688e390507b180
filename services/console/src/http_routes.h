// The console's HTTP requests, responses and routes (matched by regular expression): what
// its pages see of HTTP, whatever server carries them. No I/O; thread-safe once built.
#pragma once

#include <exception>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace remiss::console::http {

// %XX decoded (an invalid escape is kept as it is); with `plus_is_space` also '+' to a space
// (query strings and forms, not paths).
std::string PercentDecode(absl::string_view s, bool plus_is_space);

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

}  // namespace remiss::console::http
