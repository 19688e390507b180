// Fault points: places in the code where a fault test can make the process die, to check
// what happens when it dies exactly there (tests/faults). They exist only in test builds:
// unless REMISS_FAULT_POINTS is defined when a file is compiled, REMISS_FAULT_POINT(name)
// compiles to nothing, and no build of the services defines it (only test variants of a
// binary do, see tests/faults/CMakeLists.txt).
//
// In a build with fault points, REMISS_FAULT_POINT(name) kills the process with SIGKILL when
// the environment says REMISS_FAULT_POINT=<name> (the first time it is reached) or
// REMISS_FAULT_POINT=<name>:<n> (the n-th time), after one line on stderr naming it.
#pragma once

#ifdef REMISS_FAULT_POINTS

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace remiss::core::fault_points {

inline void Reached(const char* name) {
  const char* want = std::getenv("REMISS_FAULT_POINT");
  if (want == nullptr) return;
  const size_t len = std::strlen(name);
  if (std::strncmp(want, name, len) != 0 || (want[len] != '\0' && want[len] != ':')) return;
  const long nth = want[len] == ':' ? std::strtol(want + len + 1, nullptr, 10) : 1;
  static std::atomic<long> hits{0};  // one fault point per process is armed at a time
  if (++hits < nth) return;
  std::fprintf(stderr, "fault point %s reached (hit %ld): SIGKILL\n", name, nth);
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
}

}  // namespace remiss::core::fault_points

#define REMISS_FAULT_POINT(name) ::remiss::core::fault_points::Reached(name)

#else

#define REMISS_FAULT_POINT(name) \
  do {                           \
  } while (false)

#endif
