// The Swedish calendar for deadlines, computed (no table of years): public holidays
// (allmänna helgdagar, lag 1989:253), Easter and the holidays hanging on it, and the days
// Lag (1930:173) om beräkning av lagstadgad tid treats like them (Saturdays, midsommarafton,
// julafton, nyårsafton). Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/time/civil_time.h"

namespace remiss::deadlines {

// Easter Sunday (påskdagen) of `year` in the Gregorian calendar.
[[nodiscard]] absl::CivilDay EasterSunday(int year);

// The name of the public holiday on `day` ("Långfredagen", "Midsommardagen", ...), or ""
// when it is none. Sundays are holidays too but are not named here.
[[nodiscard]] std::string PublicHolidayName(absl::CivilDay day);

// A Saturday, a Sunday, a public holiday, midsommarafton, julafton or nyårsafton.
[[nodiscard]] bool IsNonWorkingDay(absl::CivilDay day);

// `day` itself when it is a working day, else the next working day.
[[nodiscard]] absl::CivilDay NextWorkingDay(absl::CivilDay day);

// The date that counts: with the working-day rule, a date on a non-working day moves to the
// next working day; without it, the date stands.
[[nodiscard]] absl::CivilDay EffectiveDate(absl::CivilDay stated, bool working_day_rule);

}  // namespace remiss::deadlines
