#include "origin.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "remiss/core/server/auth_gate.h"

namespace remiss::console {

std::vector<std::string> AllowedHosts(absl::string_view listen, int port, const std::vector<std::string>& configured) {
  std::vector<std::string> out;
  std::string host(listen.substr(0, listen.rfind(':')));
  out.push_back(absl::AsciiStrToLower(absl::StrCat(host, ":", port)));
  if (core::IsLoopbackAddress(listen)) {
    for (const char* name : {"localhost", "127.0.0.1", "[::1]"}) out.push_back(absl::StrCat(name, ":", port));
  }
  for (const std::string& name : configured) {
    if (!name.empty()) out.push_back(absl::AsciiStrToLower(name));
  }
  return out;
}

bool HostAllowed(const std::vector<std::string>& allowed, absl::string_view host) {
  return !host.empty() &&
         std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return absl::EqualsIgnoreCase(a, host); });
}

bool PostFromOwnPages(const std::vector<std::string>& allowed, absl::string_view scheme, absl::string_view origin,
                      absl::string_view sec_fetch_site) {
  if (!sec_fetch_site.empty() && sec_fetch_site != "same-origin") return false;
  if (!origin.empty()) {
    const std::string prefix = absl::StrCat(scheme, "://");
    if (!absl::StartsWithIgnoreCase(origin, prefix)) return false;
    return HostAllowed(allowed, origin.substr(prefix.size()));
  }
  return sec_fetch_site == "same-origin";
}

}  // namespace remiss::console
