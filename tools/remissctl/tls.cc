#include "tools/remissctl/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tools/remissctl/errors.h"

namespace remissctl {
namespace {

std::string ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const Options& o) {
  if (o.ca.empty()) {
    if (!o.cert.empty() || !o.key.empty()) {
      throw UsageError("--cert/--key need --ca (the CA that issued the server's certificate)");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (o.cert.empty() != o.key.empty()) throw UsageError("--cert and --key go together");
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadPem("--ca", o.ca);
  if (!o.cert.empty()) {
    ssl.pem_cert_chain = ReadPem("--cert", o.cert);
    ssl.pem_private_key = ReadPem("--key", o.key);
  }
  return grpc::SslCredentials(ssl);
}

Options WithPkiIdentity(const Options& o, const std::string& name) {
  Options out = o;
  out.cert = absl::StrCat(o.pki, "/", name, ".pem");
  out.key = absl::StrCat(o.pki, "/", name, ".key");
  return out;
}

}  // namespace remissctl
