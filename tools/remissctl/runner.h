// Runs one subcommand: builds its request, calls, prints the answer. Returns the exit code;
// throws UsageError or CallError.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "tools/remissctl/command_table.h"
#include "tools/remissctl/options.h"

namespace remissctl {

int RunCommand(const Options& o, const Command& cmd, const std::vector<std::string>& args,
               std::ostream& out);

// The request `cmd` builds from `args` (and o.files, o.command_id).
std::unique_ptr<google::protobuf::Message> BuildRequest(const Options& o, const Command& cmd,
                                                        const std::vector<std::string>& args);

// A fresh command id: "ctl-" and 16 hex digits.
std::string NewCommandId();

}  // namespace remissctl
