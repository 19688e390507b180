// The console's parts that need no browser: the PDF writer, CSRF tokens, the development
// identities, the proxy's headers, Swedish errors naming the field, and the listener's rules
// (development sign-in only on loopback, HTTPS with the proxy's CA elsewhere).
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "remiss/console/console.h"
#include "remiss/console/pdf.h"
#include "services/console/src/backend.h"
#include "services/console/src/identity.h"
#include "services/console/src/mailto.h"
#include "services/console/src/views.h"
#include "tests/support/temp_dir.h"

namespace remiss::console {
namespace {

TEST(Pdf, SwedishLettersComeOutInWinAnsi) {
  EXPECT_EQ(ToWinAnsi("Södermalm å ä ö Å Ä Ö é"), "S\xF6" "dermalm \xE5 \xE4 \xF6 \xC5 \xC4 \xD6 \xE9");
  EXPECT_EQ(ToWinAnsi("2020–2023 ”citat”"), "2020\x96" "2023 \x94" "citat\x94");
  EXPECT_EQ(ToWinAnsi("中"), "?");
}

TEST(Pdf, IsAWellFormedA4DocumentWithTheText) {
  std::vector<PdfBlock> blocks = {{PdfBlock::kTitle, "Remissammanställning: Trygghetsprogram"},
                                  {PdfBlock::kHeading, "Södermalms stadsdelsnämnd"},
                                  {PdfBlock::kQuote, std::string(6000, 'x') + " (slut)"}};
  for (int i = 0; i < 120; ++i) blocks.push_back({PdfBlock::kText, "Förvaltningen ställer sig positiv (§ 5)."});
  const std::string pdf = WritePdf("Remissammanställning KS 2019/1939", blocks);
  EXPECT_EQ(pdf.rfind("%PDF-1.4\n", 0), 0u);
  EXPECT_NE(pdf.find("/MediaBox [0 0 595.28 841.89]"), std::string::npos);
  EXPECT_NE(pdf.find("/Encoding /WinAnsiEncoding"), std::string::npos);
  EXPECT_NE(pdf.find("(S\xF6" "dermalms stadsdelsn\xE4mnd) Tj"), std::string::npos);
  EXPECT_NE(pdf.find("positiv \\(\xA7 5\\)."), std::string::npos);  // parentheses escaped
  // More than one page, and every xref offset points at its object.
  std::smatch count;
  ASSERT_TRUE(std::regex_search(pdf, count, std::regex("/Count (\\d+)")));
  EXPECT_GT(std::stoi(count[1]), 1);
  const size_t startxref = pdf.rfind("startxref\n");
  const size_t xref = std::stoul(pdf.substr(startxref + 10));
  ASSERT_EQ(pdf.compare(xref, 5, "xref\n"), 0);
  std::istringstream table(pdf.substr(xref));
  std::string line;
  std::getline(table, line);  // xref
  std::getline(table, line);  // 0 N
  const int objects = std::stoi(line.substr(2));
  std::getline(table, line);  // the free entry
  for (int i = 1; i < objects; ++i) {
    std::getline(table, line);
    const size_t offset = std::stoul(line.substr(0, 10));
    EXPECT_EQ(pdf.compare(offset, std::to_string(i).size() + 6, std::to_string(i) + " 0 obj"), 0) << "object " << i;
  }
}

TEST(Sessions, CsrfTokenBindsItsSession) {
  Sessions sessions;
  const std::string token = sessions.Open({"ks-registrator-1", "ks", "ks"});
  ASSERT_TRUE(sessions.Find(token).has_value());
  EXPECT_EQ(sessions.Find(token)->org_id, "ks");
  const std::string csrf = sessions.CsrfToken("session\n" + token);
  EXPECT_TRUE(sessions.CsrfValid("session\n" + token, csrf));
  EXPECT_FALSE(sessions.CsrfValid("session\nother", csrf));
  EXPECT_FALSE(sessions.CsrfValid("session\n" + token, ""));
  Sessions other;  // another process: another key
  EXPECT_FALSE(other.CsrfValid("session\n" + token, csrf));
  sessions.Close(token);
  EXPECT_FALSE(sessions.Find(token).has_value());
}

TEST(Identity, DevelopmentIdentitiesAreKsAReaderAndOneRegistrarPerBoard) {
  auto ids = DevIdentities({{"ks", "Kommunstyrelsen"}, {"bromma-sdn", "Bromma stadsdelsnämnd"}});
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[0].person.role, "ks");
  EXPECT_EQ(ids[2].person.role, "reader");
  EXPECT_EQ(ids[3].person.id, "bromma-sdn-registrator-1");
  EXPECT_TRUE(ids[3].person.registrar_of("bromma-sdn"));
  EXPECT_FALSE(ids[3].person.registrar_of("sodermalm-sdn"));
}

TEST(Identity, ProxyHeadersMustNameIdsAndAKnownRole) {
  EXPECT_TRUE(PersonFromProxyHeaders("p-123", "bromma-sdn", "board").has_value());
  EXPECT_FALSE(PersonFromProxyHeaders("", "bromma-sdn", "board").has_value());
  EXPECT_FALSE(PersonFromProxyHeaders("Anna Andersson", "bromma-sdn", "board").has_value());
  EXPECT_FALSE(PersonFromProxyHeaders("p-123", "bromma-sdn", "operator").has_value());
  EXPECT_FALSE(PersonFromProxyHeaders("p-123", "bromma-sdn", "gateway").has_value());
}

TEST(Errors, SwedishNamingTheField) {
  grpc::Status s(grpc::StatusCode::INVALID_ARGUMENT, "case_number: must contain at least one digit");
  EXPECT_EQ(SwedishError(s),
            "Uppgiften godtogs inte: fältet Diarienummer (case_number): must contain at least one digit");
  grpc::Status denied(grpc::StatusCode::PERMISSION_DENIED, "the role board may not call it");
  EXPECT_EQ(SwedishError(denied).rfind("Du har inte behörighet", 0), 0u);
}

// Finding 9: a mailbox recorded before the services checked it never becomes a mailto: link
// that carries recipients, a subject or a body of someone else's choosing.
TEST(Mailto, OnlyAPlainAddressBecomesALink) {
  EXPECT_EQ(MailboxHtml("registrator.bromma@stockholm.se", "Påminnelse: remiss KS 2019/1939"),
            "<a href=\"mailto:registrator.bromma@stockholm.se?subject=P%C3%A5minnelse%3A%20remiss%20KS%202019%2F1939\">"
            "registrator.bromma@stockholm.se</a>");
  for (const char* bad : {"reg?cc=ut%40evil.example@stockholm.se", "reg&bcc=ut@stockholm.se", "x?body=hej@stockholm.se",
                          "a/b@stockholm.se", "a@stockholm.se?cc=b@evil.example", "a@b", "a@x.se\" onclick=\"x"}) {
    EXPECT_FALSE(IsPlainMailbox(bad)) << bad;
    EXPECT_EQ(MailboxHtml(bad).find("mailto:"), std::string::npos) << bad;
  }
  nlohmann::json org = {{"organization", {{"org_id", "bromma-sdn"}, {"name", "Bromma"},
                                          {"registry_mailbox", "reg?cc=ut%40evil.example@stockholm.se"}}},
                        {"owes", nlohmann::json::array()}, {"answered", nlohmann::json::array()}};
  const std::string page = OrganizationView(org, ViewContext{Person{"ks-registrator-1", "ks", "ks"}, "csrf", "id"});
  EXPECT_EQ(page.find("mailto:"), std::string::npos) << page;
  EXPECT_NE(page.find("reg?cc=ut%40evil.example@stockholm.se"), std::string::npos) << page;
}

// Finding 3: the compilation's party statements come once with references per party; a
// compilation frozen before that has copies. The console reads both the same way.
TEST(Compilation, StatementsByPartyReadsReferencesAndOldFrozenCopies) {
  const nlohmann::json statement = {{"org_id", "bromma-sdn"}, {"kind", "reservation"},
                                    {"parties", {"S", "V"}}, {"text", "Vi reserverar oss."}};
  const nlohmann::json now = {{"party_statements", {statement}},
                              {"party_statement_refs", {{"S", {{"indexes", {0}}}}, {"V", {{"indexes", {0, 7}}}}}}};
  const nlohmann::json frozen = {{"statements_by_party", {{"S", {{"statements", {statement}}}},
                                                          {"V", {{"statements", {statement}}}}}}};
  for (const nlohmann::json& comp : {now, frozen}) {
    auto by_party = StatementsByParty(comp);
    ASSERT_EQ(by_party.size(), 2u) << comp.dump();
    ASSERT_EQ(by_party["S"].size(), 1u);
    ASSERT_EQ(by_party["V"].size(), 1u);  // an index out of range is no statement
    EXPECT_EQ(by_party["V"][0]["text"], "Vi reserverar oss.");
  }
  EXPECT_TRUE(StatementsByParty(nlohmann::json::object()).empty());
}

TEST(Listener, DevelopmentSignInOnlyOnLoopback) {
  ConsoleOptions o;
  o.listen = "0.0.0.0:0";
  o.dev_signin = true;
  auto c = StartConsole(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--dev-signin"), std::string::npos);
}

// Finding 6: a name that starts "127." is not loopback (what it resolves to decides).
TEST(Listener, DevelopmentSignInRefusedOnANameThatOnlyLooksLikeLoopback) {
  ConsoleOptions o;
  o.listen = "127.0.0.1.rebound.invalid:0";
  o.dev_signin = true;
  auto c = StartConsole(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--dev-signin"), std::string::npos) << c.status();
}

TEST(Listener, OffLoopbackOnlyHttpsForTheProxy) {
  ConsoleOptions o;
  o.listen = "0.0.0.0:0";
  auto c = StartConsole(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--https-cert"), std::string::npos);
  o.https_cert = "/nonexistent/cert.pem";
  c = StartConsole(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("give all three"), std::string::npos);
}

TEST(Listener, LoopbackStartsAndSaysWhere) {
  ConsoleOptions o;
  o.listen = "127.0.0.1:0";
  o.dev_signin = true;
  auto c = StartConsole(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->Url().rfind("http://127.0.0.1:", 0), 0u);
}

// A gateway certificate (with its CA) from tools/pki.sh, made once for the listener tests.
class GatewayPki : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new remiss::testing::TempDir();
    const std::string tool = std::string(REMISS_SOURCE_DIR) + "/tools/pki.sh";
    const std::string script = tool + " ca " + dir_->path() + " && " + tool + " client " + dir_->path() +
                               " gateway console gateway";
    ASSERT_EQ(std::system(script.c_str()), 0) << script;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static ConsoleOptions WithGateway() {
    ConsoleOptions o;
    o.listen = "127.0.0.1:0";
    o.grpc_ca = dir_->Sub("ca.pem");
    o.grpc_cert = dir_->Sub("gateway.pem");
    o.grpc_key = dir_->Sub("gateway.key");
    return o;
  }
  static remiss::testing::TempDir* dir_;
};
remiss::testing::TempDir* GatewayPki::dir_ = nullptr;

// Finding 2: the chooser with the gateway certificate would act as anyone on the mutual-TLS
// services; the console refuses the combination at start.
TEST_F(GatewayPki, DevelopmentSignInRefusedWithTheGatewayCertificate) {
  ConsoleOptions o = WithGateway();
  ASSERT_TRUE(StartConsole(o).ok()) << "the gateway certificate alone starts";
  o.dev_signin = true;
  auto c = StartConsole(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("--dev-signin"), std::string::npos) << c.status();
  EXPECT_NE(c.status().message().find("--cert"), std::string::npos) << c.status();
}

// Finding 14: unreadable or unusable --ca, --cert, --key stop the start, naming the flag.
TEST_F(GatewayPki, UnreadableServiceCertificatesStopTheStartNamingTheFlag) {
  {
    ConsoleOptions o = WithGateway();
    o.grpc_cert = dir_->Sub("missing.pem");
    auto c = StartConsole(o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().message().rfind("--cert: cannot read", 0), 0u) << c.status();
  }
  {
    ConsoleOptions o = WithGateway();
    o.grpc_ca = dir_->Sub("missing-ca.pem");
    auto c = StartConsole(o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().message().rfind("--ca: cannot read", 0), 0u) << c.status();
  }
  {
    ConsoleOptions o = WithGateway();
    o.grpc_key = dir_->Sub("gateway.pem");  // a certificate where the key should be
    auto c = StartConsole(o);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().message().rfind("--key:", 0), 0u) << c.status();
  }
  {
    ConsoleOptions o = WithGateway();
    o.grpc_key.clear();  // half of the set
    auto c = StartConsole(o);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("give all three"), std::string::npos) << c.status();
  }
}

// A console on a loopback port whose services are nowhere (nothing here reaches them).
std::unique_ptr<Console> DevConsole(std::vector<std::string> hosts = {}) {
  ConsoleOptions o;
  o.listen = "127.0.0.1:0";
  o.dev_signin = true;
  o.referrals = o.responses = o.deadlines = o.followup = "127.0.0.1:1";
  o.hosts = std::move(hosts);
  auto c = StartConsole(o);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

int PortOf(const Console& c) {
  const std::string url = c.Url();  // http://127.0.0.1:PORT/
  return std::stoi(url.substr(url.rfind(':') + 1));
}

// Finding 1: a page whose name is rebound to 127.0.0.1 sends its own name in Host and Origin;
// the console answers only to its own name, and takes forms only from its own pages.
TEST(Listener, AnswersOnlyToItsOwnNameAndTakesFormsOnlyFromItsPages) {
  auto console = DevConsole({"remiss.example"});
  ASSERT_NE(console, nullptr);
  const int port = PortOf(*console);
  const std::string self = absl::StrCat("127.0.0.1:", port);
  httplib::Client http("127.0.0.1", port);
  auto get = [&](const std::string& host) {
    auto r = http.Get("/stil.css", {{"Host", host}});
    return r ? r->status : -1;
  };
  EXPECT_EQ(get(self), 200);
  EXPECT_EQ(get(absl::StrCat("localhost:", port)), 200);
  EXPECT_EQ(get("remiss.example"), 200);  // configured (--host)
  EXPECT_EQ(get(absl::StrCat("rebound.example:", port)), 421);
  EXPECT_EQ(get(absl::StrCat("127.0.0.1.rebound.example:", port)), 421);
  EXPECT_EQ(get(""), 421);
  auto signin = http.Get("/logga-in", {{"Host", absl::StrCat("rebound.example:", port)}});
  ASSERT_TRUE(signin);
  EXPECT_EQ(signin->status, 421);
  EXPECT_EQ(signin->body.find("ks-registrator-1"), std::string::npos);

  auto post = [&](const httplib::Headers& headers) {
    httplib::Headers h = headers;
    h.emplace("Host", self);
    h.emplace("Cookie", "remiss_pre=abc");
    return http.Post("/logga-in", h, "identity=ks-registrator-1&csrf=x", "application/x-www-form-urlencoded");
  };
  for (const httplib::Headers& foreign :
       {httplib::Headers{{"Origin", absl::StrCat("http://rebound.example:", port)}},
        httplib::Headers{{"Origin", "null"}},
        httplib::Headers{},  // neither Origin nor Sec-Fetch-Site
        httplib::Headers{{"Sec-Fetch-Site", "cross-site"}},
        httplib::Headers{{"Origin", absl::StrCat("http://", self)}, {"Sec-Fetch-Site", "cross-site"}}}) {
    auto r = post(foreign);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(r->body.find("(Origin)"), std::string::npos) << r->body;
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }
  // From its own page the form reaches the sign-in (which then checks its CSRF token).
  for (const httplib::Headers& own : {httplib::Headers{{"Origin", absl::StrCat("http://", self)}},
                                      httplib::Headers{{"Sec-Fetch-Site", "same-origin"}}}) {
    auto r = post(own);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(r->body.find("(CSRF)"), std::string::npos) << r->body;
  }
}

TEST(Flags, ParseAndNameTheFlag) {
  std::vector<std::string> args = {"remiss-console", "--listen", "127.0.0.1:0", "--server=127.0.0.1:6000", "--dev-signin"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  auto o = ParseConsoleFlags(static_cast<int>(argv.size()), argv.data());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->followup, "127.0.0.1:6000");
  EXPECT_TRUE(o->dev_signin);
  std::vector<std::string> bad = {"remiss-console", "--colour", "red"};
  argv.clear();
  for (auto& a : bad) argv.push_back(a.data());
  auto e = ParseConsoleFlags(static_cast<int>(argv.size()), argv.data());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("--colour"), std::string::npos);
}

}  // namespace
}  // namespace remiss::console
