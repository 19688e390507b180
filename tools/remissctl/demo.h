// remissctl demo: loads both seed rounds into a running remissd so a newcomer sees a real
// status board. Start remissd with --manual-clock 2020-12-01T09:00:00+01:00.
#pragma once

#include <string>
#include <vector>

#include "tools/remissctl/options.h"

namespace remissctl {

int RunDemo(const Options& o, const std::vector<std::string>& args);

}  // namespace remissctl
