// remiss-simulate: runs seeds of the whole-system simulation (simulation.h) and says which
// broke an invariant, with the one command that replays it. tools/simulate.sh builds and
// runs it; see its --help.
#include <signal.h>
#include <unistd.h>

#include <fcntl.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/simulation/simulation.h"

namespace remiss::sim {
extern char g_where[256];
}

namespace {

using remiss::sim::RunOptions;
using remiss::sim::RunResult;
using remiss::sim::Wiring;

constexpr char kUsage[] = R"(usage: remiss-simulate [options]
  --seed N           run seed N (with --repeat K, K times: the services' threads interleave
                     differently each time)
  --seeds N          run N seeds, from --first S (default: drawn from the time, printed)
  --minutes M        run seeds for M minutes instead of a count
  --steps M          steps per seed (default 60)
  --wiring W         remissd, remissd+kafka or kafka (default: drawn from each seed)
  --regression FILE  first the seeds listed in FILE ("seed [steps] [wiring]  # why", one a line)
  --no-faults        the workload alone
  --fast-folds       a shutdown or crash during a rebuild does NOT slow the store's log
                     appends (by default they take 1-5 ms each while it stops, so that the
                     stop lands inside the fold: that is what finds C3 put back)
  --dir D            where the stores go (default: /dev/shm, else /tmp)
  --verbose          every step and answer on stderr
Exit status 1 when a seed broke an invariant; each is printed with its replay command.)";

int g_stderr = 2;  // the terminal's stderr (the services' logs go to a file)

