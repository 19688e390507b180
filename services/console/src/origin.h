// Whom the console answers: a request must name the console itself in `Host` (against DNS
// rebinding: a page whose name is rebound to 127.0.0.1 sends its own name), and a form must
// come from the console's own pages (`Origin`, or `Sec-Fetch-Site: same-origin`). Pure.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace remiss::console {

// The `Host` values the console answers to: its listener as given ("127.0.0.1:8080"), on a
// loopback listener also localhost, 127.0.0.1 and [::1] with its port, and the configured
// names (--host: what the browser sends, "remiss.stockholm.se"). Lower case.
std::vector<std::string> AllowedHosts(absl::string_view listen, int port, const std::vector<std::string>& configured);

// Whether `host` (the request's Host header) is one of `allowed` (case-insensitive).
bool HostAllowed(const std::vector<std::string>& allowed, absl::string_view host);

// Whether a POST comes from the console's own pages: its `Origin` is `scheme://` and an
// allowed host, or, without an Origin, `Sec-Fetch-Site` is same-origin; a `Sec-Fetch-Site`
// other than same-origin is refused whatever the Origin. Neither header: refused (a script
// sends `Origin` itself).
bool PostFromOwnPages(const std::vector<std::string>& allowed, absl::string_view scheme, absl::string_view origin,
                      absl::string_view sec_fetch_site);

}  // namespace remiss::console
