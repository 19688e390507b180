// A request that protobuf cannot parse (a string field that is not UTF-8, malformed bytes)
// never reaches a handler, and gRPC 1.51's callback API answers it UNIMPLEMENTED with no
// message. This makes that answer INVALID_ARGUMENT naming the field: protobuf's log handler
// (installed here; every line it writes becomes a JSON line) remembers, on the parsing
// thread, which field was not UTF-8, and a server interceptor that sees the request was not
// parsed replaces the status as it is sent. Thread-safe.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace remiss::core {

// Protobuf's own log lines as JSON lines on stderr (process-wide; idempotent).
void InstallProtobufLogHandler();

// The interceptor (one per call) that answers an unparsable request INVALID_ARGUMENT.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ParseRefusalInterceptorFactory();

}  // namespace remiss::core
