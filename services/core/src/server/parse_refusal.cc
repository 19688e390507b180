#include "remiss/core/server/parse_refusal.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/stubs/logging.h>

#include <iostream>
#include <mutex>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/telemetry/log.h"

namespace remiss::core {
namespace {

// The field protobuf last refused as not UTF-8 on this thread: "remiss.v1.Statement.summary".
thread_local std::string invalid_utf8_field;

void ProtobufLog(google::protobuf::LogLevel level, const char* filename, int line, const std::string& message) {
  static constexpr absl::string_view kPrefix = "String field '";
  if (absl::StartsWith(message, kPrefix)) {
    const size_t end = message.find('\'', kPrefix.size());
    if (end != std::string::npos && absl::StrContains(message, "invalid UTF-8")) {
      invalid_utf8_field = message.substr(kPrefix.size(), end - kPrefix.size());
    }
  }
  const char* severity = level == google::protobuf::LOGLEVEL_INFO      ? "INFO"
                         : level == google::protobuf::LOGLEVEL_WARNING ? "WARNING"
                         : level == google::protobuf::LOGLEVEL_ERROR   ? "ERROR"
                                                                       : "FATAL";
  std::cerr << JsonLine("protobuf", "protobuf_log",
                        {{"severity", severity}, {"at", absl::StrCat(filename, ":", line)}, {"message", message}});
}

// Whether `type` is `request` or a message type reachable through its fields.
bool Reaches(const google::protobuf::Descriptor* request, const std::string& type) {
  std::set<const google::protobuf::Descriptor*> seen;
  std::vector<const google::protobuf::Descriptor*> todo = {request};
  while (!todo.empty()) {
    const google::protobuf::Descriptor* d = todo.back();
    todo.pop_back();
    if (d == nullptr || !seen.insert(d).second) continue;
    if (d->full_name() == type) return true;
    for (int i = 0; i < d->field_count(); ++i) todo.push_back(d->field(i)->message_type());
  }
  return false;
}

// What to answer instead of UNIMPLEMENTED: the field that was not UTF-8 when it belongs to
// this method's request, else the request as a whole.
std::string RefusalMessage(const char* path, const std::string& field) {
  const google::protobuf::Descriptor* request = nullptr;
  if (path != nullptr && path[0] == '/') {
    std::string name(path + 1);
    if (const size_t slash = name.find('/'); slash != std::string::npos) name[slash] = '.';
    if (const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name)) {
      request = method->input_type();
    }
  }
  const size_t dot = field.rfind('.');
  if (request != nullptr && dot != std::string::npos && Reaches(request, field.substr(0, dot))) {
    return absl::StrCat(field.substr(dot + 1), ": is not valid UTF-8 (", field, "); nothing was recorded");
  }
  return "request: could not be parsed (a string field that is not valid UTF-8, or malformed bytes); "
         "nothing was recorded";
}

class ParseRefusalInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ParseRefusalInterceptor(grpc::experimental::ServerRpcInfo* info) : path_(info->method()) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // Runs on the thread that just parsed (or failed to parse) the request.
      if (methods->GetRecvMessage() == nullptr) {
        unparsed_ = true;
        message_ = RefusalMessage(path_, invalid_utf8_field);
      }
      invalid_utf8_field.clear();
    }
    if (unparsed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message_));
    }
    methods->Proceed();
  }

 private:
  const char* path_;
  bool unparsed_ = false;
  std::string message_;
};

class ParseRefusalFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new ParseRefusalInterceptor(info);
  }
};

}  // namespace

void InstallProtobufLogHandler() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&ProtobufLog); });
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> ParseRefusalInterceptorFactory() {
  return std::make_unique<ParseRefusalFactory>();
}

}  // namespace remiss::core
