// The subcommands: each names one RPC (service + method), its positional arguments (the
// request fields they fill, in order), fixed field values, and how its answer is shown.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace remissctl {

enum class View {
  kResult,     // a CommandResult: one line
  kRecord,     // one record as "key: value"
  kTable,      // the repeated field `rows`, with `columns`
  kBoard,      // a round's status board
  kOrgView,    // what an organization owes, across rounds
  kTimeline,   // a response and its events
  kHealth,     // grpc.health.v1
  kCompilation,  // the compilation (sammanställning) as tables
  kChain,        // a revision chain: standpoints side by side across rounds
  kList,         // a distribution list and its members
};

struct Command {
  std::string words;                      // "referral create"
  std::string service;                    // "remiss.v1.ReferralService"
  std::string method;                     // "CreateReferral"
  std::vector<std::string> positionals;   // request field paths, in order
  std::vector<std::pair<std::string, std::string>> presets;  // fields set before the flags
  std::string summary;                    // one line, for the command list
  std::string example;                    // a full command line
  View view = View::kRecord;
  std::string rows;                       // for kTable: the repeated field
  std::vector<std::string> columns;       // for kTable: "field.path" or "field.path=HEADER"
  bool every_server = false;              // send to every distinct server (clock set/advance)
  int required_positionals = 0;           // fewer is a usage error
  bool rest = false;                      // the last positional (repeated) takes every extra argument
};

const std::vector<Command>& Commands();

// The command the words at the front of args name (the longest match), or nullptr.
// `consumed` is how many words it took.
const Command* FindCommand(const std::vector<std::string>& args, size_t* consumed);

}  // namespace remissctl
