// The web console: KS staff and board registrars work in a browser. An HTTP server of its own
// (server-rendered HTML in Swedish, every page also as JSON) that is a gRPC client of the four
// services, calling them for the signed-in person. `remiss-console` runs it as a program;
// `remissd --console-listen` hosts it in-process. Start() returns a running console; it
// stops when destroyed. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace remiss::console {

struct ConsoleOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks one
  // Where each service answers (one remissd: the same address four times).
  std::string referrals = "127.0.0.1:50051";
  std::string responses = "127.0.0.1:50051";
  std::string deadlines = "127.0.0.1:50051";
  std::string followup = "127.0.0.1:50051";
  // The notices service (what was mailed to each board's registry); when it does not answer
  // (remissd without --smtp-url) the pages say that no mail is sent.
  std::string notices = "127.0.0.1:50051";
  // Development: a chooser of the development identities at /logga-in. Refused unless the
  // listener is loopback and plaintext.
  bool dev_signin = false;
  // Production: the console serves HTTPS and accepts only connections that present a client
  // certificate from `proxy_ca` (the authenticating front proxy); it then trusts the
  // person the proxy names in X-Remiss-Person, X-Remiss-Org, X-Remiss-Role. Required on any
  // listener that is not loopback.
  std::string https_cert, https_key, proxy_ca;
  // The name the proxy's client certificate must carry (a DNS name in its subjectAltName):
  // another certificate of `proxy_ca` is not the proxy. Required with HTTPS.
  std::string proxy_name;
  // The services under mutual TLS: the console's own certificate (role `gateway`) and the CA.
  std::string grpc_ca, grpc_cert, grpc_key;
  // The names the console answers to besides its listener's own address (`Host` as the
  // browser sends it: "remiss.stockholm.se", "console.internal:8443"). Any other Host is
  // refused (DNS rebinding).
  std::vector<std::string> hosts;
  int call_timeout_seconds = 10;
  bool help = false;
};

// Parses the console's flags (argv as main gets it). Errors name the flag.
[[nodiscard]] absl::StatusOr<ConsoleOptions> ParseConsoleFlags(int argc, char** argv);
[[nodiscard]] std::string ConsoleFlagsHelp();

class Console {
 public:
  virtual ~Console() = default;
  // The console's own address, "http://127.0.0.1:8080/" (https:// behind the proxy).
  virtual std::string Url() const = 0;
};

// Checks the options (dev sign-in only on loopback; HTTPS with the proxy's CA off loopback),
// binds the listener and starts serving on threads of its own. Errors say why in one line.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Console>> StartConsole(const ConsoleOptions& options);

}  // namespace remiss::console
