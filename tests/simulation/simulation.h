// One seeded run of the whole system: a real-round workload and faults drawn from the seed,
// the invariants checked after every step and at quiescence. Everything random comes from
// the seed: the same seed sends the same commands and injects the same faults in the same
// order (the services' own threads still interleave as they will, so a failure found once
// may need a few replays; tools/simulate.sh --seed N --repeat K).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/simulation/system.h"

namespace remiss::sim {

struct RunOptions {
  uint64_t seed = 1;
  int steps = 60;
  std::optional<Wiring> wiring;  // unset: drawn from the seed
  bool faults = true;
  bool slow_folds = true;        // slowed log appends during a stop in a rebuild (off: --fast-folds)
  std::string dir;               // where the stores go (a fresh directory is made in it)
  bool verbose = false;          // every step on stderr
};

struct RunResult {
  uint64_t seed = 0;
  Wiring wiring = Wiring::kRemissd;
  int steps = 0;                           // steps run
  std::vector<std::string> violations;     // empty: the run kept every invariant
  absl::Duration simulated, wall;
  std::map<std::string, int64_t> fired;    // faults and actions, by name
  int64_t commands = 0;
};

RunResult RunSeed(const RunOptions& options);

const char* WiringName(Wiring w);

}  // namespace remiss::sim
