// remissctl events SERVICE [--from N] [--follow]: a service's event log from the server's
// EventsService, one line per event (position, type, stream, recorded_at), or --json lines.
#pragma once

#include <string>
#include <vector>

#include "tools/remissctl/options.h"

namespace remissctl {

int RunEvents(const Options& o, const std::vector<std::string>& args);

}  // namespace remissctl
