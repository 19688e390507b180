// Names the calling thread (as `top -H`, `perf` and gdb show it), e.g. "store referrals":
// a server's threads tell which store or feed they work for. Linux keeps 15 characters.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace remiss::core {

inline void NameThisThread(std::string_view name) {
  std::string n(name.substr(0, 15));
  pthread_setname_np(pthread_self(), n.c_str());
}

}  // namespace remiss::core
