#include "tools/remissctl/pages.h"

#include <memory>
#include <set>

#include <google/protobuf/descriptor.h>

#include "tools/remissctl/errors.h"
#include "tools/remissctl/rpc.h"

namespace remissctl {
namespace {

using google::protobuf::FieldDescriptor;

const FieldDescriptor* StringField(const google::protobuf::Descriptor* d, const char* name) {
  const FieldDescriptor* f = d->FindFieldByName(name);
  return f && f->type() == FieldDescriptor::TYPE_STRING && !f->is_repeated() ? f : nullptr;
}

}  // namespace

bool IsPaged(const google::protobuf::MethodDescriptor& method) {
  return StringField(method.input_type(), "page_token") &&
         StringField(method.output_type(), "next_page_token");
}

void CallEveryPage(const Options& o, const std::string& address,
                   const google::protobuf::MethodDescriptor& method,
                   const google::protobuf::Message& request, google::protobuf::Message* response) {
  const std::string service = method.service()->full_name();
  Call(o, address, service, method.name(), request, response);
  if (!IsPaged(method)) return;
  const FieldDescriptor* token_in = StringField(method.input_type(), "page_token");
  const FieldDescriptor* token_out = StringField(method.output_type(), "next_page_token");
  std::unique_ptr<google::protobuf::Message> next_request(request.New());
  next_request->CopyFrom(request);
  std::set<std::string> seen;
  for (;;) {
    std::string token = response->GetReflection()->GetString(*response, token_out);
    if (token.empty()) return;
    if (!seen.insert(token).second) {
      throw CallError(kOther, "the server gave the same page_token twice; stopped following the pages");
    }
    next_request->GetReflection()->SetString(next_request.get(), token_in, token);
    std::unique_ptr<google::protobuf::Message> page(response->New());
    Call(o, address, service, method.name(), *next_request, page.get());
    // A page's own (possibly empty) token replaces the last one; its rows follow the others.
    response->GetReflection()->ClearField(response, token_out);
    response->MergeFrom(*page);
  }
}

}  // namespace remissctl
