#include "options.h"

#include "absl/strings/str_cat.h"
#include "remiss/core/server/auth_gate.h"

namespace remiss::console {

absl::Status CheckConsoleOptions(const ConsoleOptions& o) {
  const bool loopback = core::IsLoopbackAddress(o.listen);
  const bool any_https = !o.https_cert.empty() || !o.https_key.empty() || !o.proxy_ca.empty();
  const bool any_grpc_tls = !o.grpc_ca.empty() || !o.grpc_cert.empty() || !o.grpc_key.empty();
  if (any_https && (o.https_cert.empty() || o.https_key.empty() || o.proxy_ca.empty())) {
    return absl::InvalidArgumentError("--https-cert, --https-key and --proxy-ca: give all three (HTTPS for the front proxy) or none");
  }
  if (o.dev_signin && (!loopback || any_https)) {
    return absl::InvalidArgumentError("--dev-signin: only on a loopback listener without HTTPS (development)");
  }
  if (o.dev_signin && any_grpc_tls) {
    return absl::InvalidArgumentError(
        "--dev-signin: not with --ca, --cert, --key (the gateway certificate would let anyone who "
        "chooses an identity act as that person on the mutual-TLS services)");
  }
  if (!loopback && !any_https) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--listen ", o.listen, ": off loopback the console serves only HTTPS to the front proxy "
        "(--https-cert, --https-key, --proxy-ca)"));
  }
  return absl::OkStatus();
}

}  // namespace remiss::console
