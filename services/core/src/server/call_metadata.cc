#include "remiss/core/server/call_metadata.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "remiss/core/telemetry/tracing.h"

namespace remiss::core {

std::string KeptTraceparent(absl::string_view traceparent) {
  return tracing::ParseTraceparent(traceparent).has_value() ? std::string(traceparent) : std::string();
}

std::string KeptCorrelationId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxCorrelationIdLength) return "";
  const bool ok = std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || absl::string_view("-._:/+=@").find(c) != absl::string_view::npos;
  });
  return ok ? std::string(id) : std::string();
}

}  // namespace remiss::core
