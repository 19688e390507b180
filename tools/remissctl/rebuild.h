// remissctl rebuild: rebuilds one service's projections from its event log in the server's
// background and shows a progress bar until the rebuilt projections are in use, then their
// digest. Commands and queries go on being served meanwhile.
#pragma once

#include <string>
#include <vector>

#include "tools/remissctl/options.h"

namespace remissctl {

int RunRebuild(const Options& o, const std::vector<std::string>& args);

}  // namespace remissctl
