#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "remiss/console/console.h"

namespace remiss::console {

absl::StatusOr<ConsoleOptions> ParseConsoleFlags(int argc, char** argv) {
  ConsoleOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    std::replace(name.begin(), name.end(), '_', '-');
    if (name == "dev-signin" && !has_value) {
      o.dev_signin = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", name, ": needs a value"));
      value = argv[++i];
    }
    if (name == "listen") {
      o.listen = value;
    } else if (name == "server") {
      o.referrals = o.responses = o.deadlines = o.followup = value;
    } else if (name == "referrals") {
      o.referrals = value;
    } else if (name == "responses") {
      o.responses = value;
    } else if (name == "deadlines") {
      o.deadlines = value;
    } else if (name == "followup") {
      o.followup = value;
    } else if (name == "dev-signin") {
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError("--dev-signin: must be true or false");
      }
      o.dev_signin = value == "true";
    } else if (name == "https-cert") {
      o.https_cert = value;
    } else if (name == "https-key") {
      o.https_key = value;
    } else if (name == "proxy-ca") {
      o.proxy_ca = value;
    } else if (name == "ca") {
      o.grpc_ca = value;
    } else if (name == "cert") {
      o.grpc_cert = value;
    } else if (name == "key") {
      o.grpc_key = value;
    } else if (name == "timeout") {
      if (!absl::SimpleAtoi(value, &o.call_timeout_seconds) || o.call_timeout_seconds < 1 ||
          o.call_timeout_seconds > 300) {
        return absl::InvalidArgumentError("--timeout: must be a number of seconds from 1 to 300");
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": unknown flag (see --help)"));
    }
  }
  if (o.listen.empty()) return absl::InvalidArgumentError("--listen: must be host:port");
  return o;
}

std::string ConsoleFlagsHelp() {
  return "  --listen HOST:PORT        where to serve the console (default 127.0.0.1:8080; port 0 picks one)\n"
         "  --server HOST:PORT        the one remissd that serves every service (default 127.0.0.1:50051)\n"
         "  --referrals, --responses, --deadlines, --followup HOST:PORT\n"
         "                            each service's own address, when they run as separate processes\n"
         "  --dev-signin              development: choose a development identity at /logga-in\n"
         "                            (only on a loopback listener without HTTPS)\n"
         "  --https-cert FILE, --https-key FILE, --proxy-ca FILE\n"
         "                            production: serve HTTPS only to the authenticating front proxy\n"
         "                            (its client certificate must come from --proxy-ca) and trust the\n"
         "                            person it names in X-Remiss-Person, X-Remiss-Org, X-Remiss-Role.\n"
         "                            Required on any listener but loopback\n"
         "  --ca FILE, --cert FILE, --key FILE\n"
         "                            the services speak mutual TLS: their CA, and the console's own\n"
         "                            certificate and key (role gateway; see tools/pki.sh)\n"
         "  --timeout SECONDS         the deadline of every call to a service (default 10)\n";
}

}  // namespace remiss::console
