#include "tools/remissctl/runner.h"

#include <random>

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/help.h"
#include "tools/remissctl/pages.h"
#include "tools/remissctl/render.h"
#include "tools/remissctl/request_builder.h"
#include "tools/remissctl/rpc.h"
#include "tools/remissctl/views.h"

namespace remissctl {
namespace {

bool IsBoolWord(const std::string& s) {
  return s == "true" || s == "false" || s == "yes" || s == "no" || s == "ja" || s == "nej";
}

}  // namespace

std::string NewCommandId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  return absl::StrFormat("ctl-%016x", gen());
}

std::unique_ptr<google::protobuf::Message> BuildRequest(const Options& o, const Command& cmd,
                                                        const std::vector<std::string>& args) {
  const auto* method = FindMethod(cmd.service, cmd.method);
  if (!method) throw std::runtime_error(absl::StrCat("unknown method ", cmd.service, "/", cmd.method));
  const auto* type = method->input_type();
  auto req = NewMessage(type);
  for (const auto& [field, value] : cmd.presets) SetField(req.get(), field, value);
  for (const std::string& f : o.files) MergeJsonFile(f, req.get());

  size_t pos = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2), value;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (IsBoolField(type, name) && (i + 1 >= args.size() || !IsBoolWord(args[i + 1]))) {
        value = "true";
      } else {
        if (i + 1 >= args.size()) throw UsageError(absl::StrCat(a, " needs a value"));
        value = args[++i];
      }
      SetField(req.get(), name, value);
      continue;
    }
    if (pos >= cmd.positionals.size() && cmd.rest && !cmd.positionals.empty()) {
      SetField(req.get(), cmd.positionals.back(), a);  // a repeated field: one more item
      continue;
    }
    if (pos >= cmd.positionals.size()) {
      throw UsageError(absl::StrCat("remissctl ", cmd.words, " takes ", cmd.positionals.size(),
                                    " argument", cmd.positionals.size() == 1 ? "" : "s",
                                    "; \"", a, "\" is one too many"));
    }
    SetField(req.get(), cmd.positionals[pos++], a);
  }
  for (int i = 0; i < cmd.required_positionals; ++i) {
    if (FieldText(*req, cmd.positionals[i]).empty()) {
      throw UsageError(absl::StrCat("remissctl ", cmd.words, " needs ", ArgName(cmd.positionals[i]),
                                    " (e.g. ", cmd.example, ")"));
    }
  }
  if (const auto* f = type->FindFieldByName("command_id")) {
    if (req->GetReflection()->GetString(*req, f).empty()) {
      req->GetReflection()->SetString(req.get(), f, o.command_id.empty() ? NewCommandId() : o.command_id);
    }
  }
  return req;
}

int RunCommand(const Options& o, const Command& cmd, const std::vector<std::string>& args,
               std::ostream& out) {
  auto req = BuildRequest(o, cmd, args);
  const auto* method = FindMethod(cmd.service, cmd.method);

  // Where to send it: its service's address; admin calls naming a service go to that
  // service's address; clock moves and health checks go to every distinct server.
  std::vector<std::pair<std::string, std::string>> targets;
  if (cmd.every_server || cmd.view == View::kHealth) {
    targets = AllAddresses(o);
  } else if (cmd.service == "remiss.v1.AdminService") {
    targets = {{"", AddressFor(o, FieldText(*req, "service"))}};
  } else {
    targets = {{"", AddressFor(o, cmd.service)}};
  }

  int code = kOk;
  for (const auto& [name, address] : targets) {
    auto resp = NewMessage(method->output_type());
    if (cmd.view == View::kCompilation) {  // read by board, page after page, into the whole
      CallWholeCompilation(o, address, FieldText(*req, "referral_id"),
                           static_cast<remiss::v1::CompilationView*>(resp.get()));
    } else {
      CallEveryPage(o, address, *method, *req, resp.get());  // a list: all of it, as one answer
    }
    if (cmd.view == View::kHealth) {
      std::string status = FieldText(*resp, "status");
      if (status != "serving") code = kUnavailable;
      if (o.json) {
        out << ToJson(*resp);
      } else {
        out << name << "  " << address << "  " << status << "\n";
      }
      continue;
    }
    if (o.json) {
      out << ToJson(*resp);
    } else {
      if (targets.size() > 1) out << name << " (" << address << "):\n";
      PrintView(out, cmd, *resp);
    }
  }
  return code;
}

}  // namespace remissctl
