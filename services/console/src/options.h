// The console's start checks: which options go together and whether the files they name can
// be used, before anything listens. Errors name the flag. Pure but for reading the files.
#pragma once

#include "absl/status/status.h"
#include "remiss/console/console.h"

namespace remiss::console {

// OK, or INVALID_ARGUMENT naming the flag: the development sign-in only on a loopback
// listener without HTTPS and without the gateway certificate (the chooser would otherwise
// act as anyone on the mutual-TLS services); the three HTTPS flags all or none, and required
// off loopback, with --proxy-name; --ca, --cert, --key all or none, each a readable PEM file of its kind.
[[nodiscard]] absl::Status CheckConsoleOptions(const ConsoleOptions& o);

}  // namespace remiss::console
