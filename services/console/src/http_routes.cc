// Requests, responses and routes of the console's HTTP server (no I/O).
#include "http_routes.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace remiss::console::http {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(absl::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::multimap<std::string, std::string> ParseUrlEncoded(absl::string_view text) {
  std::multimap<std::string, std::string> out;
  for (absl::string_view pair : absl::StrSplit(text, '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) {
      out.emplace(PercentDecode(pair, true), "");
    } else {
      out.emplace(PercentDecode(pair.substr(0, eq), true), PercentDecode(pair.substr(eq + 1), true));
    }
  }
  return out;
}

std::string Request::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

size_t Request::HeaderCount(absl::string_view name) const {
  size_t n = 0;
  for (const auto& [k, v] : headers) n += absl::EqualsIgnoreCase(k, name) ? 1 : 0;
  return n;
}

std::string Request::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

void Response::SetHeader(const std::string& name, const std::string& value) {
  for (auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) {
      v = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

void Response::SetContent(std::string content, const std::string& content_type) {
  body = std::move(content);
  SetHeader("Content-Type", content_type);
}

void Response::Redirect(const std::string& location, int code) {
  status = code;
  SetHeader("Location", location);
}

void Router::Add(const std::string& method, const std::string& pattern, Handler h) {
  routes_.push_back(Route{method, std::regex(pattern), std::move(h)});
}

void Router::Serve(Request& req, Response& res) const {
  try {
    bool answered = before_ && before_(req, res);
    if (!answered) {
      const std::string method = req.method == "HEAD" ? "GET" : req.method;
      bool path_known = false;
      for (const Route& r : routes_) {
        std::smatch m;
        if (!std::regex_match(req.path, m, r.pattern)) continue;
        path_known = true;
        if (r.method != method) continue;
        req.matches.assign(m.begin(), m.end());
        r.handler(req, res);
        answered = true;
        break;
      }
      if (!answered) {
        res = Response{};
        res.status = path_known ? 405 : 404;
        res.SetContent(path_known ? "Metoden stöds inte här.\n" : "Sidan finns inte.\n", "text/plain; charset=utf-8");
      }
    }
  } catch (const std::exception& e) {
    res = Response{};
    res.status = 500;
    res.SetContent("Ett internt fel uppstod.\n", "text/plain; charset=utf-8");
    if (on_exception_) on_exception_(req, res, e);
  } catch (...) {
    res = Response{};
    res.status = 500;
    res.SetContent("Ett internt fel uppstod.\n", "text/plain; charset=utf-8");
  }
  for (const auto& [k, v] : default_headers_) {
    bool set = false;
    for (const auto& [rk, rv] : res.headers) set = set || absl::EqualsIgnoreCase(rk, k);
    if (!set) res.headers.emplace_back(k, v);
  }
}

}  // namespace remiss::console::http
