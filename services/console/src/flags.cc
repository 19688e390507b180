#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "remiss/console/console.h"
#include "remiss/core/server/flag_reader.h"

namespace remiss::console {

absl::StatusOr<ConsoleOptions> ParseConsoleFlags(int argc, char** argv) {
  ConsoleOptions o;
  absl::Status read = core::ReadFlags(
      argc, argv, [](absl::string_view name) { return name == "dev-signin"; },
      [&o](const core::CommandLineFlag& flag) -> absl::Status {
        const std::string& name = flag.name;
        const std::string& value = flag.value;
        if (name == "listen") {
          o.listen = value;
        } else if (name == "server") {
          o.referrals = o.responses = o.deadlines = o.followup = o.notices = value;
        } else if (name == "referrals") {
          o.referrals = value;
        } else if (name == "responses") {
          o.responses = value;
        } else if (name == "deadlines") {
          o.deadlines = value;
        } else if (name == "followup") {
          o.followup = value;
        } else if (name == "notices") {
          o.notices = value;
        } else if (name == "dev-signin") {
          return core::ReadSwitch(flag, &o.dev_signin);
        } else if (name == "https-cert") {
          o.https_cert = value;
        } else if (name == "https-key") {
          o.https_key = value;
        } else if (name == "proxy-ca") {
          o.proxy_ca = value;
        } else if (name == "proxy-name") {
          o.proxy_name = value;
        } else if (name == "ca") {
          o.grpc_ca = value;
        } else if (name == "cert") {
          o.grpc_cert = value;
        } else if (name == "key") {
          o.grpc_key = value;
        } else if (name == "host") {
          for (absl::string_view h : absl::StrSplit(value, ',', absl::SkipEmpty())) o.hosts.emplace_back(h);
        } else if (name == "timeout") {
          if (!absl::SimpleAtoi(value, &o.call_timeout_seconds) || o.call_timeout_seconds < 1 ||
              o.call_timeout_seconds > 300) {
            return absl::InvalidArgumentError("--timeout: must be a number of seconds from 1 to 300");
          }
        } else {
          return core::UnknownFlag(flag);
        }
        return absl::OkStatus();
      },
      &o.help);
  if (!read.ok()) return read;
  if (o.listen.empty()) return absl::InvalidArgumentError("--listen: must be host:port");
  return o;
}

std::string ConsoleFlagsHelp() {
  return "  --listen HOST:PORT        where to serve the console (default 127.0.0.1:8080; port 0 picks one)\n"
         "  --server HOST:PORT        the one remissd that serves every service (default 127.0.0.1:50051)\n"
         "  --referrals, --responses, --deadlines, --followup, --notices HOST:PORT\n"
         "                            each service's own address, when they run as separate processes\n"
         "  --dev-signin              development: choose a development identity at /logga-in\n"
         "                            (only on a loopback listener, without HTTPS and\n"
         "                            without --ca/--cert/--key)\n"
         "  --https-cert FILE, --https-key FILE, --proxy-ca FILE\n"
         "                            production: serve HTTPS only to the authenticating front proxy\n"
         "                            (its client certificate must come from --proxy-ca) and trust the\n"
         "                            person it names in X-Remiss-Person, X-Remiss-Org, X-Remiss-Role.\n"
         "                            Required on any listener but loopback\n"
         "  --proxy-name NAME         with HTTPS: the DNS name the proxy's client certificate must\n"
         "                            carry; another certificate of --proxy-ca is refused\n"
         "  --ca FILE, --cert FILE, --key FILE\n"
         "                            the services speak mutual TLS: their CA, and the console's own\n"
         "                            certificate and key (role gateway; see tools/pki.sh)\n"
         "  --host NAME[,NAME...]     the names the console answers to besides its listener's address\n"
         "                            (Host as the browser sends it, e.g. the front proxy's public\n"
         "                            name); any other Host is refused (repeatable)\n"
         "  --timeout SECONDS         the deadline of every call to a service (default 10)\n";
}

}  // namespace remiss::console
