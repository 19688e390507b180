// --help: the command list, and each command's arguments, fields and an example.
#pragma once

#include <ostream>
#include <string>

#include "tools/remissctl/command_table.h"

namespace remissctl {

void PrintTopHelp(std::ostream& out);
void PrintCommandHelp(std::ostream& out, const Command& cmd);
// The commands starting with `group` ("referral"); false when there are none.
bool PrintGroupHelp(std::ostream& out, const std::string& group);
// "CASE-NUMBER" for "case_number", "DOCUMENT.ID" for "document.id".
std::string ArgName(const std::string& path);

}  // namespace remissctl
