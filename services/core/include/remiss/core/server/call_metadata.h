// What of a call's metadata may go into immutable events: the caller's `traceparent` only if
// it parses as W3C trace context (version 00, ids not zero), its `x-correlation-id` only if it
// is 1-128 characters of letters, digits and - . _ : / + = @. Anything else is dropped (the
// event records none); the command itself is not refused for it. Pure.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace remiss::core {

inline constexpr size_t kMaxCorrelationIdLength = 128;

[[nodiscard]] std::string KeptTraceparent(absl::string_view traceparent);
[[nodiscard]] std::string KeptCorrelationId(absl::string_view correlation_id);

}  // namespace remiss::core