void OnFatal(int sig) {
  const char* what = "remiss-simulate: died with a fatal signal at ";
  (void)!::write(g_stderr, what, std::strlen(what));
  (void)!::write(g_stderr, remiss::sim::g_where, std::strlen(remiss::sim::g_where));
  const char* hint = "replay it with tools/simulate.sh --seed <that seed>; the services' log: "
                     "services.log in --dir\n";
  (void)!::write(g_stderr, hint, std::strlen(hint));
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

struct Planned {
  uint64_t seed;
  int steps;
  std::optional<Wiring> wiring;
};

std::optional<Wiring> ParseWiring(const std::string& w) {
  if (w == "remissd") return Wiring::kRemissd;
  if (w == "remissd+kafka") return Wiring::kRemissdKafka;
  if (w == "kafka") return Wiring::kKafka;
  return std::nullopt;
}

std::string Replay(const RunResult& r, int steps) {
  return absl::StrCat("tools/simulate.sh --seed ", r.seed, " --steps ", steps, " --wiring ",
                      remiss::sim::WiringName(r.wiring));
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGABRT, OnFatal);
  ::signal(SIGSEGV, OnFatal);
  std::optional<uint64_t> seed, first;
  int64_t seeds = 0;
  double minutes = 0;
  int steps = 60, repeat = 1;
  std::optional<Wiring> wiring;
  std::string regression, dir;
  bool faults = true, verbose = false, slow_folds = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << a << ": needs a value\n" << kUsage << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed") seed = std::stoull(value());
    else if (a == "--seeds") seeds = std::stoll(value());
    else if (a == "--first") first = std::stoull(value());
    else if (a == "--minutes") minutes = std::stod(value());
    else if (a == "--steps") steps = std::stoi(value());
    else if (a == "--repeat") repeat = std::stoi(value());
    else if (a == "--wiring") {
      const std::string w = value();
      wiring = ParseWiring(w);
      if (!wiring) {
        std::cerr << "--wiring: remissd, remissd+kafka or kafka, not " << w << "\n";
        return 2;
      }
    } else if (a == "--regression") regression = value();
    else if (a == "--dir") dir = value();
    else if (a == "--no-faults") faults = false;
    else if (a == "--fast-folds") slow_folds = false;
    else if (a == "--verbose") verbose = true;
    else if (a == "--help" || a == "-h") {
      std::cout << kUsage << "\n";
      return 0;
    } else {
      std::cerr << "unknown option " << a << "\n" << kUsage << "\n";
      return 2;
    }
  }
  if (dir.empty()) dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm/remiss-sim" : "/tmp/remiss-sim";

  // The services log to stderr; here to <dir>/services.log, the current seed's only (a
  // failing seed's is kept as fail-<seed>.log).
  std::filesystem::create_directories(dir);
  const std::string log = dir + "/services.log";
  if (!verbose) {
    g_stderr = ::dup(2);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::close(fd);
    }
  }

  std::vector<Planned> plan;
  if (!regression.empty()) {
    std::ifstream in(regression);
    if (!in) {
      std::cerr << "--regression: cannot read " << regression << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      line = line.substr(0, line.find('#'));
      std::istringstream words(line);
      Planned p{0, steps, wiring};
      std::string w;
      if (!(words >> p.seed)) continue;
      words >> p.steps;
      if (words >> w) p.wiring = ParseWiring(w);
      plan.push_back(p);
    }
    std::cout << "regression seeds: " << plan.size() << " from " << regression << std::endl;
  }
  if (seed) {
    for (int k = 0; k < repeat; ++k) plan.push_back({*seed, steps, wiring});
  }
  if (!first) first = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now())) % 1000000000;
  if (seeds > 0 || minutes > 0) {
    std::cout << "seeds from " << *first << (minutes > 0 ? absl::StrCat(" for ", minutes, " minutes")
                                                           : absl::StrCat(", ", seeds, " of them"))
              << ", " << steps << " steps each" << std::endl;
  }

  const absl::Time began = absl::Now();
  const absl::Time until = minutes > 0 ? began + absl::Seconds(minutes * 60) : absl::InfiniteFuture();
  int64_t ran = 0, failed = 0, commands = 0;
  absl::Duration simulated;
  std::map<std::string, int64_t> fired, wirings;
  auto run = [&](const Planned& p) {
    RunOptions o{.seed = p.seed, .steps = p.steps, .wiring = p.wiring, .faults = faults,
                 .slow_folds = slow_folds, .dir = dir,
                 .verbose = verbose};
    if (verbose) std::cerr << "seed " << p.seed << "\n";
    if (!verbose) (void)!::ftruncate(2, 0);
    RunResult r = remiss::sim::RunSeed(o);
    ++ran;
    commands += r.commands;
    simulated += r.simulated;
    ++wirings[remiss::sim::WiringName(r.wiring)];
    for (const auto& [k, v] : r.fired) fired[k] += v;
    if (r.violations.empty()) return;
    ++failed;
    if (!verbose) {
      std::error_code ec;
      std::filesystem::copy_file(log, absl::StrCat(dir, "/fail-", r.seed, ".log"),
                                 std::filesystem::copy_options::overwrite_existing, ec);
    }
    // Shrink: a run of fewer steps is a prefix of this one; the fewest that still fails.
    int shortest = r.steps;
    for (int m = r.steps / 2; m >= 1 && r.steps > 1; m /= 2) {
      RunOptions shorter = o;
      shorter.steps = m;
      shorter.wiring = r.wiring;
      if (remiss::sim::RunSeed(shorter).violations.empty()) break;
      shortest = m;
    }
    std::cout << "FAIL seed " << r.seed << " (" << remiss::sim::WiringName(r.wiring) << ", "
              << r.steps << " steps run)\n";
    for (const std::string& v : r.violations) std::cout << "  " << v << "\n";
    std::cout << "  replay: " << Replay(r, shortest) << "\n  the services' log: " << dir
              << "/fail-" << r.seed << ".log" << std::endl;
  };
  for (const Planned& p : plan) run(p);
  for (uint64_t s = *first; (seeds > 0 && static_cast<int64_t>(s - *first) < seeds) ||
                            (minutes > 0 && absl::Now() < until);
       ++s) {
    run({s, steps, wiring});
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - began);
  std::cout << "ran " << ran << " seeds (";
  for (const auto& [w, n] : wirings) std::cout << w << " " << n << " ";
  std::cout << "), " << failed << " failed, in " << static_cast<int64_t>(wall) << " s: "
            << (wall > 0 ? ran * 60.0 / wall : 0) << " seeds per minute, "
            << (wall > 0 ? absl::ToDoubleHours(simulated) / wall : 0)
            << " simulated hours per second (" << static_cast<int64_t>(absl::ToDoubleHours(simulated))
            << " h in all), " << commands << " commands" << std::endl;
  std::cout << "fired:";
  for (const auto& [k, v] : fired) std::cout << " [" << k << "] " << v;
  std::cout << std::endl;
  return failed > 0 ? 1 : 0;
}
