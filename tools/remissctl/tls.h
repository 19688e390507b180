// Channel credentials for remissctl: mutual TLS with the CA, certificate and key the options
// name (--ca/--cert/--key, REMISS_CA/REMISS_CERT/REMISS_KEY; --pki DIR for tools/pki.sh's
// directory), or plaintext when no CA is given (a loopback development server).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "tools/remissctl/options.h"

namespace remissctl {

// The credentials for the options' own certificate. Throws UsageError for unreadable files.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const Options& o);

// Options that present tools/pki.sh's certificate `name` from --pki (DIR/name.pem, .key).
Options WithPkiIdentity(const Options& o, const std::string& name);

}  // namespace remissctl
