#include "remiss/core/server/flag_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace remiss::core {

absl::Status ReadFlags(int argc, char** argv,
                       const std::function<bool(absl::string_view)>& is_switch,
                       const std::function<absl::Status(const CommandLineFlag&)>& take,
                       bool* help) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    CommandLineFlag flag{.name = arg.substr(2), .value = ""};
    bool has_value = false;
    if (auto eq = flag.name.find('='); eq != std::string::npos) {
      flag.value = flag.name.substr(eq + 1);
      flag.name.resize(eq);
      has_value = true;
    }
    std::replace(flag.name.begin(), flag.name.end(), '_', '-');
    if (!has_value && is_switch(flag.name)) {
      flag.value = "true";
    } else if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": needs a value"));
      flag.value = argv[++i];
    }
    if (absl::Status s = take(flag); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ReadSwitch(const CommandLineFlag& flag, bool* out) {
  if (flag.value != "true" && flag.value != "false") {
    return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": must be true or false"));
  }
  *out = flag.value == "true";
  return absl::OkStatus();
}

absl::Status UnknownFlag(const CommandLineFlag& flag) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag.name, ": unknown flag (see --help)"));
}

}  // namespace remiss::core
