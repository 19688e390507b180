// Calls one method through grpc::GenericStub with serialized bytes, a deadline on every call
// and the caller's identity in metadata.
#pragma once

#include <memory>
#include <string>

#include <google/protobuf/message.h>

#include "tools/remissctl/options.h"

namespace remissctl {

// A new, empty message of the named type (from the generated pool).
std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor* d);

// The method's descriptor ("remiss.v1.ReferralService", "CreateReferral"); nullptr if unknown.
const google::protobuf::MethodDescriptor* FindMethod(const std::string& service,
                                                     const std::string& method);

// Calls service/method at `address` and parses the answer into `response`.
// Throws CallError (with the exit code and a sentence) when the call fails.
void Call(const Options& o, const std::string& address, const std::string& service,
          const std::string& method, const google::protobuf::Message& request,
          google::protobuf::Message* response);

}  // namespace remissctl
