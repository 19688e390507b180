#include "tools/remissctl/pages.h"

#include <memory>
#include <set>

#include <google/protobuf/descriptor.h>

#include "remiss/followup/compilation_pages.h"
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

namespace {

// One version of the compilation, every page appended; the version's note and the round's
// frozen versions (from the first page).
remiss::v1::Compilation ReadVersion(const Options& o, const std::string& address,
                                    const std::string& referral_id, uint32_t version,
                                    remiss::v1::CompilationPage* first) {
  remiss::v1::GetCompilationPageRequest request;
  request.set_referral_id(referral_id);
  request.set_version(version);
  remiss::v1::Compilation whole;
  std::set<std::string> seen;
  for (bool at_first = true;; at_first = false) {
    remiss::v1::CompilationPage page;
    Call(o, address, "remiss.v1.FollowupService", "GetCompilationPage", request, &page);
    remiss::followup::AppendCompilationPage(&whole, page.compilation());
    const std::string token = page.next_page_token();
    if (at_first) {
      page.clear_compilation();
      *first = std::move(page);
    }
    if (token.empty()) return whole;
    if (!seen.insert(token).second) {
      throw CallError(kOther, "the server gave the same page_token twice; stopped following the pages");
    }
    request.set_page_token(token);
  }
}

}  // namespace

void CallWholeCompilation(const Options& o, const std::string& address,
                          const std::string& referral_id, remiss::v1::CompilationView* view) {
  remiss::v1::CompilationPage first;
  *view->mutable_live() = ReadVersion(o, address, referral_id, 0, &first);
  for (const auto& v : first.frozen_versions()) {
    remiss::v1::CompilationPage version_first;
    auto* frozen = view->add_frozen();
    *frozen->mutable_compilation() = ReadVersion(o, address, referral_id, v.version(), &version_first);
    frozen->set_referral_id(frozen->compilation().referral_id());
    frozen->set_version(v.version());
    frozen->set_note(v.note());
  }
}

}  // namespace remissctl
