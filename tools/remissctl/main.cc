// remissctl: the command line for KS staff, board case officers and operators.
// Every subcommand is one RPC (command_table.cc); requests are built from arguments, flags
// and JSON files (request_builder.cc), sent through grpc::GenericStub (rpc.cc) and shown as
// tables and records (views.cc, render.cc) or as protobuf JSON (--json).
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"
#include "tools/remissctl/command_table.h"
#include "tools/remissctl/demo.h"
#include "tools/remissctl/errors.h"
#include "tools/remissctl/events.h"
#include "tools/remissctl/help.h"
#include "tools/remissctl/options.h"
#include "tools/remissctl/rebuild.h"
#include "tools/remissctl/render.h"
#include "tools/remissctl/request_builder.h"
#include "tools/remissctl/rpc.h"
#include "tools/remissctl/runner.h"

int main(int argc, char** argv) {
  using namespace remissctl;  // NOLINT
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    Options o = ParseGlobalOptions(&args);
    if (args.empty()) {
      PrintTopHelp(o.help ? std::cout : std::cerr);
      return o.help ? kOk : kUsage;
    }
    if (args[0] == "demo") return RunDemo(o, {args.begin() + 1, args.end()});
    if (args[0] == "rebuild") return RunRebuild(o, {args.begin() + 1, args.end()});
    if (args[0] == "events") return RunEvents(o, {args.begin() + 1, args.end()});
    size_t n = 0;
    const Command* cmd = FindCommand(args, &n);
    if (!cmd && args[0] == "org" && args.size() >= 2 && args[1].rfind("-", 0) != 0) {
      args.insert(args.begin() + 1, "view");  // "remissctl org bromma-sdn": what it owes
      cmd = FindCommand(args, &n);
    }
    if (!cmd) {
      if (PrintGroupHelp(o.help ? std::cout : std::cerr, args[0])) return o.help ? kOk : kUsage;
      throw UsageError(absl::StrCat("there is no command \"", args[0], "\""));
    }
    if (o.help) {
      PrintCommandHelp(std::cout, *cmd);
      return kOk;
    }
    return RunCommand(o, *cmd, {args.begin() + n, args.end()}, std::cout);
  } catch (const UsageError& e) {
    std::cerr << "remissctl: " << e.what() << "\n(remissctl --help lists the commands; "
              << "remissctl COMMAND --help explains one)\n";
    return kUsage;
  } catch (const CallError& e) {
    std::cerr << "remissctl: " << e.what() << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "remissctl: " << e.what() << "\n";
    return kOther;
  }
}
