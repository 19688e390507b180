// How the answers people read most are shown: the status board, what an organization owes,
// a response's timeline, a list of deadlines.
#pragma once

#include <ostream>

#include <google/protobuf/message.h>

#include "tools/remissctl/command_table.h"

namespace remissctl {

void PrintView(std::ostream& out, const Command& cmd, const google::protobuf::Message& response);

}  // namespace remissctl
