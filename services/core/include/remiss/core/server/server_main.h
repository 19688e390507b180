// The main() of every remiss server: parse the flags, open the service modules, serve
// until SIGINT or SIGTERM, then shut down cleanly (stop taking calls, finish the ones under
// way, stop relays and feeds, close the stores).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "remiss/core/base/clock.h"
#include "remiss/core/server/flags.h"
#include "remiss/core/server/module_settings.h"
#include "remiss/core/server/service_host.h"

namespace remiss::core {

// One service as a server hosts it: owns its store, relay, feeds and gRPC service.
class ServiceModule {
 public:
  virtual ~ServiceModule() = default;
  // Registers the gRPC service and the admin and health details with the host.
  virtual void Host(ServiceHost& host) = 0;
};

using Modules = std::vector<std::unique_ptr<ServiceModule>>;

// The settings every module of this server opens with, from its flags.
[[nodiscard]] ModuleSettings SettingsFor(const ServerFlags& flags, const Clock* clock);
// Opens the server's modules with the settings ServerMain made (SettingsFor, plus the gate
// where an empty store waits for a restore); the flags are there for the rest (feeds).
using OpenModules =
    std::function<absl::StatusOr<Modules>(const ServerFlags&, const ModuleSettings&)>;

// Called once the server serves, with the address it serves on: starts what the server
// hosts besides its gRPC services (remissd's console) and returns what keeps it running,
// released before the server shuts down. An error stops the server.
using ServingHook = std::function<absl::StatusOr<std::shared_ptr<void>>(const std::string& address)>;

// Returns the process's exit code.
int ServerMain(int argc, char** argv, const std::string& program, const std::string& about,
               const OpenModules& open, const ServingHook& serving = nullptr);

}  // namespace remiss::core
