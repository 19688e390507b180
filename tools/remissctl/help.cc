#include "tools/remissctl/help.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "tools/remissctl/pages.h"
#include "tools/remissctl/request_builder.h"
#include "tools/remissctl/rpc.h"

namespace remissctl {
namespace {

constexpr char kGlobal[] = R"(Global options (anywhere on the line):
  --server HOST:PORT     the server (env REMISS_SERVER; default 127.0.0.1:50051)
  --referrals ADDR, --responses ADDR, --deadlines ADDR, --followup ADDR, --notices ADDR
                         each service at its own address (env REMISS_REFERRALS, ...);
                         falls back to --server
  --json                 print the answer as protobuf JSON (for scripts)
  --file REQUEST.json    the request (or part of it) in protobuf JSON; flags and
                         arguments given as well are applied on top
  --command-id ID        the command's id (default: a new random one); sending the same
                         command again with the same id is safe
  --timeout SECONDS      every call's deadline (default 10)
  --as-org ID, --as-role ROLE, --as-person ID
                         who is calling (env REMISS_AS_ORG, ...; ids, never names), on a
                         plaintext loopback server only; under TLS the certificate says
  --ca FILE, --cert FILE, --key FILE
                         mutual TLS: the CA, this caller's certificate and key (PEM; env
                         REMISS_CA, REMISS_CERT, REMISS_KEY); no --ca: plaintext
  --pki DIR              a tools/pki.sh directory (env REMISS_PKI): its ca.pem, and for
                         `demo` the certificate of each actor (ks, boards, operator)

Exit codes: 0 ok, 2 usage error, 3 not found, 4 refused (invalid argument, failed
precondition, already exists, aborted, permission denied, unauthenticated), 5 unavailable or deadline exceeded, 1 other.
)";

void Line(std::ostream& out, const Command& c) {
  std::string head = "  " + c.words;
  if (head.size() < 28) head.resize(28, ' ');
  else head += "  ";
  out << head << c.summary << "\n";
}

}  // namespace

std::string ArgName(const std::string& path) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(path, {{"_", "-"}}));
}

void PrintTopHelp(std::ostream& out) {
  out << "remissctl: the command line for the referral rounds (remisser) of remiss.\n\n"
         "Usage: remissctl COMMAND [ARGUMENTS] [--FIELD VALUE ...] [OPTIONS]\n"
         "       remissctl COMMAND --help     (its arguments, every field, an example)\n\n"
         "Commands:\n";
  for (const Command& c : Commands()) Line(out, c);
  out << "  org ORG-ID                  what an organization owes (the same as org view)\n"
         "  demo                        load both seed rounds into a running remissd (manual clock)\n"
         "  events SERVICE              a service's event log (--from N, --follow; integrator, operator)\n\n";
  out << kGlobal;
  out << "\nExamples:\n"
         "  remissctl referral create \"KS 2019/1939\" \"Stockholms stads trygghetsprogram 2020-2023\" ks\n"
         "  remissctl board \"KS 2019/1939\"\n"
         "  remissctl org bromma-sdn\n"
         "  remissctl response decide \"KS 2019/1939\" bromma-sdn --file examples/bromma-board-decision.json\n";
}

bool PrintGroupHelp(std::ostream& out, const std::string& group) {
  bool any = false;
  for (const Command& c : Commands()) {
    if (c.words.rfind(group + " ", 0) == 0 || c.words == group) {
      if (!any) out << "remissctl " << group << ": one of\n";
      any = true;
      Line(out, c);
    }
  }
  if (any) out << "\nremissctl " << group << " SUBCOMMAND --help shows its arguments and an example.\n";
  return any;
}

void PrintCommandHelp(std::ostream& out, const Command& c) {
  out << "Usage: remissctl " << c.words;
  for (size_t i = 0; i < c.positionals.size(); ++i) {
    bool req = static_cast<int>(i) < c.required_positionals;
    const bool more = c.rest && i + 1 == c.positionals.size();  // takes every further argument
    out << " " << (req ? "" : "[") << ArgName(c.positionals[i]) << (more ? " ..." : "")
        << (req ? "" : "]");
  }
  out << " [--FIELD VALUE ...]\n\n" << c.summary << ".\n";
  out << "Calls " << c.service << "/" << c.method << ".\n";
  const auto* m = FindMethod(c.service, c.method);
  if (m) {
    out << "\nRequest fields (" << m->input_type()->full_name()
        << "), each settable as --FIELD VALUE; nested with dots; enums by name:\n";
    for (const auto& [flag, hint] : FieldFlags(m->input_type())) {
      std::string head = "  --" + flag;
      if (head.size() < 40) head.resize(40, ' ');
      else head += "  ";
      out << head << hint << "\n";
    }
    if (m->input_type()->FindFieldByName("command_id")) {
      out << "\nA command: --command-id is generated unless given; repeat it to retry safely.\n";
    }
    if (IsPaged(*m)) {
      out << "\nA list: every page is fetched and shown as one table (one JSON document with\n"
             "--json); --page-size N sets the rows asked for per call (default 50, at most 500).\n";
    }
  }
  out << "\nExample:\n  " << c.example << "\n";
  out << "\nAdd --json to print the answer as protobuf JSON; --file REQUEST.json gives the whole request.\n";
}

}  // namespace remissctl
