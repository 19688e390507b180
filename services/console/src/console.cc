// The console's HTTP side: routes, who is asking, CSRF, HTML or JSON, flash messages.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "backend.h"
#include "forms.h"
#include "http_server.h"
#include "identity.h"
#include "layout.h"
#include "options.h"
#include "origin.h"
#include "pages.h"
#include "remiss/console/console.h"
#include "remiss/console/pdf.h"
#include "remiss/core/server/auth_gate.h"
#include "views.h"

namespace remiss::console {
namespace {

using nlohmann::json;
constexpr char kSessionCookie[] = "remiss_session";
// A form's body at most: a statement's texts (100,000 characters each) url-encoded, with
// room; the services refuse what breaks their own budget, naming the field.
constexpr size_t kMaxFormBytes = 8 << 20;
constexpr char kPreCookie[] = "remiss_pre";
// Behind the proxy: a random value per browser that the person's CSRF token binds, so the
// token differs per browser and changes when the cookie does (at most every 12 hours).
constexpr char kProxyCsrfCookie[] = "remiss_csrf";  // before sign-in: what the sign-in form's CSRF token binds

// A field of a url-encoded POST body (never of the query string: a token in a URL leaks
// into logs and Referer headers).
std::string BodyField(const http::Request& req, const std::string& name) {
  if (!absl::StartsWith(req.Header("Content-Type"), "application/x-www-form-urlencoded")) return "";
  const auto fields = http::ParseUrlEncoded(req.body);
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string Cookie(const http::Request& req, const std::string& name) {
  for (absl::string_view part : absl::StrSplit(req.Header("Cookie"), ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, name) && absl::ConsumePrefix(&part, "=")) return std::string(part);
  }
  return "";
}

// Whether the caller asked for JSON: Accept: application/json, or ?format=json (a path
// ending in .json is matched by the routes).
bool WantsJson(const http::Request& req, bool json_suffix) {
  if (json_suffix || req.Param("format") == "json") return true;
  const std::string accept = req.Header("Accept");
  return absl::StrContains(accept, "application/json") && !absl::StrContains(accept, "text/html");
}

json PersonJson(const Person& p) { return {{"id", p.id}, {"org_id", p.org_id}, {"role", p.role}}; }

class ConsoleImpl final : public Console {
 public:
  explicit ConsoleImpl(const ConsoleOptions& o) : options_(o), backend_(o) {}
  ~ConsoleImpl() override { server_.reset(); }  // running handlers finish first

  std::string Url() const override {
    std::string host = options_.listen.substr(0, options_.listen.rfind(':'));
    return absl::StrCat(https() ? "https://" : "http://", host, ":", port_, "/");
  }

  absl::Status Start();

 private:
  struct Who {
    std::optional<Person> person;
    std::string key;  // what the person's CSRF token binds: the session, or the proxy's person
  };
  bool https() const { return !options_.https_cert.empty(); }
  Who Identify(const http::Request& req) const;
  void Routes();
  // The organizations registered so far (id, name), read by the console itself for the
  // development sign-in.
  std::vector<std::pair<std::string, std::string>> RegisteredOrganizations() {
    const json names = OrganizationNames(backend_, Person{"console", "ks", "reader"});
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [id, name] : names.items()) out.push_back({id, name.get<std::string>()});
    return out;
  }

  // A GET page: `model` builds the model, `view` renders it; `title` names it.
  using ModelFn = std::function<json(const Person&, const http::Request&)>;
  using ViewFn = std::function<std::string(const json&, const ViewContext&)>;
  void Get(const std::string& pattern, const ModelFn& model, const ViewFn& view,
           const std::function<std::string(const json&)>& title);
  // A POST form: `act` runs it for the signed-in person (who may: `allowed`).
  using ActFn = std::function<FormResult(const Person&, const http::Request&, const FormFields&)>;
  void Post(const std::string& pattern, const std::function<bool(const Person&, const http::Request&)>& allowed,
            const ActFn& act);

