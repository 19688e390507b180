// The one way remiss programs read their command line: --name VALUE or --name=VALUE (an
// underscore in a name reads as a dash), a switch given bare (--name, read as "true"), and
// --help or -h.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace remiss::core {

struct CommandLineFlag {
  std::string name;   // without the leading dashes
  std::string value;  // "true" for a switch given bare
};

// Calls `take` for each flag in argv[1..argc); `is_switch(name)` says which flags may stand
// bare. Sets *help on --help or -h. The first error ends the walk: an argument that is not a
// flag, a flag without its value, or what `take` returns (e.g. an unknown flag).
[[nodiscard]] absl::Status ReadFlags(int argc, char** argv,
                                     const std::function<bool(absl::string_view)>& is_switch,
                                     const std::function<absl::Status(const CommandLineFlag&)>& take,
                                     bool* help);

// A switch's value: "true" or "false", else INVALID_ARGUMENT naming the flag.
[[nodiscard]] absl::Status ReadSwitch(const CommandLineFlag& flag, bool* out);

// INVALID_ARGUMENT: "--NAME: unknown flag (see --help)".
[[nodiscard]] absl::Status UnknownFlag(const CommandLineFlag& flag);

}  // namespace remiss::core
