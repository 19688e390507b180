// Civil dates as the domain speaks of them: "YYYY-MM-DD" in Europe/Stockholm, a deadline
// being due at the end of that day, local time. Pure functions; thread-safe.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace remiss::core {

// Parses "YYYY-MM-DD" (a real calendar date, years 1900-2999). The error names `field`.
[[nodiscard]] absl::StatusOr<absl::CivilDay> ParseCivilDate(absl::string_view field,
                                                            absl::string_view value);

// "YYYY-MM-DD".
[[nodiscard]] std::string FormatCivilDate(absl::CivilDay day);

// The date in Stockholm at instant `t`.
[[nodiscard]] absl::CivilDay StockholmDate(absl::Time t);

// The first instant after `day` has ended in Stockholm (its next midnight, local time),
// correct across daylight-saving changes.
[[nodiscard]] absl::Time EndOfStockholmDay(absl::CivilDay day);

}  // namespace remiss::core