  void SendPage(const http::Request& req, http::Response& res, const Who& who, int status,
                const std::string& title, const std::string& main, const std::string& error = "");
  void SendJson(http::Response& res, int status, const json& body);
  void SendError(const http::Request& req, http::Response& res, const Who& who, bool as_json, int status,
                 const std::string& message);
  std::pair<std::string, std::string> TakeFlash(const std::string& key);
  void PutFlash(const std::string& key, std::string notice, std::string error);

  ConsoleOptions options_;
  Backend backend_;
  Sessions sessions_;
  std::shared_ptr<http::Router> router_ = std::make_shared<http::Router>();
  std::unique_ptr<http::Server> server_;
  int port_ = 0;
  // Known once the listener is bound (its port), which is when it starts serving.
  mutable std::mutex hosts_mu_;
  std::vector<std::string> allowed_hosts_;
  std::vector<std::string> Hosts() const {
    std::lock_guard<std::mutex> lock(hosts_mu_);
    return allowed_hosts_;
  }
  std::mutex flash_mu_;
  std::map<std::string, std::pair<std::string, std::string>> flash_;  // key -> notice, error
};

ConsoleImpl::Who ConsoleImpl::Identify(const http::Request& req) const {
  Who who;
  if (https()) {
    // Only the front proxy reaches this listener (its client certificate was verified, and
    // names it). A header given twice names no one: which of the two would be the proxy's?
    for (const char* h : {"X-Remiss-Person", "X-Remiss-Org", "X-Remiss-Role"}) {
      if (req.HeaderCount(h) > 1) return who;
    }
    who.person = PersonFromProxyHeaders(req.Header("X-Remiss-Person"),
                                        req.Header("X-Remiss-Org"),
                                        req.Header("X-Remiss-Role"));
    const std::string browser = Cookie(req, kProxyCsrfCookie);
    if (who.person && browser.size() == 32) {
      who.key = absl::StrCat("proxy\n", who.person->id, "\n", who.person->org_id, "\n", who.person->role, "\n", browser);
    } else if (who.person) {
      who.key = absl::StrCat("proxy-new\n", RandomHex(16));  // no token the browser could send back
    }
    return who;
  }
  if (!options_.dev_signin) return who;
  std::string token = Cookie(req, kSessionCookie);
  if (token.empty()) return who;
  who.person = sessions_.Find(token);
  if (who.person) who.key = absl::StrCat("session\n", token);
  return who;
}

std::pair<std::string, std::string> ConsoleImpl::TakeFlash(const std::string& key) {
  std::lock_guard<std::mutex> lock(flash_mu_);
  auto it = flash_.find(key);
  if (it == flash_.end()) return {};
  auto out = it->second;
  flash_.erase(it);
  return out;
}

void ConsoleImpl::PutFlash(const std::string& key, std::string notice, std::string error) {
  std::lock_guard<std::mutex> lock(flash_mu_);
  flash_[key] = {std::move(notice), std::move(error)};
}

void ConsoleImpl::SendJson(http::Response& res, int status, const json& body) {
  res.status = status;
  res.SetContent(body.dump(2, ' ', false, json::error_handler_t::replace) + "\n", "application/json; charset=utf-8");
}

void ConsoleImpl::SendPage(const http::Request& req, http::Response& res, const Who& who, int status,
                           const std::string& title, const std::string& main, const std::string& error) {
  Shell shell;
  shell.title = title;
  shell.person = who.person;
  // "Ny remiss" only for a ks whose organization may send rounds (a page that cannot ask
  // referrals offers it to no one).
  if (who.person && who.person->ks()) {
    try {
      shell.new_round = MaySendRounds(backend_, *who.person);
    } catch (const PageError&) {
      shell.new_round = false;
    }
  }
  if (who.person) {
    shell.csrf = sessions_.CsrfToken(who.key);
    auto [notice, flash_error] = TakeFlash(who.key);
    shell.notice = notice;
    shell.error = error.empty() ? flash_error : error;
  } else {
    shell.error = error;
  }
  if (status == 200 && req.method == "GET") {
    shell.json_url = absl::StrCat(req.path, "?format=json");
    for (const auto& [k, v] : req.params) {
      if (k != "format") absl::StrAppend(&shell.json_url, "&", UrlEncode(k), "=", UrlEncode(v));
    }
  }
  res.status = status;
  res.SetContent(Page(shell, main), "text/html; charset=utf-8");
}

void ConsoleImpl::SendError(const http::Request& req, http::Response& res, const Who& who, bool as_json,
                            int status, const std::string& message) {
  if (as_json) return SendJson(res, status, {{"error", message}, {"status", status}});
  SendPage(req, res, who, status, "Fel", "<h1>Det gick inte</h1>", message);
}

void ConsoleImpl::Get(const std::string& pattern, const ModelFn& model, const ViewFn& view,
                      const std::function<std::string(const json&)>& title) {
  router_->Get(pattern + R"((\.json)?)", [=, this](const http::Request& req, http::Response& res) {
    const bool as_json = WantsJson(req, !req.matches.empty() && req.matches.back() == ".json");
    Who who = Identify(req);
    if (!who.person) {
      if (as_json) return SendJson(res, 401, {{"error", "Logga in först."}, {"status", 401}});
      res.Redirect("/logga-in");
      return;
    }
    try {
      json m = model(*who.person, req);
      if (as_json) {
        m["person"] = PersonJson(*who.person);
        m["csrf"] = sessions_.CsrfToken(who.key);
        return SendJson(res, 200, m);
      }
      ViewContext c{*who.person, sessions_.CsrfToken(who.key), RandomHex(12)};
      SendPage(req, res, who, 200, title(m), view(m, c));
    } catch (const PageError& e) {
      SendError(req, res, who, as_json, e.http_status, e.message);
    }
  });
}

void ConsoleImpl::Post(const std::string& pattern,
                       const std::function<bool(const Person&, const http::Request&)>& allowed, const ActFn& act) {
  // A statement runs to 100,000 characters: the server takes bodies up to kMaxFormBytes.
  router_->Post(pattern, [=, this](const http::Request& req, http::Response& res) {
    const bool as_json = WantsJson(req, false);
    Who who = Identify(req);
    // No anonymous writes, ever; and every form carries the person's CSRF token.
    if (!who.person) return SendError(req, res, who, as_json, 401, "Logga in först.");
    if (req.body_too_large) {
      return SendError(req, res, who, as_json, 413, "Formuläret är för stort (högst 8 MiB).");
    }
    FormFields fields;
    if (absl::StartsWith(req.Header("Content-Type"), "application/x-www-form-urlencoded")) {
      fields = http::ParseUrlEncoded(req.body);
    }
    auto field = [&fields](const std::string& name) {
      auto it = fields.find(name);
      return it == fields.end() ? std::string() : it->second;
    };
    if (!sessions_.CsrfValid(who.key, field("csrf"))) {
      return SendError(req, res, who, as_json, 403,
                       "Formuläret har gått ut eller kom inte från konsolen (CSRF). Ladda om sidan och försök igen.");
    }
    if (!allowed(*who.person, req)) {
      return SendError(req, res, who, as_json, 403, "Du har inte behörighet till detta.");
    }
    FormResult r = act(*who.person, req, fields);
    if (as_json) {
      return SendJson(res, r.ok ? 200 : r.http_status,
                      {{"ok", r.ok}, {"notice", r.notice}, {"error", r.error}, {"redirect", r.redirect}});
    }
    if (!r.ok && r.redirect.empty()) {  // the form again, with what was sent (KS's new round)
      json form = json::object();
      for (const auto& [k, v] : fields) {
        if (k == "addressees" || k == "lists" || k == "remove") form[k].push_back(v);
        else form[k] = v;
      }
      ViewContext c{*who.person, sessions_.CsrfToken(who.key), field("command_id")};
      json model;
      try {
        model = NewRoundModel(backend_, *who.person);
      } catch (const PageError& e) {
        return SendError(req, res, who, false, e.http_status, e.message);
      }
      return SendPage(req, res, who, r.http_status, "Ny remiss", NewRoundView(model, form, c), r.error);
    }
    PutFlash(who.key, r.notice, r.error);
    res.Redirect(r.redirect);
  });
}

void ConsoleImpl::Routes() {
  router_->DefaultHeaders({
      {"Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "same-origin"},
      {"Cache-Control", "no-store"},
  });
  // A fault is one line in the log, and a plain 500 to the browser (never the exception's text).
  router_->OnException([](const http::Request& req, http::Response& res, const std::exception& e) {
    std::cerr << "{\"console_fault\":" << json(req.path).dump() << ",\"what\":" << json(e.what()).dump() << "}" << std::endl;
    res.status = 500;
    res.SetContent("Ett internt fel uppstod.\n", "text/plain; charset=utf-8");
  });
  // Before any route: the request must name this console in Host (DNS rebinding), and a
  // form must come from its own pages (Origin / Sec-Fetch-Site).
  router_->Before([this](const http::Request& req, http::Response& res) {
    if (!HostAllowed(Hosts(), req.Header("Host"))) {
      res.status = 421;
      res.SetContent("Okänd värd (Host): konsolen svarar bara på sitt eget namn.\n", "text/plain; charset=utf-8");
      return true;
    }
    if (https()) {
      for (const char* h : {"X-Remiss-Person", "X-Remiss-Org", "X-Remiss-Role"}) {
        if (req.HeaderCount(h) > 1) {
          res.status = 400;
          res.SetContent(absl::StrCat(h, ": givet mer än en gång; ingen identitet godtas.\n"), "text/plain; charset=utf-8");
          return true;
        }
      }
    }
    if (https() && req.method == "GET" && Cookie(req, kProxyCsrfCookie).size() != 32) {
      // A browser's first page: its own CSRF cookie first, then the page (whose forms bind it).
      res.SetHeader("Set-Cookie", absl::StrCat(kProxyCsrfCookie, "=", RandomHex(16),
                                                "; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=43200"));
      const bool local = absl::StartsWith(req.target, "/") && !absl::StartsWith(req.target, "//");
      res.Redirect(local ? req.target : "/");
      return true;
    }
    if (req.method == "POST" &&
        !PostFromOwnPages(Hosts(), https() ? "https" : "http", req.Header("Origin"),
                          req.Header("Sec-Fetch-Site"))) {
      SendError(req, res, Who{}, WantsJson(req, false), 403,
                "Formuläret kom inte från konsolens egna sidor (Origin). Ladda om sidan och försök igen.");
      return true;
    }
    return false;
  });
  router_->Get("/", [](const http::Request&, http::Response& res) { res.Redirect("/remisser"); });
  router_->Get("/stil.css", [](const http::Request&, http::Response& res) {
    res.SetHeader("Cache-Control", "max-age=300");
    res.SetContent(StyleSheet(), "text/css; charset=utf-8");
  });

  // ---- signing in ----
  router_->Get("/logga-in", [this](const http::Request& req, http::Response& res) {
    Who who = Identify(req);
    std::string pre = Cookie(req, kPreCookie);
    if (pre.empty()) {
      pre = RandomHex(16);
      res.SetHeader("Set-Cookie", absl::StrCat(kPreCookie, "=", pre, "; Path=/; HttpOnly; SameSite=Strict"));
    }
    std::vector<DevIdentity> ids;
    if (options_.dev_signin) {
      try {
        ids = DevIdentities(RegisteredOrganizations());
      } catch (const PageError& e) {
        return SendPage(req, res, who, e.http_status, "Logga in", SignInView({}, "", true), e.message);
      }
    }
    SendPage(req, res, Who{}, 200, "Logga in", SignInView(ids, sessions_.CsrfToken("pre\n" + pre), options_.dev_signin));
  });
  router_->Post("/logga-in", [this](const http::Request& req, http::Response& res) {
    if (!options_.dev_signin) return SendError(req, res, Who{}, false, 404, "Inloggningen sker genom kommunens inloggningstjänst.");
    std::string pre = Cookie(req, kPreCookie);
    if (pre.empty() || !sessions_.CsrfValid("pre\n" + pre, BodyField(req, "csrf"))) {
      return SendError(req, res, Who{}, false, 403, "Formuläret har gått ut (CSRF). Ladda om inloggningssidan.");
    }
    std::vector<std::pair<std::string, std::string>> orgs;
    try {
      orgs = RegisteredOrganizations();
    } catch (const PageError& e) {
      return SendError(req, res, Who{}, false, e.http_status, e.message);
    }
    const std::string chosen = BodyField(req, "identity");
    for (const DevIdentity& d : DevIdentities(orgs)) {
      if (d.person.id != chosen) continue;
      std::string token = sessions_.Open(d.person);
      res.SetHeader("Set-Cookie", absl::StrCat(kSessionCookie, "=", token, "; Path=/; HttpOnly; SameSite=Strict"));
      res.Redirect(d.person.role == "board" ? absl::StrCat("/organisationer/", UrlEncode(d.person.org_id)) : "/remisser");
      return;
    }
    SendError(req, res, Who{}, false, 400, "Välj en av identiteterna.");
  });
  // Signing out ends the session on the server whatever the form carries: a browser told
  // it is signed out must not leave a session behind that its cookie still opens.
  router_->Post("/logga-ut", [this](const http::Request& req, http::Response& res) {
    if (const std::string token = Cookie(req, kSessionCookie); !token.empty()) sessions_.Close(token);
    res.SetHeader("Set-Cookie", absl::StrCat(kSessionCookie, "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
    res.Redirect("/logga-in");
  });

  // ---- pages ----
  Get("/remisser",
      [this](const Person& p, const http::Request& req) {
        RoundsFilter f;
        f.status = req.Param("status");
        f.sender = req.Param("avsandare");
        if (!req.Param("ar").empty() && !absl::SimpleAtoi(req.Param("ar"), &f.year)) {
          throw PageError{400, "Året (ar) ska vara ett årtal, t.ex. 2019."};
        }
        return RoundsModel(backend_, p, f);
      },
      RoundsView, [](const json&) { return std::string("Remisser"); });
  Get(R"(/remisser/([^/]+?))",
      [this](const Person& p, const http::Request& req) { return BoardModel(backend_, p, req.matches[1]); },
      BoardView,
      [](const json& m) { return absl::StrCat("Statustavla ", m["referral"]["case_number"].get<std::string>()); });
  Get(R"(/remisser/([^/]+?)/kedja)",
      [this](const Person& p, const http::Request& req) { return ChainModel(backend_, p, req.matches[1]); },
      ChainView, [](const json& m) { return absl::StrCat("Revisionskedja ", m["referral_id"].get<std::string>()); });
  Get(R"(/remisser/([^/]+?)/sammanstallning)",
      [this](const Person& p, const http::Request& req) { return CompilationModel(backend_, p, req.matches[1]); },
      CompilationView,
      [](const json& m) { return absl::StrCat("Remissammanställning ", m["live"]["case_number"].get<std::string>()); });
  router_->Get(R"(/remisser/([^/]+?)/sammanstallning\.pdf)", [this](const http::Request& req, http::Response& res) {
    Who who = Identify(req);
    if (!who.person) return res.Redirect("/logga-in");
    try {
      json m = CompilationModel(backend_, *who.person, req.matches[1]);
      const std::string title = absl::StrCat("Remissammanställning ", m["live"]["case_number"].get<std::string>());
      res.SetHeader("Content-Disposition",
                     absl::StrCat("attachment; filename=\"remissammanstallning-", m["live"]["referral_id"].get<std::string>(), ".pdf\""));
      res.SetContent(WritePdf(title, CompilationDocument(m)), "application/pdf");
    } catch (const PageError& e) {
      SendError(req, res, who, false, e.http_status, e.message);
    }
  });
  Get(R"(/remisser/([^/]+?)/svar/([^/]+?))",
      [this](const Person& p, const http::Request& req) { return AnswerModel(backend_, p, req.matches[1], req.matches[2]); },
      AnswerView, [](const json& m) { return absl::StrCat("Svar ", m["response"]["case_number"].get<std::string>()); });
  Get(R"(/organisationer/([^/]+?))",
      [this](const Person& p, const http::Request& req) { return OrganizationModel(backend_, p, req.matches[1]); },
      OrganizationView, [](const json& m) { return m["organization"]["name"].get<std::string>(); });
  Get("/ny-remiss",
      [this](const Person& p, const http::Request&) {
        if (!p.ks()) throw PageError{403, "Bara KS skapar remisser."};
        return NewRoundModel(backend_, p);
      },
      [](const json& m, const ViewContext& c) { return NewRoundView(m, json::object(), c); },
      [](const json&) { return std::string("Ny remiss"); });

  // ---- forms ----
  auto ks = [](const Person& p, const http::Request&) { return p.ks(); };
  Post("/ny-remiss", ks, [this](const Person& p, const http::Request&, const FormFields& f) {
    // Refused here, before any command, for an organization that may not send rounds.
    FormResult refused;
    try {
      if (MaySendRounds(backend_, p)) return CreateRound(backend_, p, f);
      refused.error = NotASenderMessage(p);
      refused.http_status = 403;
    } catch (const PageError& e) {
      refused.error = e.message;
      refused.http_status = e.http_status;
    }
    return refused;
  });
  Post(R"(/remisser/([^/]+)/utfarda)", ks, [this](const Person& p, const http::Request& req, const FormFields& f) {
    return IssueRound(backend_, p, req.matches[1], f);
  });
  Post(R"(/remisser/([^/]+)/anstand)", ks, [this](const Person& p, const http::Request& req, const FormFields& f) {
    return DecideExtension(backend_, p, req.matches[1], f);
  });
  Post(R"(/remisser/([^/]+)/utfall)", ks, [this](const Person& p, const http::Request& req, const FormFields& f) {
    return RecordOutcome(backend_, p, req.matches[1], f);
  });
  Post(R"(/remisser/([^/]+)/svar/([^/]+)/(registrera|utlatande|delegationsbeslut|namndbeslut|anstand|skicka))",
       [](const Person& p, const http::Request& req) { return p.registrar_of(req.matches[2]); },
       [this](const Person& p, const http::Request& req, const FormFields& f) {
         return AnswerStep(backend_, p, req.matches[1], req.matches[2], req.matches[3], f);
       });
}

// A file's text, or nullopt when it cannot be read.
std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status ConsoleImpl::Start() {
  if (absl::Status s = CheckConsoleOptions(options_); !s.ok()) return s;
  const auto colon = options_.listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("--listen: must be host:port");
  http::ServerOptions so;
  so.host = options_.listen.substr(0, colon);
  if (so.host.size() >= 2 && so.host.front() == '[') so.host = so.host.substr(1, so.host.size() - 2);
  if (!absl::SimpleAtoi(options_.listen.substr(colon + 1), &so.port) || so.port < 0 || so.port > 65535) {
    return absl::InvalidArgumentError("--listen: the port must be a number from 0 to 65535");
  }
  if (https()) {
    // Only the proxy, with a certificate from its CA that names it, gets in.
    auto cert = ReadText(options_.https_cert), key = ReadText(options_.https_key), ca = ReadText(options_.proxy_ca);
    if (!cert || !key || !ca) {
      return absl::InvalidArgumentError("--https-cert, --https-key, --proxy-ca: could not be read as PEM certificate, key and CA");
    }
    so.tls_cert = *cert;
    so.tls_key = *key;
    so.client_ca = *ca;
    so.client_name = options_.proxy_name;
  }
  so.max_body_bytes = kMaxFormBytes;
  // Each connection is a file descriptor: keep 256 for the rest of the process (gRPC
  // channels; remissd's stores when it hosts the console).
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY &&
      files.rlim_cur < static_cast<rlim_t>(so.max_connections) + 256) {
    so.max_connections = std::max(64, static_cast<int>(files.rlim_cur) - 256);
  }
  Routes();
  auto server = http::StartServer(so, router_);
  if (!server.ok()) {
    if (https()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--https-cert, --https-key, --proxy-ca: could not be read as PEM certificate, key and CA, or console: ",
          server.status().message()));
    }
    return absl::UnavailableError(absl::StrCat("console: cannot listen on ", options_.listen, ": ", server.status().message()));
  }
  server_ = std::move(*server);
  port_ = server_->port();
  std::lock_guard<std::mutex> lock(hosts_mu_);
  allowed_hosts_ = AllowedHosts(options_.listen, port_, options_.hosts);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Console>> StartConsole(const ConsoleOptions& options) {
  auto console = std::make_unique<ConsoleImpl>(options);
  if (absl::Status s = console->Start(); !s.ok()) return s;
  return console;
}

}  // namespace remiss::console
