#include "options.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "remiss/core/server/auth_gate.h"

namespace remiss::console {
namespace {

enum class Pem { kCertificate, kKey };

// Whether `path` can be opened and holds a PEM certificate (or key); the error names `flag`.
absl::Status UsablePem(const std::string& flag, const std::string& path, Pem kind) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  bool ok = false;
  if (kind == Pem::kCertificate) {
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    ok = cert != nullptr;
    X509_free(cert);
  } else {
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    ok = key != nullptr;
    EVP_PKEY_free(key);
  }
  BIO_free(bio);
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", path, " holds no PEM ", kind == Pem::kCertificate ? "certificate" : "private key"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckConsoleOptions(const ConsoleOptions& o) {
  const bool loopback = core::IsLoopbackAddress(o.listen);
  const bool any_https = !o.https_cert.empty() || !o.https_key.empty() || !o.proxy_ca.empty();
  const bool any_grpc_tls = !o.grpc_ca.empty() || !o.grpc_cert.empty() || !o.grpc_key.empty();
  if (any_https && (o.https_cert.empty() || o.https_key.empty() || o.proxy_ca.empty())) {
    return absl::InvalidArgumentError("--https-cert, --https-key and --proxy-ca: give all three (HTTPS for the front proxy) or none");
  }
  if (any_https && o.proxy_name.empty()) {
    return absl::InvalidArgumentError(
        "--proxy-name: required with HTTPS: the DNS name the front proxy's client certificate carries "
        "(any other certificate of --proxy-ca is refused)");
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
  if (any_grpc_tls) {
    if (o.grpc_ca.empty() || o.grpc_cert.empty() || o.grpc_key.empty()) {
      return absl::InvalidArgumentError("--ca, --cert and --key: give all three (mutual TLS to the services) or none");
    }
    if (absl::Status s = UsablePem("--ca", o.grpc_ca, Pem::kCertificate); !s.ok()) return s;
    if (absl::Status s = UsablePem("--cert", o.grpc_cert, Pem::kCertificate); !s.ok()) return s;
    if (absl::Status s = UsablePem("--key", o.grpc_key, Pem::kKey); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace remiss::console
