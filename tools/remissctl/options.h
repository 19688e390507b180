// Global options: where the services are, how long to wait, who is calling, how to print.
#pragma once

#include <string>
#include <vector>

namespace remissctl {

struct Options {
  std::string server = "127.0.0.1:50051";  // --server, REMISS_SERVER
  std::string referrals, responses, deadlines, followup, notices;  // --referrals ..., REMISS_REFERRALS ...
  double timeout_seconds = 10;              // --timeout, every call's deadline
  bool json = false;                        // --json
  std::string command_id;                   // --command-id
  std::vector<std::string> files;           // --file
  std::string as_org, as_role, as_person;   // --as-org ... (metadata x-remiss-org ...)
  // Mutual TLS (PEM files): --ca, --cert, --key (REMISS_CA, REMISS_CERT, REMISS_KEY); --pki DIR
  // (REMISS_PKI), a tools/pki.sh directory: its ca.pem unless --ca, and for `demo` one
  // certificate per actor. No CA: plaintext, for a loopback development server.
  std::string ca, cert, key, pki;
  bool help = false;
};

// Reads the environment first, then removes the global flags it knows from `args`
// (anywhere on the line) and fills them in. Throws UsageError.
Options ParseGlobalOptions(std::vector<std::string>* args);

// The address of the server that answers `service` ("remiss.v1.ReferralService", or a short
// name "referrals"); the admin and health services go to --server.
std::string AddressFor(const Options& o, const std::string& service);

// Every distinct address configured (for clock and health).
std::vector<std::pair<std::string, std::string>> AllAddresses(const Options& o);

}  // namespace remissctl
