// The servers' log: one JSON object per line on stderr, with the trace and span ids of the
// work it is about (DESIGN.md, "Observability"). Never put personal names in a line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace remiss::core {

// {"ts":..., "service":..., "event":..., <fields>, "trace_id":..., "span_id":...} (the ids
// when `traceparent` is a valid W3C trace context). Values are strings, quoted and escaped.
void LogJson(absl::string_view service, absl::string_view event,
             const std::vector<std::pair<std::string, std::string>>& fields,
             absl::string_view traceparent = "");

// The line LogJson writes, with its newline.
[[nodiscard]] std::string JsonLine(absl::string_view service, absl::string_view event,
                                   const std::vector<std::pair<std::string, std::string>>& fields,
                                   absl::string_view traceparent = "");

// The same with one field, "message": for what a person reads rather than a query.
void LogMessage(absl::string_view service, absl::string_view event, absl::string_view message);

}  // namespace remiss::core
